"""The day-before reminder: once per person and event, and the one-click release link."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from events import services
from events.models import RSVP, Event
from events.tasks import event_reminders_task
from mail.models import EmailDelivery
from mail.services import stream_set
from mail.streams import Stream
from tests.conftest import message_text, wait_until
from tests.events.factories import EventFactory, active_member

pytestmark = pytest.mark.django_db


def confirmed(event, member, *, days_before=3):
    """A confirmed reply made `days_before` the event (so it is due a reminder)."""
    result = services.rsvp_respond(event=event, member=member, response="yes")
    RSVP.objects.filter(pk=result.rsvp.pk).update(
        confirmed_at=event.starts_at - timedelta(days=days_before)
    )
    return result.rsvp


def test_reminders_go_once_even_when_the_schedule_fires_twice(
    smtp_server, django_capture_on_commit_callbacks
):
    event = EventFactory(title="Harbour walk", starts_at=timezone.now() + timedelta(hours=20))
    ann, ben = active_member(), active_member()
    confirmed(event, ann)
    confirmed(event, ben)
    smtp_server.clear()

    with django_capture_on_commit_callbacks(execute=True):
        first = services.reminders_queue()
    with django_capture_on_commit_callbacks(execute=True):
        second = services.reminders_queue()
        event_reminders_task.delay()

    assert (first, second) == (2, 0)
    for person in (ann, ben):
        [mail] = smtp_server.to(person.email)
        assert mail["Subject"] == "Tomorrow: Harbour walk"
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "I can't come any more" in message_text(mail)


def test_only_confirmed_people_with_reminders_on_and_events_within_a_day(
    django_capture_on_commit_callbacks,
):
    soon = EventFactory(starts_at=timezone.now() + timedelta(hours=20), capacity=2)
    later = EventFactory(starts_at=timezone.now() + timedelta(hours=30))
    cancelled = EventFactory(starts_at=timezone.now() + timedelta(hours=20))
    on, off, waiting, late, not_due = (active_member() for _ in range(5))
    confirmed(soon, on)
    confirmed(soon, off)
    services.rsvp_respond(event=soon, member=waiting, response="yes")
    stream_set(user=off, stream=Stream.EVENT_REMINDERS, on=False, source="settings")
    confirmed(later, not_due)
    confirmed(cancelled, late)
    services.event_cancel(event=cancelled)
    just_said_yes = active_member()
    services.rsvp_respond(event=EventFactory(starts_at=soon.starts_at), member=just_said_yes,
                          response="yes")  # fmt: skip

    services.reminders_queue()

    reminded = set(
        EmailDelivery.objects.filter(kind="events_reminder").values_list("user_id", flat=True)
    )
    assert reminded == {on.pk}


def test_the_release_link_shows_a_button_and_only_post_gives_the_place_back(
    client, smtp_server, django_capture_on_commit_callbacks
):
    event = EventFactory(capacity=1, starts_at=timezone.now() + timedelta(hours=20))
    going, waiting = active_member(), active_member()
    confirmed(event, going)
    services.rsvp_respond(event=event, member=waiting, response="yes")
    with django_capture_on_commit_callbacks(execute=True):
        services.reminders_queue()
    [mail] = smtp_server.to(going.email)
    path = re.search(r"http://testserver(/events/release/\S+/)", message_text(mail)).group(1)

    page = client.get(path)  # a mail scanner opening the link changes nothing
    assert page.status_code == 200
    assert RSVP.objects.get(member=going).status == "confirmed"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path)  # no sign-in needed

    assert "You're no longer down for this event" in response.content.decode().replace(
        "&#x27;", "'"
    )
    assert RSVP.objects.get(member=going).status == "cancelled"
    assert RSVP.objects.get(member=waiting).status == "confirmed"
    assert len([m for m in smtp_server.to(waiting.email) if "You're in" in m["Subject"]]) == 1
    assert Event.objects.get(pk=event.pk).confirmed_places == 1


def test_a_tampered_release_link_is_404(client):
    assert client.get("/events/release/not-a-token/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_reminder_task_runs_on_a_real_worker(celery_worker, smtp_server):
    event = EventFactory(title="Evening talk", starts_at=timezone.now() + timedelta(hours=23))
    member = active_member()
    confirmed(event, member)
    wait_until(lambda: smtp_server.to(member.email))  # "you're going"
    smtp_server.clear()

    event_reminders_task.delay()
    event_reminders_task.delay()  # the schedule firing twice

    wait_until(lambda: smtp_server.to(member.email))
    wait_until(
        lambda: not EmailDelivery.objects.filter(kind="events_reminder", status="pending").exists()
    )
    assert [m["Subject"] for m in smtp_server.to(member.email)] == ["Tomorrow: Evening talk"]
    assert EmailDelivery.objects.get(kind="events_reminder").status == "sent"


@pytest.mark.django_db(transaction=True)
def test_a_promotion_email_is_sent_once_by_a_real_worker(celery_worker, smtp_server):
    event = EventFactory(capacity=1, title="Harbour walk")
    going, waiting = active_member(), active_member()
    services.rsvp_respond(event=event, member=going, response="yes")
    services.rsvp_respond(event=event, member=waiting, response="yes")
    wait_until(lambda: smtp_server.to(waiting.email))  # the waitlist receipt

    services.rsvp_respond(event=event, member=going, response="no")
    services.rsvp_respond(event=event, member=going, response="no")

    wait_until(lambda: len(smtp_server.to(waiting.email)) == 2)
    subjects = [m["Subject"] for m in smtp_server.to(waiting.email)]
    assert subjects == [
        "You're on the waitlist: Harbour walk",
        "A place came free. You're in: Harbour walk",
    ]
