"""iCalendar files: one event's, and a member's private feed (parsed with `icalendar`)."""

import icalendar
import pytest
from django.urls import reverse

from events import services
from events.models import CalendarFeed
from tests.events.factories import EventFactory, active_member, in_days

pytestmark = pytest.mark.django_db


def parse(response) -> icalendar.Calendar:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content)


def test_an_events_ics_file_parses_with_the_right_times_place_and_link(client):
    event = EventFactory(
        title="Harbour walk",
        venue_name="M Shed steps",
        venue_address="Princes Wharf, Bristol BS1 4RN",
        online_url="https://meet.example.com/secret-room",
    )

    calendar = parse(client.get(reverse("events:ics", kwargs={"slug": event.slug})))

    [vevent] = calendar.events
    assert vevent["SUMMARY"] == "Harbour walk"
    assert vevent.start == event.starts_at
    assert vevent.end == event.ends_at
    assert vevent.start.utcoffset().total_seconds() == 0  # written in UTC
    assert vevent["LOCATION"] == "M Shed steps, Princes Wharf, Bristol BS1 4RN"
    assert vevent["URL"] == "http://testserver" + event.get_absolute_url()
    assert str(vevent["UID"]) == f"event-{event.pk}@testserver"
    assert vevent["STATUS"] == "CONFIRMED"
    assert "secret-room" not in calendar.to_ical().decode()
    assert calendar["PRODID"] and calendar["VERSION"] == "2.0"


def test_a_confirmed_attendee_gets_the_online_link_in_the_file(client, member):
    event = EventFactory(online_url="https://meet.example.com/secret-room")
    services.rsvp_respond(event=event, member=member, response="yes")
    client.force_login(member)

    calendar = parse(client.get(reverse("events:ics", kwargs={"slug": event.slug})))

    assert "secret-room" in str(calendar.events[0]["DESCRIPTION"])


def test_a_draft_has_no_ics_for_the_public(client):
    draft = EventFactory(is_published=False)

    assert client.get(reverse("events:ics", kwargs={"slug": draft.slug})).status_code == 404


def feed_of(user) -> CalendarFeed:
    return services.calendar_feed_create(user=user)


def test_the_private_feed_lists_confirmed_events_only_and_no_email_addresses(client, member):
    going = EventFactory(title="Going", capacity=5, starts_at=in_days(3))
    full = EventFactory(title="Waiting", capacity=1)
    services.rsvp_respond(event=full, member=active_member(), response="yes")
    declined = EventFactory(title="Not going")
    cancelled = EventFactory(title="Called off")
    old = EventFactory(title="Long ago", starts_at=in_days(-90))
    for event in (going, full, cancelled):
        services.rsvp_respond(event=event, member=member, response="yes")
    services.rsvp_respond(event=declined, member=member, response="no")
    services.event_cancel(event=cancelled)
    from events.models import RSVP

    RSVP.objects.create(event=old, member=member, status="confirmed")
    feed = feed_of(member)

    response = client.get(feed.get_absolute_url())  # no sign-in: the token is the key

    calendar = parse(response)
    summaries = {str(e["SUMMARY"]): str(e["STATUS"]) for e in calendar.events}
    assert summaries == {"Going": "CONFIRMED", "Called off": "CANCELLED"}
    body = response.content.decode()
    assert member.email not in body and "@example" not in body
    assert "ORGANIZER" not in body and "ATTENDEE" not in body
    assert "REFRESH-INTERVAL" in body


def test_resetting_the_feed_address_stops_the_old_one(client, member):
    old_url = feed_of(member).get_absolute_url()
    client.force_login(member)

    response = client.post(reverse("events:calendar_reset"))

    assert response.status_code == 302
    assert client.get(old_url).status_code == 404
    new_url = CalendarFeed.objects.get(user=member).get_absolute_url()
    assert new_url != old_url
    assert client.get(new_url).status_code == 200


def test_the_feed_address_is_made_on_request_and_shown_only_to_its_owner(client, member):
    client.force_login(member)
    page = client.get(reverse("events:mine")).content.decode()
    assert "Get my calendar address" in page
    assert not CalendarFeed.objects.exists()  # GET makes nothing

    client.post(reverse("events:calendar_create"))
    client.post(reverse("events:calendar_create"))

    feed = CalendarFeed.objects.get(user=member)
    assert feed.token in client.get(reverse("events:mine")).content.decode()
    assert len(feed.token) >= 40


def test_an_unknown_token_is_404(client):
    assert client.get("/calendar/not-a-real-token.ics").status_code == 404
