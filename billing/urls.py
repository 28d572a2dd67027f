from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("join/", views.join, name="join"),
    path("join/success/", views.join_success, name="join_success"),
    path("billing/", views.billing_detail, name="detail"),
    path("billing/status/", views.membership_status, name="membership_status"),
    path("billing/portal/", views.billing_portal, name="portal"),
    path("billing/resume/", views.billing_resume, name="resume"),
    path("billing/webhook/", views.stripe_webhook, name="webhook"),
]
