from django.urls import path

from core.page_cache import cache_for_visitors
from groups import views

app_name = "groups"

urlpatterns = [
    path("groups/", cache_for_visitors(views.group_list), name="list"),
    path("groups/propose/", views.group_propose, name="propose"),
    path("groups/unfollow/<str:token>/", views.unfollow, name="unfollow"),
    path("groups/<slug:slug>/", cache_for_visitors(views.group_detail), name="detail"),
    path("groups/<slug:slug>/join/", views.group_join, name="join"),
    path("groups/<slug:slug>/leave/", views.group_leave, name="leave"),
    path("groups/<slug:slug>/members/", views.group_members, name="members"),
    path("groups/<slug:slug>/threads/new/", views.thread_create, name="thread_create"),
    path("groups/<slug:slug>/threads/<int:pk>/", views.thread_detail, name="thread"),
    path("groups/<slug:slug>/threads/<int:pk>/follow/", views.thread_follow, name="follow"),
    path("groups/<slug:slug>/posts/<int:pk>/report/", views.post_report, name="report"),
    path("groups/<slug:slug>/posts/<int:pk>/hide/", views.post_hide, name="hide"),
    path("groups/<slug:slug>/posts/<int:pk>/restore/", views.post_restore, name="restore"),
]
