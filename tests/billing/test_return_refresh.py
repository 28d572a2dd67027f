"""Back from Stripe's portal, the membership page shows what the member just did there
(without waiting for the webhook); a membership cancelled at the period's end can be
resumed from our own page; the portal is offered only when there is something in it.

Stripe is the offline stand-in (localstripe) over HTTP; its webhooks go nowhere here, so
anything the page shows after the portal came from asking Stripe on the way back.
"""

import re
import urllib.parse
import urllib.request
from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import ActorKind, AuditEntry
from billing import services as billing
from billing.models import Membership
from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db

PORTAL_BUTTON = "Update card, see receipts or cancel"
RESUME = "Resume my membership"


@pytest.fixture
def member(client, stripe_standin):
    """A paying member, in step with the stand-in as of a minute ago."""
    user = UserFactory()
    customer_id = stripe_standin.customer(user.email)
    subscription = stripe_standin.subscribe(customer_id)
    Membership.objects.create(
        user=user, stripe_customer_id=customer_id, stripe_subscription_id=subscription.id
    )
    billing.subscription_sync(subscription_id=subscription.id)
    Membership.objects.filter(user=user).update(synced_at=timezone.now() - timedelta(minutes=1))
    client.force_login(user)
    return user


def membership(user) -> Membership:
    return Membership.objects.get(user=user)


def portal(client) -> str:
    """Open the portal from the membership page; returns the portal page's address."""
    response = client.post(reverse("billing:portal"))
    assert response.status_code == 303
    return response["Location"]


def portal_do(portal_url: str, subscription_id: str, action: str) -> str:
    """Press a button in the stand-in's portal, as the member would; returns the page."""
    data = urllib.parse.urlencode({"action": action, "subscription": subscription_id}).encode()
    with urllib.request.urlopen(portal_url, data=data, timeout=5) as response:
        return response.read().decode()


def return_link(portal_page: str) -> str:
    """The portal's "Return to Mutual" link, as a path on our site."""
    match = re.search(r'<a href="([^"]+)">Return to Mutual</a>', portal_page)
    assert match is not None
    href = unescape(match.group(1))
    parts = urllib.parse.urlsplit(href)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def test_back_from_cancelling_in_the_portal_the_page_says_it_ends_at_once(client, member):
    subscription_id = membership(member).stripe_subscription_id
    page = portal_do(portal(client), subscription_id, "cancel_at_period_end")
    assert not membership(member).cancel_at_period_end  # no webhook has told us

    response = client.get(return_link(page), follow=True)

    assert response.redirect_chain == [(reverse("billing:detail"), 302)]
    body = response.content.decode()
    assert "Ends on" in body
    assert "Renews on" not in body
    assert RESUME in body
    assert membership(member).cancel_at_period_end
    entry = AuditEntry.objects.for_target(membership(member)).first()
    assert entry.actor == member
    assert entry.actor_kind == ActorKind.MEMBER
    assert entry.after == {"cancel_at_period_end": True}


def test_without_the_portal_s_marker_the_page_does_not_ask_stripe(client, member, stripe_standin):
    stripe_standin.set_subscription(
        membership(member).stripe_subscription_id, cancel_at_period_end=True
    )

    body = client.get(reverse("billing:detail")).content.decode()

    assert "Renews on" in body  # what the row says until a webhook or the return
    assert not membership(member).cancel_at_period_end


def test_coming_back_twice_in_a_few_seconds_asks_stripe_once(client, member, stripe_standin):
    subscription_id = membership(member).stripe_subscription_id
    client.get(reverse("billing:detail") + "?from=portal")
    stripe_standin.set_subscription(subscription_id, cancel_at_period_end=True)

    client.get(reverse("billing:detail") + "?from=portal")

    assert not membership(member).cancel_at_period_end


def test_when_stripe_cannot_be_reached_on_the_way_back_the_page_still_opens_and_says_so(
    client, member, settings
):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"

    response = client.get(reverse("billing:detail") + "?from=portal", follow=True)

    assert response.status_code == 200
    body = response.content.decode()
    assert "couldn&#x27;t check with Stripe just now" in body
    assert "Renews on" in body


