"""The Stripe webhook: signatures, exactly-once processing and re-fetching the truth.

Events are synthetic and signed with the real scheme; every re-fetch goes over HTTP to the
offline stand-in, whose state the tests arrange.
"""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from billing.models import Membership, StripeEvent
from mail.models import EmailDelivery
from tests.billing.stripe_helpers import (
    event_payload,
    invoice_object,
    post_event,
    subscription_object,
)
from tests.conftest import message_text
from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def paying(stripe_standin):
    """A member with a Stripe customer and a paid subscription in the stand-in."""
    user = UserFactory()
    customer_id = stripe_standin.customer(user.email)
    membership = Membership.objects.create(user=user, stripe_customer_id=customer_id)
    subscription = stripe_standin.subscribe(customer_id)
    return membership, subscription


def test_a_subscription_event_stores_what_stripe_says_now_not_what_the_payload_says(client, paying):
    membership, subscription = paying
    stale = subscription_object(subscription.id, membership.stripe_customer_id, "incomplete")

    response = post_event(client, event_payload("customer.subscription.created", stale))

    assert response.status_code == 200
    assert response.json() == {"result": "processed"}
    membership.refresh_from_db()
    assert membership.status == "active"
    assert membership.is_active()
    assert membership.stripe_subscription_id == subscription.id
    assert membership.current_period_end > timezone.now()


def test_checkout_completed_links_the_customer_from_the_client_reference(client, stripe_standin):
    user = UserFactory()
    customer_id = stripe_standin.customer(user.email)
    subscription = stripe_standin.subscribe(customer_id)
    session = {
        "id": "cs_test_1",
        "object": "checkout.session",
        "client_reference_id": str(user.pk),
        "customer": customer_id,
        "subscription": subscription.id,
        "mode": "subscription",
    }

    response = post_event(client, event_payload("checkout.session.completed", session))

    assert response.status_code == 200
    assert user.membership.stripe_customer_id == customer_id
    assert user.membership.is_active()


def test_replaying_the_same_event_twenty_times_changes_nothing(client, paying):
    membership, subscription = paying
    payload = event_payload(
        "customer.subscription.updated",
        subscription_object(subscription.id, membership.stripe_customer_id),
    )
    assert post_event(client, payload).json() == {"result": "processed"}
    membership.refresh_from_db()
    first = (membership.status, membership.synced_at)

    for _ in range(20):
        response = post_event(client, payload)
        assert response.status_code == 200
        assert response.json() == {"result": "duplicate"}

    membership.refresh_from_db()
    assert (membership.status, membership.synced_at) == first
    assert StripeEvent.objects.count() == 1


def test_out_of_order_events_converge_on_the_truth(client, paying, stripe_standin):
    membership, subscription = paying
    stripe_standin.set_subscription(subscription.id, status="canceled")
    customer = membership.stripe_customer_id

    deleted = subscription_object(subscription.id, customer, "canceled")
    created_earlier = subscription_object(subscription.id, customer, "active")
    post_event(client, event_payload("customer.subscription.deleted", deleted))
    post_event(client, event_payload("customer.subscription.created", created_earlier))

    membership.refresh_from_db()
    assert membership.status == "canceled"
    assert not membership.is_active()


def test_a_late_event_about_an_old_subscription_does_not_end_the_new_one(
    client, paying, stripe_standin
):
    membership, old = paying
    stripe_standin.set_subscription(old.id, status="canceled")
    new = stripe_standin.subscribe(membership.stripe_customer_id)
    customer = membership.stripe_customer_id
    post_event(
        client,
        event_payload("customer.subscription.created", subscription_object(new.id, customer)),
    )

    post_event(
        client,
        event_payload("customer.subscription.deleted", subscription_object(old.id, customer)),
    )

    membership.refresh_from_db()
    assert membership.stripe_subscription_id == new.id
    assert membership.is_active()


@pytest.mark.parametrize("legacy_shape", [False, True])
def test_invoice_paid_syncs_in_both_api_shapes(client, paying, legacy_shape):
    membership, subscription = paying
    invoice = invoice_object("in_1", subscription.id, legacy=legacy_shape)

    response = post_event(client, event_payload("invoice.paid", invoice))

    assert response.json() == {"result": "processed"}
    membership.refresh_from_db()
    assert membership.status == "active"


def test_a_failed_payment_sends_one_email_per_attempt_and_opens_the_grace_period(
    client, paying, stripe_standin, smtp_server, django_capture_on_commit_callbacks
):
    membership, subscription = paying
    stripe_standin.set_subscription(subscription.id, status="past_due")
    failed = invoice_object("in_42", subscription.id, attempt_count=1)
    payload = event_payload("invoice.payment_failed", failed)

    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, payload)
    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, payload)  # the same delivery again

    membership.refresh_from_db()
    assert membership.status == "past_due"
    assert membership.past_due_since is not None
    assert membership.is_active()  # still inside the grace period
    [message] = smtp_server.to(membership.user.email)
    assert "update your card" in message_text(message).lower()
    assert "http://testserver/billing/" in message_text(message)
    assert message["List-Unsubscribe"] is None  # transactional: no unsubscribe

    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, event_payload("invoice.payment_failed", {**failed, "attempt_count": 2}))
    assert len(smtp_server.to(membership.user.email)) == 2
    assert EmailDelivery.objects.filter(kind="payment_failed", status="sent").count() == 2


