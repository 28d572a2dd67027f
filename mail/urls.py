from django.urls import path

from mail import views

app_name = "mail"

urlpatterns = [
    path("settings/email/", views.email_settings, name="settings"),
    path("settings/email/confirm/<str:token>/", views.stream_confirm, name="stream_confirm"),
    path("email/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
