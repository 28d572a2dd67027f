from django.urls import path

from members import staff_views, views

app_name = "members"

urlpatterns = [
    path("settings/profile/", views.profile_edit, name="profile"),
    path("settings/interests/", views.interests_edit, name="interests"),
    path("members/", views.directory, name="directory"),
    path("members/intros/", views.intro_list, name="intros"),
    path("members/intros/<int:pk>/withdraw/", views.intro_withdraw, name="intro_withdraw"),
    path(
        "members/intros/<int:pk>/<str:answer>/",
        views.intro_answer,
        name="intro_answer",
    ),
    path("members/<str:handle>/", views.profile_detail, name="detail"),
    path("members/<str:handle>/intro/", views.intro_request, name="intro_request"),
    path("join/", views.join, name="join"),
    path("join/success/", views.join_success, name="join_success"),
    path("billing/", views.billing_detail, name="billing"),
    path("billing/status/", views.membership_status, name="membership_status"),
    path("billing/portal/", views.billing_portal, name="billing_portal"),
    path("billing/webhook/", views.stripe_webhook, name="stripe_webhook"),
    path("settings/email/", views.email_settings, name="email_settings"),
    path("settings/email/confirm/<str:token>/", views.stream_confirm, name="stream_confirm"),
    path("email/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    # Staff set up their second factor only from a one-time link mailed to them.
    path("staff/enrol/<str:token>/", staff_views.staff_enrol, name="staff_enrol"),
    path("staff/enrol-link/", staff_views.staff_enrolment_resend, name="staff_enrolment_resend"),
]