def test_unknown_event_types_are_acknowledged_and_not_recorded(client, paying):
    response = post_event(client, event_payload("customer.created", {"id": "cus_x"}))

    assert response.status_code == 200
    assert response.json() == {"result": "ignored"}
    assert not StripeEvent.objects.exists()


@pytest.mark.parametrize(
    "tamper",
    ["wrong secret", "tampered body", "stale timestamp", "missing header", "not json"],
)
def test_bad_signatures_are_refused_with_400(client, paying, tamper):
    membership, subscription = paying
    payload = event_payload(
        "customer.subscription.updated",
        subscription_object(subscription.id, membership.stripe_customer_id),
    )
    if tamper == "wrong secret":
        response = post_event(client, payload, secret="whsec_someone_else")
    elif tamper == "tampered body":
        import stripe

        header = stripe.WebhookSignature.generate_signature_header(payload, "whsec_mutual_tests")
        response = client.post(
            "/billing/webhook/",
            data=payload.replace('"active"', '"canceled"'),
            content_type="application/json",
            headers={"Stripe-Signature": header},
        )
    elif tamper == "stale timestamp":
        response = post_event(client, payload, timestamp=int(time.time()) - 301)
    elif tamper == "missing header":
        response = client.post("/billing/webhook/", data=payload, content_type="application/json")
    else:
        response = post_event(client, "this is not json")

    assert response.status_code == 400
    assert not StripeEvent.objects.exists()
    membership.refresh_from_db()
    assert membership.status == ""


def test_when_stripe_cannot_be_reached_the_event_fails_whole_and_succeeds_on_retry(
    client, paying, settings
):
    membership, subscription = paying
    payload = event_payload(
        "customer.subscription.created",
        subscription_object(subscription.id, membership.stripe_customer_id),
    )
    standin_url = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"

    response = post_event(client, payload)

    assert response.status_code == 500
    assert not StripeEvent.objects.exists()
    membership.refresh_from_db()
    assert membership.status == ""

    settings.STRIPE_API_BASE = standin_url
    assert post_event(client, payload).json() == {"result": "processed"}
    membership.refresh_from_db()
    assert membership.is_active()


def test_the_webhook_needs_no_csrf_token(paying):
    from django.test import Client

    membership, subscription = paying
    client = Client(enforce_csrf_checks=True)
    payload = event_payload(
        "customer.subscription.created",
        subscription_object(subscription.id, membership.stripe_customer_id),
    )

    assert post_event(client, payload).status_code == 200


@pytest.mark.parametrize(
    ("status", "days_past_due", "active"),
    [
        ("active", None, True),
        ("trialing", None, True),
        ("past_due", 6.99, True),
        ("past_due", 7.01, False),
        ("canceled", None, False),
        ("unpaid", None, False),
        ("incomplete", None, False),
        ("", None, False),
    ],
)
def test_who_counts_as_an_active_member(status, days_past_due, active):
    now = timezone.now()
    since = now - timedelta(days=days_past_due) if days_past_due is not None else None
    membership = Membership.objects.create(user=UserFactory(), status=status, past_due_since=since)

    assert membership.is_active(now=now) is active
    assert Membership.objects.active(now=now).filter(pk=membership.pk).exists() is active


def test_staff_can_resync_a_membership_from_stripe_in_the_admin(client, paying, stripe_standin):
    membership, subscription = paying
    membership.stripe_subscription_id = subscription.id
    membership.save()
    stripe_standin.set_subscription(subscription.id, cancel_at_period_end=True)
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    session = client.session
    session["account_authentication_methods"] = [{"method": "mfa", "at": time.time()}]
    session["account_authentication_methods_user"] = str(staff.pk)
    session.save()
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(staff, generate_totp_secret())

    response = client.post(
        "/admin/billing/membership/",
        {"action": "resync_from_stripe", "_selected_action": [membership.pk]},
        follow=True,
    )

    assert "Resynced 1, failed 0." in response.content.decode()
    membership.refresh_from_db()
    assert membership.status == "active"
    assert membership.cancel_at_period_end


def test_memberships_are_read_only_in_the_admin(client, paying):
    membership, _subscription = paying
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    session = client.session
    session["account_authentication_methods"] = [{"method": "mfa", "at": time.time()}]
    session["account_authentication_methods_user"] = str(staff.pk)
    session.save()
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(staff, generate_totp_secret())
    url = f"/admin/billing/membership/{membership.pk}/change/"

    assert client.get(url).status_code == 200
    client.post(url, {"status": "active"})

    membership.refresh_from_db()
    assert membership.status == ""
