"""The one door to Stripe: the only module that imports `stripe`.

It builds the `StripeClient` (honouring `STRIPE_API_BASE`, for the offline stand-in), makes
every call the site needs, and turns Stripe's objects into small plain values. It copes with
both the current API shapes (period end on subscription items, the invoice's subscription
under `parent.subscription_details`) and the older shapes that localstripe returns.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stripe
from django.conf import settings

from core.transactions import in_transaction

logger = logging.getLogger(__name__)


class StripeUnavailable(Exception):
    """Stripe could not be reached or refused the call; nothing was created on our side."""


class StripeCallInTransaction(RuntimeError):
    """A call to Stripe was made inside a database transaction (a bug in the caller).

    A network call inside a transaction holds its row locks (and a database connection) for
    as long as Stripe takes to answer, up to the client's timeout and retries; and if the
    transaction then rolls back, Stripe keeps what was done. Fetch or create first, then
    write what Stripe said in a short transaction of its own (see `billing.services`).
    """


class StripeSignatureError(Exception):
    """A webhook body whose signature, timestamp or JSON does not check out."""


@dataclass(frozen=True)
class SubscriptionState:
    id: str
    customer_id: str
    status: str
    current_period_end: datetime | None
    cancel_at_period_end: bool


@dataclass(frozen=True)
class WebhookEvent:
    id: str
    type: str
    object: Any

    def field(self, *path: str) -> Any:
        return dig(self.object, *path)


def get_client() -> stripe.StripeClient:
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY or "sk_test_missing",
        base_addresses={"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None,
        # A stand-in answers 409 on id conflicts, which the SDK would retry.
        max_network_retries=0 if settings.STRIPE_API_BASE else 2,
    )


def dig(obj: Any, *path: str) -> Any:
    """Read a nested field of a Stripe object or dict; None where any step is missing."""
    for key in path:
        if obj is None:
            return None
        try:
            obj = obj[key]
        except (KeyError, TypeError, IndexError):
            return None
    return obj


def _timestamp(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


def _call(description: str, func, *args, **kwargs):
    if in_transaction():
        raise StripeCallInTransaction(f"Stripe {description} called inside a transaction.")
    try:
        return func(*args, **kwargs)
    except stripe.StripeError as error:
        logger.warning("Stripe call failed: %s", description, extra={"error": str(error)})
        raise StripeUnavailable(str(error)) from error


def customer_create(*, email: str, user_id: int) -> str:
    customer = _call(
        "customers.create",
        get_client().v1.customers.create,
        {"email": email, "metadata": {"user_id": str(user_id)}},
        {"idempotency_key": f"mutual-customer-user-{user_id}"},
    )
    return customer.id


def checkout_session_create(
    *, customer_id: str, user_id: int, success_url: str, cancel_url: str, attempt: str
) -> str:
    """Start a Checkout Session for the membership; returns the hosted page's URL."""
    session = _call(
        "checkout.sessions.create",
        get_client().v1.checkout.sessions.create,
        {
            "mode": "subscription",
            "customer": customer_id,
            "client_reference_id": str(user_id),
            "line_items": [{"price": settings.STRIPE_PRICE_ID, "quantity": 1}],
            "success_url": success_url,
            "cancel_url": cancel_url,
            "subscription_data": {"metadata": {"user_id": str(user_id)}},
        },
        {"idempotency_key": f"mutual-checkout-{user_id}-{attempt}"},
    )
    return session.url


def portal_session_create(*, customer_id: str, return_url: str) -> str:
    session = _call(
        "billing_portal.sessions.create",
        get_client().v1.billing_portal.sessions.create,
        {"customer": customer_id, "return_url": return_url},
    )
    return session.url


def subscription_retrieve(subscription_id: str) -> SubscriptionState:
    subscription = _call(
        "subscriptions.retrieve", get_client().v1.subscriptions.retrieve, subscription_id
    )
    return subscription_state(subscription)


def subscription_cancel(subscription_id: str) -> SubscriptionState:
    subscription = _call(
        "subscriptions.cancel", get_client().v1.subscriptions.cancel, subscription_id
    )
    return subscription_state(subscription)


def subscription_resume(subscription_id: str) -> SubscriptionState:
    """Undo a cancellation at the period's end: the subscription renews again. Asking twice
    is harmless (Stripe sets the same value)."""
    subscription = _call(
        "subscriptions.update",
        get_client().v1.subscriptions.update,
        subscription_id,
        {"cancel_at_period_end": False},
    )
    return subscription_state(subscription)


def subscription_state(subscription: Any) -> SubscriptionState:
    # Current API: the period lives on each item; older API (and localstripe): top level.
    item_ends = [
        dig(item, "current_period_end") for item in (dig(subscription, "items", "data") or [])
    ]
    period_end = max((end for end in item_ends if end), default=None) or dig(
        subscription, "current_period_end"
    )
    customer = dig(subscription, "customer")
    return SubscriptionState(
        id=dig(subscription, "id"),
        customer_id=customer if isinstance(customer, str) else dig(customer, "id"),
        status=dig(subscription, "status") or "",
        current_period_end=_timestamp(period_end),
        cancel_at_period_end=bool(dig(subscription, "cancel_at_period_end")),
    )


def invoice_subscription_id(invoice: Any) -> str | None:
    """The subscription an invoice belongs to, in the current or the older API shape."""
    subscription = dig(invoice, "parent", "subscription_details", "subscription") or dig(
        invoice, "subscription"
    )
    return (
        subscription if isinstance(subscription, str) or subscription is None else subscription.id
    )


def construct_event(*, payload: bytes, signature: str | None, secret: str) -> WebhookEvent:
    try:
        event = get_client().construct_event(payload, signature or "", secret)
    except (ValueError, stripe.SignatureVerificationError) as error:
        raise StripeSignatureError(str(error)) from error
    return WebhookEvent(id=event.id, type=event.type, object=event.data.object)


def is_live_key(key: str) -> bool:
    return key.startswith(("sk_live_", "rk_live_"))
