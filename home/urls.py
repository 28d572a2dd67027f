from django.urls import path

from home import views

app_name = "home"

urlpatterns = [
    path("welcome/groups/", views.suggested_groups, name="groups"),
    path("welcome/groups/join-picked/", views.picks_join, name="picks_join"),
    path("welcome/groups/<slug:slug>/choose/", views.group_choose, name="group_choose"),
    path("welcome/groups/<slug:slug>/unchoose/", views.group_unchoose, name="group_unchoose"),
]
