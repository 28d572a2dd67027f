"""Organisers inviting people without ever spamming anyone."""

import html
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from events import services
from events.models import EventInvite
from events.services.invites import DAILY_CAP
from mail.models import AddressOptOut, EmailDelivery, SuppressedAddress
from mail.services import stream_set
from mail.streams import Stream
from tests.conftest import message_text
from tests.events.factories import EventFactory, active_member, interest, join_group

pytestmark = pytest.mark.django_db


def opted_in(user):
    stream_set(user=user, stream=Stream.EVENT_INVITES, on=True, source="settings")
    return user


def invite_url(event) -> str:
    return reverse("events:invite", kwargs={"slug": event.slug})


@pytest.fixture
def group_event(group):
    return EventFactory(group=group, title="Harbour walk", interests=[interest("marketing")])


def test_preview_counts_who_is_invited_and_who_is_skipped_and_why_then_sends_nothing(
    client, group, organiser, group_event
):
    yes_please = opted_in(active_member())
    not_opted = active_member()
    for person in (yes_please, not_opted):
        join_group(group, person)
    SuppressedAddress.objects.create(email="bounced@example.net", reason="hard_bounce")
    AddressOptOut.objects.create(email="gone@example.net", stream=Stream.EVENT_INVITES)
    client.force_login(organiser)

    response = client.post(
        invite_url(group_event),
        {
            "group_members": "on",
            "addresses": "friend@example.net, bounced@example.net\ngone@example.net not-an-email",
            "note": "Do come!",
            "action": "preview",
        },
    )

    plan = response.context["plan"]
    assert {c.email for c in plan.recipients} == {yes_please.email, "friend@example.net"}
    # Reasons for the group's members; the pasted addresses skipped are skipped silently.
    assert dict(plan.skipped_reasons) == {
        "haven't agreed to event invitations by email, or unsubscribed": 1,
        "that's you": 1,
    }
    assert plan.invalid == ["not-an-email"]
    page = html.unescape(response.content.decode())
    assert "4 people will be invited" in page
    assert "Do come!" in page
    assert not_opted.email not in page and yes_please.email not in page
    assert not EventInvite.objects.exists() and not EmailDelivery.objects.exists()


def test_sending_invites_members_and_guests_with_personal_links_and_list_headers(
    client, group, organiser, group_event, smtp_server, django_capture_on_commit_callbacks
):
    member = opted_in(active_member())
    join_group(group, member)
    client.force_login(organiser)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            invite_url(group_event),
            {"group_members": "on", "addresses": "Friend@Example.net", "action": "send"},
        )

    assert response.status_code == 302
    assert set(EventInvite.objects.values_list("email", flat=True)) == {
        member.email,
        "friend@example.net",
    }
    [to_member] = smtp_server.to(member.email)
    [to_guest] = smtp_server.to("friend@example.net")
    for mail in (to_member, to_guest):
        assert "invites you: Harbour walk" in mail["Subject"]
        assert mail["List-Unsubscribe"] and mail["List-Unsubscribe-Post"]
        assert re.search(r"/events/[\w-]+/\?invite=\S+", message_text(mail))
    assert "Join Mutual" in message_text(to_guest)
    assert "Join Mutual" not in message_text(to_member)
    # The personal link greets them on the event page.
    link = re.search(r"http://testserver(/events/\S+\?invite=\S+)", message_text(to_guest)).group(1)
    page = html.unescape(client.get(link).content.decode())
    assert "invited you to this event" in page


