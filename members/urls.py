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
    # Staff set up their second factor only from a one-time link mailed to them.
    path("staff/enrol/<str:token>/", staff_views.staff_enrol, name="staff_enrol"),
    path("staff/enrol-link/", staff_views.staff_enrolment_resend, name="staff_enrolment_resend"),
]
