"""Staff curate events in the admin: speakers inline, replies read-only, duplicate, cancel."""

import pytest
from django.urls import reverse
from django.utils import timezone

from events import services
from events.models import RSVP, Event
from tests.events.factories import EventFactory, active_member
from tests.experts.conftest import give_mfa, totp_code
from tests.experts.factories import ExpertFactory
from tests.members.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    secret = give_mfa(staff)
    client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert client.get("/admin/").status_code == 200
    return client


def test_the_changelist_filters_by_date_and_group(admin_client, group):
    EventFactory(title="Group breakfast", group=group)
    EventFactory(title="Network talk")

    everything = admin_client.get("/admin/events/event/")
    upcoming = admin_client.get(
        "/admin/events/event/", {"when": "upcoming", "group__id__exact": group.pk}
    )

    assert everything.status_code == 200
    assert "Group breakfast" in upcoming.content.decode()
    assert "Network talk" not in upcoming.content.decode()


def test_the_change_page_shows_speakers_inline_and_replies_read_only(admin_client):
    expert = ExpertFactory(name="Dr Helen Okafor")
    event = EventFactory(speakers=[expert], capacity=2)
    services.rsvp_respond(event=event, member=active_member(), response="yes")

    page = admin_client.get(f"/admin/events/event/{event.pk}/change/").content.decode()

    assert "Dr Helen Okafor" in page
    assert 'name="rsvps-0-status"' not in page  # shown, never editable
    assert "confirmed" in page.lower()
    assert admin_client.get("/admin/events/rsvp/add/").status_code == 403


def test_duplicate_makes_an_unpublished_copy_a_week_later(admin_client):
    expert = ExpertFactory()
    event = EventFactory(title="Monthly breakfast", speakers=[expert], capacity=12)
    services.rsvp_respond(event=event, member=active_member(), response="yes")

    admin_client.post(
        "/admin/events/event/", {"action": "duplicate", "_selected_action": [event.pk]}
    )

    copy = Event.objects.exclude(pk=event.pk).get()
    assert copy.title == "Monthly breakfast" and not copy.is_published
    assert (copy.starts_at - event.starts_at).days == 7
    assert list(copy.speakers.all()) == [expert]
    assert copy.confirmed_places == 0 and not RSVP.objects.filter(event=copy).exists()


def admin_form_data(event: Event, **changes) -> dict:
    """What the admin's change form posts for `event`, with `changes` applied."""
    data = {
        "title": event.title,
        "slug": event.slug,
        "group": event.group_id or "",
        "description": event.description,
        "venue_name": event.venue_name,
        "venue_address": event.venue_address,
        "city": event.city,
        "online_url": event.online_url,
        "capacity": event.capacity or "",
        "guests_allowed": event.guests_allowed,
        "is_published": "on" if event.is_published else "",
        "created_by": "",
        "rsvp_deadline_0": "",
        "rsvp_deadline_1": "",
        "speaker_links-TOTAL_FORMS": "0",
        "speaker_links-INITIAL_FORMS": "0",
        "rsvps-TOTAL_FORMS": "0",
        "rsvps-INITIAL_FORMS": "0",
    }
    for name in ("starts_at", "ends_at"):
        local = timezone.localtime(getattr(event, name))
        data[f"{name}_0"] = local.strftime("%Y-%m-%d")
        data[f"{name}_1"] = local.strftime("%H:%M:%S")
    data.update(changes)
    return data


def test_raising_capacity_in_the_admin_promotes_and_keeps_the_counter_true(admin_client):
    event = EventFactory(capacity=1)
    people = [active_member() for _ in range(3)]
    for person in people:
        services.rsvp_respond(event=event, member=person, response="yes")

    response = admin_client.post(
        f"/admin/events/event/{event.pk}/change/", admin_form_data(event, capacity="2")
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert RSVP.objects.get(member=people[1]).status == "confirmed"
    event.refresh_from_db()
    assert (event.capacity, event.confirmed_places) == (2, 2)


def test_the_admin_refuses_fewer_places_than_are_taken(admin_client):
    event = EventFactory(capacity=3)
    for _ in range(2):
        services.rsvp_respond(event=event, member=active_member(), response="yes")

    response = admin_client.post(
        f"/admin/events/event/{event.pk}/change/", admin_form_data(event, capacity="1")
    )

    assert response.status_code == 200
    assert "2 places are already taken" in response.content.decode()
    event.refresh_from_db()
    assert event.capacity == 3


def test_cancel_action_tells_everyone(admin_client):
    event = EventFactory(capacity=2)
    services.rsvp_respond(event=event, member=active_member(), response="yes")

    admin_client.post("/admin/events/event/", {"action": "cancel", "_selected_action": [event.pk]})

    event.refresh_from_db()
    assert event.is_cancelled
