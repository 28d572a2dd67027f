from django.urls import path

from core.page_cache import cache_for_visitors
from experts import views

app_name = "experts"

urlpatterns = [
    path("experts/", cache_for_visitors(views.expert_list), name="list"),
    # Before the expert's own page: "requests" is a reserved slug.
    path("experts/requests/", views.expert_request_list, name="requests"),
    path(
        "experts/requests/<int:pk>/withdraw/",
        views.expert_request_withdraw,
        name="request_withdraw",
    ),
    path("experts/<slug:slug>/", cache_for_visitors(views.expert_detail), name="detail"),
    path("experts/<slug:slug>/request/", views.expert_request_create, name="request"),
]
