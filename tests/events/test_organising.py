"""Who may do what (replies and organiser tools), the event form, and the organisers' tools."""

import csv
import html
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from events import services
from events.models import RSVP, Event, EventMessage
from mail.models import EmailDelivery
from tests.conftest import message_text
from tests.events.factories import EventFactory, GroupFactory, active_member, in_days, organiser_of
from tests.staff import sign_in_with_mfa

pytestmark = pytest.mark.django_db


def rsvp_url(event) -> str:
    return reverse("events:rsvp", kwargs={"slug": event.slug})


def tool_url(name: str, event) -> str:
    return reverse(f"events:{name}", kwargs={"slug": event.slug})


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def messages_of(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


# --- Replying over HTTP --------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, event):
    response = client.post(rsvp_url(event), {"response": "yes"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not RSVP.objects.exists()


def test_signed_in_non_members_are_sent_to_join(client, non_member, event):
    client.force_login(non_member)

    response = client.post(rsvp_url(event), {"response": "yes"})

    assert response["Location"] == reverse("billing:join")
    assert "That's for paying members" in messages_of(response)[0]
    assert not RSVP.objects.exists()


def test_lapsed_members_are_sent_to_join_but_can_give_a_place_back(client, lapsed, event):
    RSVP.objects.create(event=event, member=lapsed, status="confirmed", confirmed_at=timezone.now())
    Event.objects.filter(pk=event.pk).update(confirmed_places=1)
    client.force_login(lapsed)

    assert client.post(rsvp_url(event), {"response": "yes"})["Location"] == "/join/"
    response = client.post(rsvp_url(event), {"response": "no"})

    assert response["Location"] == event.get_absolute_url()
    assert RSVP.objects.get(member=lapsed).status == "cancelled"
    assert Event.objects.get(pk=event.pk).confirmed_places == 0


def test_an_active_member_says_yes_and_sees_you_are_going(client, member, event):
    client.force_login(member)

    response = client.post(rsvp_url(event), {"response": "yes"}, follow=True)

    assert "You're going. We've emailed you the details." in messages_of(response)
    assert "You're going" in page_text(response).replace("You're going. We", "")
    assert RSVP.objects.get(member=member).status == "confirmed"


def test_staff_reply_like_any_member(client, event):
    staff = active_member(is_staff=True)
    client.force_login(staff)

    client.post(rsvp_url(event), {"response": "yes"})

    assert RSVP.objects.get(member=staff).status == "confirmed"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"response": "maybe"}, "Please choose yes or no."),
        ({"response": "yes", "guests": "-1"}, "The number of guests can't be negative."),
        ({"response": "yes", "guests": "two"}, "Please give the number of guests as a number."),
        ({"response": "yes", "guests": "1"}, "This event is for members only"),
    ],
)
def test_bad_replies_are_refused_with_a_clear_message_and_change_nothing(
    client, member, event, data, message
):
    client.force_login(member)

    response = client.post(rsvp_url(event), data)

    assert response.status_code == 302
    assert any(message in m for m in messages_of(response))
    assert not RSVP.objects.exists()


def test_replies_to_an_unpublished_event_are_404(client, member):
    draft = EventFactory(is_published=False)
    client.force_login(member)

    assert client.post(rsvp_url(draft), {"response": "yes"}).status_code == 404


def test_get_is_not_allowed_on_the_reply_address(client, member, event):
    client.force_login(member)

    assert client.get(rsvp_url(event)).status_code == 405


def test_a_full_event_shows_the_waitlist_position(client, make_member):
    event = EventFactory(capacity=1)
    services.rsvp_respond(event=event, member=make_member(), response="yes")
    member = make_member()
    client.force_login(member)

    response = client.post(rsvp_url(event), {"response": "yes"}, follow=True)

    assert any("waitlist at number 1" in m for m in messages_of(response))
    assert "You're number 1 on the waitlist" in page_text(response)


# --- Who may use the organiser tools ---------------------------------------------------------


TOOLS = ["edit", "attendees", "attendees_csv", "checkin", "message", "invite", "cancel"]


