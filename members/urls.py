from django.urls import path

from members import views

app_name = "members"

urlpatterns = [
    path("settings/profile/", views.profile_edit, name="profile"),
    path("settings/interests/", views.interests_edit, name="interests"),
    path("members/<str:handle>/", views.profile_detail, name="detail"),
]