def test_nobody_is_invited_twice_to_the_same_event(
    client, group, organiser, group_event, smtp_server, django_capture_on_commit_callbacks
):
    client.force_login(organiser)
    data = {"addresses": "friend@example.net", "action": "send"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(invite_url(group_event), data)
        client.post(invite_url(group_event), data)
        second_organiser = services.invites_send(
            event=group_event,
            sender=active_member(is_staff=True),
            addresses="FRIEND@example.net",
        )

    assert len(smtp_server.to("friend@example.net")) == 1
    assert EventInvite.objects.count() == 1
    # Told it went, like any pasted address: nothing says someone invited them already.
    assert second_organiser.skipped_reasons == []
    assert (second_organiser.announced, second_organiser.recipients) == (1, [])


def test_members_who_already_replied_are_not_invited(group, organiser, group_event):
    member = opted_in(active_member())
    join_group(group, member)
    services.rsvp_respond(event=group_event, member=member, response="yes")

    plan = services.invite_plan(event=group_event, sender=organiser, group_members=True)

    assert plan.recipients == []


def test_a_pasted_address_of_a_member_who_has_not_opted_in_is_skipped_silently(
    organiser, group_event
):
    member = active_member()

    plan = services.invite_plan(event=group_event, sender=organiser, addresses=member.email)

    assert plan.recipients == []
    assert plan.skipped == {}
    assert plan.announced == 1


def test_interest_matches_are_active_members_sharing_the_events_interests(organiser, group_event):
    sharing = opted_in(active_member())
    sharing.profile.interests.set([interest("marketing"), interest("yoga")])
    other = opted_in(active_member())
    other.profile.interests.set([interest("yoga")])

    plan = services.invite_plan(event=group_event, sender=organiser, interest_matches=True)

    assert [c.member_id for c in plan.recipients] == [sharing.pk]


def test_at_most_200_invitations_per_organiser_per_day(organiser, group_event):
    other_event = EventFactory()
    EventInvite.objects.bulk_create(
        EventInvite(
            event=other_event,
            email=f"earlier{n}@example.net",
            invited_by=organiser,
            source="address",
            created_at=timezone.now(),
        )
        for n in range(DAILY_CAP - 2)
    )
    addresses = "\n".join(f"new{n}@example.net" for n in range(5))

    plan = services.invites_send(event=group_event, sender=organiser, addresses=addresses)

    assert len(plan.recipients) == 2
    assert plan.skipped == {"over_cap": 3}
    assert EventInvite.objects.filter(invited_by=organiser).count() == DAILY_CAP
    again = services.invite_plan(event=group_event, sender=organiser, addresses="late@example.net")
    assert again.recipients == [] and again.remaining_today == 0


def test_the_outbox_skips_a_guest_who_unsubscribes_before_the_invite_goes(
    organiser, group_event, smtp_server, django_capture_on_commit_callbacks
):
    services.invites_send(event=group_event, sender=organiser, addresses="friend@example.net")
    AddressOptOut.objects.create(email="friend@example.net", stream=Stream.EVENT_INVITES)

    from mail.services import deliveries_send

    delivery = EmailDelivery.objects.get(kind="events_invite")
    deliveries_send(delivery_ids=[delivery.pk])

    delivery.refresh_from_db()
    assert delivery.status == "skipped"
    assert smtp_server.to("friend@example.net") == []


def test_invites_are_refused_for_cancelled_events(client, group, organiser, group_event):
    services.event_cancel(event=group_event)
    client.force_login(organiser)

    response = client.get(invite_url(group_event))

    assert response.status_code == 302
    assert response["Location"] == group_event.get_absolute_url()


@pytest.mark.parametrize(
    "closed",
    [
        pytest.param(lambda e: services.event_cancel(event=e), id="cancelled"),
        pytest.param(
            lambda e: type(e).objects.filter(pk=e.pk).update(is_published=False), id="unpublished"
        ),
        pytest.param(
            lambda e: (
                type(e)
                .objects.filter(pk=e.pk)
                .update(starts_at=timezone.now() - timedelta(minutes=5))
            ),
            id="started",
        ),
    ],
)
def test_the_services_refuse_invites_for_an_event_that_is_closed_and_send_nothing(
    group, organiser, group_event, closed
):
    """The service refuses what the page refuses, whoever calls it (and reads the event
    again, so an event object loaded before it was cancelled changes nothing)."""
    member = opted_in(active_member())
    join_group(group, member)
    closed(group_event)
    options = {"group_members": True, "addresses": "friend@example.net"}

    with pytest.raises(services.InvitesClosed) as refused:
        services.invites_send(event=group_event, sender=organiser, **options)
    fresh = type(group_event).objects.get(pk=group_event.pk)
    with pytest.raises(services.InvitesClosed):
        services.invite_plan(event=fresh, sender=organiser, **options)

    assert "published events that haven't started" in refused.value.message
    assert not EventInvite.objects.exists() and not EmailDelivery.objects.exists()


def test_invites_page_says_why_the_service_refused(client, organiser, group_event):
    services.event_cancel(event=group_event)
    client.force_login(organiser)

    response = client.post(
        invite_url(group_event),
        {"addresses": "friend@example.net", "action": "send"},
        follow=True,
    )

    assert "published events that haven't started" in html.unescape(response.content.decode())
    assert not EventInvite.objects.exists()


def test_choosing_nobody_is_a_clear_error(client, organiser, group_event):
    client.force_login(organiser)

    response = client.post(invite_url(group_event), {"action": "preview"})

    assert "Choose who to invite." in response.content.decode()


def test_pasted_addresses_look_the_same_whether_or_not_they_belong_to_a_member(
    client, group, organiser, group_event, smtp_server, django_capture_on_commit_callbacks
):
    """Member or not, declined invitations or replied already: the organiser sees the same
    preview and the same result; only the stranger is actually written to."""
    not_opted = active_member()
    replied = opted_in(active_member())
    services.rsvp_respond(event=group_event, member=replied, response="yes")
    AddressOptOut.objects.create(email="declined@example.net", stream=Stream.EVENT_INVITES)
    client.force_login(organiser)

    def preview_and_send(address):
        data = {"addresses": address, "action": "preview"}
        preview = client.post(invite_url(group_event), data)
        with django_capture_on_commit_callbacks(execute=True):
            sent = client.post(invite_url(group_event), {**data, "action": "send"}, follow=True)
        return (
            preview.context["plan"].skipped_reasons,
            re.search(r'<p class="invite-total">(.*?)</p>', preview.content.decode()).group(1),
            [str(m) for m in sent.context["messages"]],
        )

    stranger = preview_and_send("stranger@example.net")
    assert stranger == ([], "1 person will be invited", ["1 invitations are on their way."])
    for address in (not_opted.email, replied.email, "declined@example.net"):
        assert preview_and_send(address) == stranger, address
    assert [m["To"] for m in smtp_server.messages] == ["stranger@example.net"]


def test_sent_today_counts_pasted_addresses_skipped_silently(
    client, organiser, group_event, django_capture_on_commit_callbacks
):
    member = active_member()
    client.force_login(organiser)
    data = {"addresses": f"stranger@example.net {member.email}", "action": "send"}

    with django_capture_on_commit_callbacks(execute=True):
        client.post(invite_url(group_event), data)

    page = client.get(invite_url(group_event)).content.decode()
    assert f"Sent today: 2 of {DAILY_CAP}." in page
    assert services.invite_plan(event=group_event, sender=organiser).remaining_today == (
        DAILY_CAP - 2
    )