@pytest.mark.parametrize("tool", TOOLS)
def test_organiser_tools_permissions(client, tool, group, organiser, member, non_member):
    event = EventFactory(group=group)
    url = tool_url(tool, event)
    other_group_organiser = organiser_of(GroupFactory())

    assert client.get(url).status_code == 302  # anonymous: sign in
    for person in (non_member, member, other_group_organiser):
        client.force_login(person)
        assert client.get(url).status_code == 403
    client.force_login(organiser)
    assert client.get(url).status_code == 200
    staff = active_member(is_staff=True)
    client.force_login(staff)  # a password alone carries no staff powers
    assert client.get(url).status_code == 403
    sign_in_with_mfa(client, staff)
    assert client.get(url).status_code == 200


def test_a_lapsed_organiser_is_sent_to_join(client, group, lapsed):
    from groups.models import GroupMembership

    GroupMembership.objects.create(group=group, user=lapsed, role="organiser")
    event = EventFactory(group=group)
    client.force_login(lapsed)

    assert client.get(tool_url("attendees", event))["Location"] == "/join/"


def test_network_wide_events_are_managed_by_staff_only(client, organiser):
    event = EventFactory(group=None)
    client.force_login(organiser)
    assert client.get(tool_url("attendees", event)).status_code == 403
    sign_in_with_mfa(client, active_member(is_staff=True))
    assert client.get(tool_url("attendees", event)).status_code == 200


def test_only_organisers_and_staff_may_create_events(client, member, organiser):
    url = reverse("events:create")
    assert client.get(url).status_code == 302
    client.force_login(member)
    assert client.get(url).status_code == 403
    client.force_login(organiser)
    assert client.get(url).status_code == 200


# --- The event form --------------------------------------------------------------------------


def form_data(group, **overrides):
    start = in_days(14)
    data = {
        "title": "Marketing breakfast",
        "group": group.pk if group else "",
        "description": "What worked this month, over coffee.",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=1, minutes=30)).strftime("%Y-%m-%dT%H:%M"),
        "rsvp_deadline": "",
        "venue_name": "The Corn Exchange Café",
        "venue_address": "Call Lane, Leeds LS1 7BR",
        "city": "Leeds",
        "online_url": "",
        "capacity": "20",
        "guests_allowed": "0",
        "is_published": "on",
    }
    data.update(overrides)
    return data


def test_an_organiser_creates_and_publishes_a_group_event(client, group, organiser):
    client.force_login(organiser)

    response = client.post(reverse("events:create"), form_data(group))

    event = Event.objects.get()
    assert response["Location"] == event.get_absolute_url()
    assert event.slug.startswith("marketing-breakfast-")
    assert (event.group, event.created_by, event.is_published) == (group, organiser, True)
    assert timezone.localtime(event.starts_at).hour == 18  # entered as UK time


def test_an_organiser_cannot_create_an_event_for_another_group(client, organiser):
    other = GroupFactory()
    client.force_login(organiser)

    response = client.post(reverse("events:create"), form_data(other))

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ends_at": in_days(13).strftime("%Y-%m-%dT%H:%M")}, "The end must be after the start."),
        ({"capacity": "0"}, "The number of places must be at least 1."),
        ({"capacity": "-3"}, "The number of places must be at least 1."),
        (
            {"rsvp_deadline": in_days(15).strftime("%Y-%m-%dT%H:%M")},
            "Replies must close before the event starts.",
        ),
        ({"starts_at": in_days(-1).strftime("%Y-%m-%dT%H:%M")}, "The start must be in the future."),
        ({"title": ""}, "This field is required."),
        ({"guests_allowed": "11"}, "At most 10 guests per member"),
    ],
)
def test_the_form_refuses_bad_input_clearly_and_saves_nothing(
    client, group, organiser, overrides, message
):
    client.force_login(organiser)

    response = client.post(reverse("events:create"), form_data(group, **overrides))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert "The event wasn't saved" in page_text(response)
    assert not Event.objects.exists()


