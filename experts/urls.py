from django.urls import path

from experts import views

app_name = "experts"

urlpatterns = [
    path("experts/", views.expert_list, name="list"),
    # Before the expert's own page: "requests" is a reserved slug.
    path("experts/requests/", views.expert_request_list, name="requests"),
    path(
        "experts/requests/<int:pk>/withdraw/",
        views.expert_request_withdraw,
        name="request_withdraw",
    ),
    path("experts/<slug:slug>/", views.expert_detail, name="detail"),
    path("experts/<slug:slug>/request/", views.expert_request_create, name="request"),
]
