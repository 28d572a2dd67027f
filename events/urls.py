from django.urls import path

from core.page_cache import cache_for_visitors
from events import views

app_name = "events"

urlpatterns = [
    path("events/", cache_for_visitors(views.event_list), name="list"),
    # Before the event's own pages: these words are reserved slugs.
    path("events/new/", views.event_create, name="create"),
    path("events/mine/", views.my_events, name="mine"),
    path("events/mine/calendar/", views.calendar_create, name="calendar_create"),
    path("events/mine/calendar/reset/", views.calendar_reset, name="calendar_reset"),
    path("events/release/<str:token>/", views.release, name="release"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="feed"),
    path("events/<slug:slug>/", cache_for_visitors(views.event_detail), name="detail"),
    path("events/<slug:slug>/rsvp/", views.event_rsvp, name="rsvp"),
    path("events/<slug:slug>/event.ics", views.event_ics, name="ics"),
    path("events/<slug:slug>/edit/", views.event_edit, name="edit"),
    path("events/<slug:slug>/publish/", views.event_publish, name="publish"),
    path("events/<slug:slug>/cancel/", views.event_cancel, name="cancel"),
    path("events/<slug:slug>/attendees/", views.event_attendees, name="attendees"),
    path("events/<slug:slug>/attendees.csv", views.event_attendees_csv, name="attendees_csv"),
    path("events/<slug:slug>/checkin/", views.event_checkin, name="checkin"),
    path(
        "events/<slug:slug>/checkin/<int:rsvp_id>/",
        views.event_checkin_mark,
        name="checkin_mark",
    ),
    path("events/<slug:slug>/message/", views.event_message, name="message"),
    path("events/<slug:slug>/invite/", views.event_invite, name="invite"),
]