def test_raising_capacity_in_the_form_promotes_the_waitlist(client, group, organiser):
    event = EventFactory(group=group, capacity=1)
    people = [active_member() for _ in range(3)]
    for person in people:
        services.rsvp_respond(event=event, member=person, response="yes")
    client.force_login(organiser)
    data = form_data(
        group,
        title=event.title,
        starts_at=timezone.localtime(event.starts_at).strftime("%Y-%m-%dT%H:%M"),
        ends_at=timezone.localtime(event.ends_at).strftime("%Y-%m-%dT%H:%M"),
        venue_name=event.venue_name,
        venue_address=event.venue_address,
        capacity="2",
    )
    data.pop("is_published")

    response = client.post(tool_url("edit", event), data)

    assert response.status_code == 302
    assert RSVP.objects.get(member=people[1]).status == "confirmed"
    assert RSVP.objects.get(member=people[2]).status == "waitlisted"


def test_lowering_capacity_below_places_taken_is_refused(client, group, organiser):
    event = EventFactory(group=group, capacity=3)
    for _ in range(2):
        services.rsvp_respond(event=event, member=active_member(), response="yes")
    client.force_login(organiser)
    data = form_data(
        group,
        starts_at=timezone.localtime(event.starts_at).strftime("%Y-%m-%dT%H:%M"),
        ends_at=timezone.localtime(event.ends_at).strftime("%Y-%m-%dT%H:%M"),
        capacity="1",
    )

    response = client.post(tool_url("edit", event), data)

    assert "2 places are already taken" in response.content.decode()
    assert Event.objects.get(pk=event.pk).capacity == 3


def test_changing_the_time_bumps_the_calendar_sequence_and_suggests_a_message(
    client, group, organiser
):
    event = EventFactory(group=group)
    services.rsvp_respond(event=event, member=active_member(), response="yes")
    client.force_login(organiser)
    later = event.starts_at + timedelta(hours=1)
    data = form_data(
        group,
        starts_at=timezone.localtime(later).strftime("%Y-%m-%dT%H:%M"),
        ends_at=timezone.localtime(later + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
    )

    response = client.post(tool_url("edit", event), data)

    assert response["Location"] == tool_url("message", event)
    assert Event.objects.get(pk=event.pk).sequence == 1


def test_a_draft_is_published_from_its_page(client, group, organiser):
    event = EventFactory(group=group, is_published=False)
    client.force_login(organiser)

    client.post(tool_url("publish", event))

    assert Event.objects.get(pk=event.pk).is_published


def test_a_cancelled_draft_is_never_published_by_the_service_or_its_page(client, group, organiser):
    event = EventFactory(group=group, is_published=False)
    services.event_cancel(event=event)
    client.force_login(organiser)

    with pytest.raises(services.EventError) as refused:
        services.event_publish(event=event)  # the object still says "not cancelled"
    response = client.post(tool_url("publish", event))

    assert refused.value.message == "A cancelled event can't be published."
    assert messages_of(response) == ["A cancelled event can't be published."]
    assert not Event.objects.get(pk=event.pk).is_published


# --- Cancelling, messages, attendees, check-in -------------------------------------------------


def test_cancelling_tells_everyone_going_or_waiting_once(
    client, group, organiser, smtp_server, django_capture_on_commit_callbacks
):
    event = EventFactory(group=group, capacity=1, title="Harbour walk")
    going, waiting, declined = active_member(), active_member(), active_member()
    services.rsvp_respond(event=event, member=going, response="yes")
    services.rsvp_respond(event=event, member=waiting, response="yes")
    services.rsvp_respond(event=event, member=declined, response="no")
    client.force_login(organiser)

    assert client.post(tool_url("cancel", event), {"reason": ""}).status_code == 200  # unticked
    with django_capture_on_commit_callbacks(execute=True):
        client.post(tool_url("cancel", event), {"reason": "The venue flooded.", "confirm": "on"})
        client.post(tool_url("cancel", event), {"reason": "Again", "confirm": "on"})

    event.refresh_from_db()
    assert event.is_cancelled and event.cancel_reason == "The venue flooded."
    for person in (going, waiting):
        [mail] = [m for m in smtp_server.to(person.email) if "Cancelled" in m["Subject"]]
        assert mail["Subject"] == "Cancelled: Harbour walk"
        assert "The venue flooded." in message_text(mail)
    assert smtp_server.to(declined.email) == []


def test_a_message_reaches_everyone_going_and_is_rate_limited(
    client, group, organiser, smtp_server, django_capture_on_commit_callbacks
):
    event = EventFactory(group=group, capacity=1)
    going, waiting = active_member(), active_member()
    services.rsvp_respond(event=event, member=going, response="yes")
    services.rsvp_respond(event=event, member=waiting, response="yes")
    client.force_login(organiser)
    smtp_server.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            tool_url("message", event), {"subject": "New room\r\nBcc: x", "body": "Upstairs now."}
        )

    assert response.status_code == 302
    [mail] = smtp_server.to(going.email)
    assert mail["Subject"].endswith("New room Bcc: x")  # one line, never a new header
    assert mail["Bcc"] is None
    assert "Upstairs now." in message_text(mail)
    assert mail["List-Unsubscribe"] is None  # transactional
    assert smtp_server.to(waiting.email) == []
    for n in range(EventMessage.PER_EVENT_PER_DAY - 1):
        client.post(tool_url("message", event), {"subject": f"Note {n}", "body": "Hello."})
    response = client.post(tool_url("message", event), {"subject": "One more", "body": "Hello."})
    assert "3 messages a day" in response.content.decode()
    assert EventMessage.objects.count() == EventMessage.PER_EVENT_PER_DAY