def test_resuming_on_our_page_asks_stripe_and_the_membership_renews_again(
    client, member, stripe_standin
):
    subscription_id = membership(member).stripe_subscription_id
    portal_do(portal(client), subscription_id, "cancel_at_period_end")
    client.get(reverse("billing:detail") + "?from=portal")
    assert membership(member).cancel_at_period_end

    response = client.post(reverse("billing:resume"), follow=True)

    body = response.content.decode()
    assert "Your membership carries on" in body
    assert "Renews on" in body
    assert RESUME not in body
    assert PORTAL_BUTTON in body
    assert stripe_standin.subscription(subscription_id).cancel_at_period_end is False
    assert membership(member).cancel_at_period_end is False
    latest = AuditEntry.objects.for_target(membership(member)).first()
    assert (latest.actor, latest.after) == (member, {"cancel_at_period_end": False})
    assert latest.reason == "Resumed on the membership page"


def test_resuming_twice_is_harmless(client, member, stripe_standin):
    subscription_id = membership(member).stripe_subscription_id
    stripe_standin.set_subscription(subscription_id, cancel_at_period_end=True)
    Membership.objects.filter(user=member).update(cancel_at_period_end=True)
    entries = AuditEntry.objects.for_target(membership(member)).count()

    first = client.post(reverse("billing:resume"))
    second = client.post(reverse("billing:resume"), follow=True)

    assert first.status_code == second.redirect_chain[0][1] == 302
    assert "Your membership carries on" in second.content.decode()
    assert membership(member).cancel_at_period_end is False
    assert AuditEntry.objects.for_target(membership(member)).count() == entries + 1


def test_resuming_needs_no_stripe_call_inside_a_transaction(client, member, stripe_standin):
    """The one door refuses a Stripe call inside a transaction (StripeCallInTransaction):
    the service asks first, then writes."""
    subscription_id = membership(member).stripe_subscription_id
    stripe_standin.set_subscription(subscription_id, cancel_at_period_end=True)
    Membership.objects.filter(user=member).update(cancel_at_period_end=True)

    assert billing.membership_resume(user=member).cancel_at_period_end is False


@pytest.mark.parametrize("status", ["canceled", ""])
def test_an_ended_or_never_started_membership_has_nothing_to_resume(client, status):
    user = UserFactory()
    Membership.objects.create(
        user=user,
        status=status,
        cancel_at_period_end=True,
        stripe_customer_id="cus_x",
        stripe_subscription_id="sub_x" if status else None,
    )
    client.force_login(user)

    response = client.post(reverse("billing:resume"), follow=True)

    assert response.status_code == 200
    assert "no running membership to resume" in response.content.decode()


def test_the_resume_button_shows_only_for_a_membership_ending_with_its_period(client, member):
    assert RESUME not in client.get(reverse("billing:detail")).content.decode()

    Membership.objects.filter(user=member).update(cancel_at_period_end=True)
    body = client.get(reverse("billing:detail")).content.decode()

    assert RESUME in body
    assert reverse("billing:resume") in body
    assert "Update card or see receipts" in body  # cancelling again means nothing


def test_the_portal_is_offered_only_when_there_is_something_in_it(client):
    user = UserFactory()
    client.force_login(user)
    # Checkout started and abandoned: a Stripe customer, but no subscription, card or receipt.
    Membership.objects.create(user=user, stripe_customer_id="cus_abandoned")
    body = client.get(reverse("billing:detail")).content.decode()
    assert reverse("billing:portal") not in body

    Membership.objects.filter(user=user).update(
        stripe_subscription_id="sub_1", status="active", current_period_end=timezone.now()
    )
    assert PORTAL_BUTTON in client.get(reverse("billing:detail")).content.decode()

    Membership.objects.filter(user=user).update(status="canceled")
    body = client.get(reverse("billing:detail")).content.decode()
    assert PORTAL_BUTTON not in body
    assert "See past receipts" in body


def test_the_portal_sends_the_member_back_with_the_marker(client, member):
    page = urllib.request.urlopen(portal(client), timeout=5).read().decode()

    assert return_link(page) == reverse("billing:detail") + "?from=portal"
