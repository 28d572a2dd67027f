"""Download my data, and delete my account."""

import json

import pytest
from django.urls import reverse

from billing.models import Membership
from discounts.models import Redemption
from discounts.services import offer_redeem
from groups.models import Group, Post
from mail.models import ConsentEvent
from mail.services import stream_set
from mail.streams import Stream
from members.models import User
from tests.conftest import message_text
from tests.discounts.factories import OfferFactory
from tests.groups.factories import GroupFactory, add_member, thread_with_opening
from tests.members.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(client, stripe_standin):
    """A paying member with a live subscription in the stand-in, a group, a post and a code."""
    user = UserFactory(email="leaving@example.org")
    customer = stripe_standin.customer(user.email)
    subscription = stripe_standin.subscribe(customer)
    Membership.objects.create(
        user=user,
        stripe_customer_id=customer,
        stripe_subscription_id=subscription.id,
        status="active",
    )
    group = GroupFactory()
    add_member(group, user)
    thread_with_opening(group, user, body="My words, my choice.")
    offer_redeem(offer=OfferFactory(), member=user)
    from events.services.rsvp import rsvp_respond
    from tests.events.factories import EventFactory

    rsvp_respond(event=EventFactory(group=group), member=user, response="yes")
    stream_set(user=user, stream=Stream.EVENT_INVITES, on=True, source="settings")
    client.force_login(user)
    user.subscription_id = subscription.id
    return user


def test_download_contains_my_data_and_nobody_elses_address(client, member):
    other = UserFactory(email="someone.else@example.org")
    group = Group.objects.get()
    add_member(group, other)

    response = client.get(reverse("privacy:export"))

    assert response["Content-Disposition"].startswith('attachment; filename="mutual-my-data-')
    data = json.loads(response.content)
    assert data["account"]["email"] == "leaving@example.org"
    assert data["membership"]["status"] == "active"
    assert [g["group"] for g in data["groups"]] == [group.name]
    assert data["posts"][0]["body"] == "My words, my choice."
    assert len(data["redemptions"]) == 1
    assert data["consents"][0]["stream"] == "event_invites"
    assert [r["status"] for r in data["rsvps"]] == ["confirmed"]
    assert "someone.else@example.org" not in response.content.decode()


def test_a_wrong_password_deletes_nothing(client, member):
    response = client.post(reverse("privacy:settings"), {"password": "wrong", "confirm": "on"})

    assert response.status_code == 200
    assert "That password isn" in response.content.decode()
    assert User.objects.filter(pk=member.pk).exists()


def test_deleting_cancels_stripe_erases_keeps_counts_and_confirms_by_email(
    client, member, stripe_standin, smtp_server, django_capture_on_commit_callbacks
):
    group = Group.objects.get()
    assert group.member_count == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("privacy:settings"), {"password": PASSWORD, "confirm": "on"})

    assert response.status_code == 200
    assert "Your account is deleted" in response.content.decode()
    assert not User.objects.filter(pk=member.pk).exists()
    assert stripe_standin.subscription(member.subscription_id).status == "canceled"
    assert not ConsentEvent.objects.exists()
    group.refresh_from_db()
    assert group.member_count == 0
    post = Post.objects.get()
    assert (post.author_id, post.body) == (None, "[Removed at the member's request]")
    redemption = Redemption.objects.get()
    assert redemption.member_id is None  # the partner's count survives, anonymously
    from events.models import Event

    assert Event.objects.get().confirmed_places == 0  # their place is given back
    [message] = smtp_server.to("leaving@example.org")
    assert "deleted" in message_text(message)
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("members:profile")).status_code == 302


def test_if_stripe_cannot_be_reached_nothing_is_erased(client, member, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"

    response = client.post(
        reverse("privacy:settings"), {"password": PASSWORD, "confirm": "on"}, follow=True
    )

    assert "nothing was deleted" in response.content.decode()
    assert User.objects.filter(pk=member.pk).exists()
    assert ConsentEvent.objects.filter(user=member).exists()