def test_the_csv_has_names_and_what_people_chose_to_share_never_emails(client, group, organiser):
    event = EventFactory(group=group, capacity=2)
    sharer, private, waiting = active_member(), active_member(), active_member()
    sharer.profile.contact_details = "07700 900123"
    sharer.profile.display_name = "=HYPERLINK(1)"
    sharer.profile.save()
    private.profile.contact_details = "secret 07700 900999"
    private.profile.save()
    services.rsvp_respond(event=event, member=sharer, response="yes", share_contact=True)
    services.rsvp_respond(event=event, member=private, response="yes")
    services.rsvp_respond(event=event, member=waiting, response="yes")
    client.force_login(organiser)

    response = client.get(tool_url("attendees_csv", event))

    body = response.content.decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert response["Content-Type"].startswith("text/csv")
    assert rows[0][0] == "Name"
    assert len(rows) == 4
    assert "07700 900123" in body and "900999" not in body
    assert "'=HYPERLINK(1)" in body  # a spreadsheet won't run it
    for person in (sharer, private, waiting):
        assert person.email not in body
    assert rows[3][4] == "on the waitlist" and rows[3][5] == "1"


def test_check_in_from_the_door(client, group, organiser):
    event = EventFactory(group=group, starts_at=timezone.now() + timedelta(hours=1))
    ann, ben = active_member(), active_member()
    a = services.rsvp_respond(event=event, member=ann, response="yes").rsvp
    b = services.rsvp_respond(event=event, member=ben, response="yes").rsvp
    client.force_login(organiser)
    url = lambda r: reverse("events:checkin_mark", kwargs={"slug": event.slug, "rsvp_id": r.pk})  # noqa: E731

    client.post(url(a), {"mark": "attended"})
    client.post(url(b), {"mark": "no_show"})
    page = client.get(tool_url("checkin", event)).content.decode()

    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.attended, b.attended) == (True, False)
    assert "1 of 2 checked in" in page


def test_check_in_opens_three_hours_before(client, group, organiser):
    event = EventFactory(group=group, starts_at=in_days(2))
    rsvp = services.rsvp_respond(event=event, member=active_member(), response="yes").rsvp
    client.force_login(organiser)

    response = client.post(
        reverse("events:checkin_mark", kwargs={"slug": event.slug, "rsvp_id": rsvp.pk}),
        {"mark": "attended"},
    )

    assert "Check-in opens three hours before" in messages_of(response)[0]
    rsvp.refresh_from_db()
    assert rsvp.attended is None


def test_an_organiser_cannot_check_in_someone_at_another_event(client, group, organiser):
    mine = EventFactory(group=group, starts_at=timezone.now() + timedelta(hours=1))
    theirs = EventFactory(starts_at=timezone.now() + timedelta(hours=1))
    rsvp = services.rsvp_respond(event=theirs, member=active_member(), response="yes").rsvp
    client.force_login(organiser)

    response = client.post(
        reverse("events:checkin_mark", kwargs={"slug": mine.slug, "rsvp_id": rsvp.pk}),
        {"mark": "attended"},
    )

    assert response.status_code == 404
    assert not EmailDelivery.objects.filter(kind="x").exists()
