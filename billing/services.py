"""Writes for paid membership: Checkout, the Customer Portal and keeping in sync with Stripe.

Access comes only from Stripe's own state: a webhook is a trigger to re-fetch the
subscription, which is then stored under a row lock, so duplicate and out-of-order
deliveries converge on the truth.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit import services as audit
from audit.models import Action, ActorKind
from billing import stripe_api
from billing.emails import welcome_email_on_activation
from billing.models import Membership, StripeEvent
from billing.stripe_api import StripeUnavailable, SubscriptionState, WebhookEvent
from mail.services import email_queue

if TYPE_CHECKING:
    # The type only: at run time this app reaches the (swappable) user model through
    # `get_user_model()` and `settings.AUTH_USER_MODEL`, never by importing `members`.
    from members.models import User

logger = logging.getLogger(__name__)

# Statuses in which a subscription is still alive (or may still become alive).
LIVE_STATUSES = {"active", "trialing", "past_due", "incomplete", "unpaid", "paused"}
SUBSCRIPTION_EVENTS = {
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
}
INVOICE_EVENTS = {"invoice.paid", "invoice.payment_succeeded", "invoice.payment_failed"}
HANDLED_EVENTS = {"checkout.session.completed", *SUBSCRIPTION_EVENTS, *INVOICE_EVENTS}
# What the audit log records of a membership's change: its standing with Stripe.
AUDITED_MEMBERSHIP_FIELDS = ("status", "cancel_at_period_end")


class AlreadyMember(Exception):
    """The person already has an active membership; a second one would charge twice."""


@dataclass(frozen=True)
class WebhookResult:
    outcome: str  # "processed", "duplicate" or "ignored"


def checkout_start(*, user: User, success_url: str, cancel_url: str) -> str:
    """Create or reuse the Stripe customer and start Checkout; returns the Checkout URL.

    Grants nothing: access arrives with the webhook. If Stripe is unreachable,
    `StripeUnavailable` propagates and no membership row is written.
    """
    membership = Membership.objects.filter(user=user).first()
    if membership and membership.is_active():
        raise AlreadyMember
    customer_id = membership.stripe_customer_id if membership else None
    if not customer_id:
        # The idempotency key makes a retried request return the same customer.
        customer_id = stripe_api.customer_create(email=user.email, user_id=user.pk)
        with transaction.atomic(durable=True):
            membership = _membership_link_customer(user=user, customer_id=customer_id)
        # The one linked first (a concurrent request's, perhaps); it is never left empty.
        customer_id = membership.stripe_customer_id or customer_id
    return stripe_api.checkout_session_create(
        customer_id=customer_id,
        user_id=user.pk,
        success_url=success_url,
        cancel_url=cancel_url,
        attempt=secrets.token_hex(8),
    )


def portal_start(*, user: User, return_url: str) -> str:
    membership = Membership.objects.filter(user=user).exclude(stripe_customer_id=None).first()
    if membership is None or membership.stripe_customer_id is None:
        raise Membership.DoesNotExist("This account has no Stripe customer yet.")
    return stripe_api.portal_session_create(
        customer_id=membership.stripe_customer_id, return_url=return_url
    )


@transaction.atomic
def _membership_link_customer(*, user: User, customer_id: str) -> Membership:
    membership, _created = Membership.objects.select_for_update().get_or_create(user=user)
    if not membership.stripe_customer_id:
        membership.stripe_customer_id = customer_id
        membership.save(update_fields=["stripe_customer_id", "updated_at"])
    return membership


def webhook_process(*, event: WebhookEvent) -> WebhookResult:
    """Apply one verified Stripe event, exactly once.

    Stripe is asked for the subscription's state first, outside any transaction (no row is
    locked while the network answers); then the event id is recorded in one short
    transaction with its effect: a duplicate finds the row and does nothing; a failure rolls
    both back, so Stripe's retry starts clean. If Stripe can't be reached, `StripeUnavailable`
    propagates before anything is written.
    """
    if event.type not in HANDLED_EVENTS:
        return WebhookResult("ignored")
    if StripeEvent.objects.filter(id=event.id).exists():
        return WebhookResult("duplicate")  # no need to ask Stripe again
    subscription_id = _subscription_id_of(event)
    state = stripe_api.subscription_retrieve(subscription_id) if subscription_id else None
    try:
        with transaction.atomic(durable=True):
            StripeEvent.objects.create(
                id=event.id, type=event.type, object_id=event.field("id") or ""
            )
            _apply(event, state)
    except IntegrityError:
        if StripeEvent.objects.filter(id=event.id).exists():
            return WebhookResult("duplicate")
        raise
    return WebhookResult("processed")


def _subscription_id_of(event: WebhookEvent) -> str | None:
    """The subscription an event is about, read from its payload (no call to Stripe)."""
    subscription_id: str | None
    if event.type == "checkout.session.completed":
        subscription_id = event.field("subscription")
    elif event.type in SUBSCRIPTION_EVENTS:
        subscription_id = event.field("id")
    else:
        # An invoice: None for a one-off invoice, which is not ours to mirror.
        subscription_id = stripe_api.invoice_subscription_id(event.object)
    return subscription_id


def _apply(event: WebhookEvent, state: SubscriptionState | None) -> None:
    reason = f"Stripe event {event.type} ({event.id})"
    if event.type == "checkout.session.completed":
        user_id = event.field("client_reference_id")
        customer_id = event.field("customer")
        if user_id and customer_id:
            user = get_user_model().objects.filter(pk=user_id).first()
            if user is not None:
                _membership_link_customer(user=user, customer_id=customer_id)
    if state is None:
        return
    membership = membership_apply_state(state=state, actor_kind=ActorKind.STRIPE, reason=reason)
    if event.type == "invoice.payment_failed" and membership is not None:
        _payment_failure_notice(
            membership=membership,
            invoice_id=event.field("id"),
            attempt_count=event.field("attempt_count") or 1,
        )


def subscription_sync(
    *,
    subscription_id: str,
    actor: User | None = None,
    actor_kind: ActorKind = ActorKind.SYSTEM,
    reason: str = "",
) -> Membership | None:
    """Re-fetch the subscription from Stripe, then store that truth under a row lock.

    The fetch happens before the transaction, so the lock is held only while writing.
    """
    state = stripe_api.subscription_retrieve(subscription_id)
    with transaction.atomic(durable=True):
        return membership_apply_state(
            state=state, actor=actor, actor_kind=actor_kind, reason=reason
        )


@transaction.atomic
def membership_apply_state(
    *,
    state: SubscriptionState,
    actor: User | None = None,
    actor_kind: ActorKind = ActorKind.STRIPE,
    reason: str = "",
) -> Membership | None:
    """Store a subscription's state on its membership; a change of status (or of a
    cancellation at the period's end) is written to the audit log, as `actor_kind` did it."""
    membership = (
        Membership.objects.select_for_update().filter(stripe_customer_id=state.customer_id).first()
    )
    if membership is None:
        logger.warning(
            "Stripe subscription for an unknown customer",
            extra={"subscription": state.id, "customer": state.customer_id},
        )
        return None
    replacing_other = (
        membership.stripe_subscription_id not in (None, state.id)
        and membership.status in LIVE_STATUSES
    )
    if replacing_other and state.status not in LIVE_STATUSES:
        # A late event about an older, finished subscription must not end the current one.
        return membership
    welcome_email_on_activation(membership=membership, new_status=state.status)
    before = audit.snapshot(membership, AUDITED_MEMBERSHIP_FIELDS)
    now = timezone.now()
    if state.status == Membership.Status.PAST_DUE:
        if membership.status != Membership.Status.PAST_DUE or not membership.past_due_since:
            membership.past_due_since = now
    else:
        membership.past_due_since = None
    membership.stripe_subscription_id = state.id
    membership.status = state.status
    membership.current_period_end = state.current_period_end
    membership.cancel_at_period_end = state.cancel_at_period_end
    membership.synced_at = now
    membership.save(
        update_fields=[
            "stripe_subscription_id",
            "status",
            "current_period_end",
            "cancel_at_period_end",
            "past_due_since",
            "synced_at",
            "updated_at",
        ]
    )
    was, now_is = audit.changes(before, audit.snapshot(membership, AUDITED_MEMBERSHIP_FIELDS))
    if now_is:
        audit.record(
            actor=actor,
            actor_kind=actor_kind,
            action=Action.MEMBERSHIP_STATUS_CHANGED,
            target=membership,
            target_repr=_membership_repr(membership),
            before=was,
            after=now_is,
            reason=reason,
        )
    return membership


def _membership_repr(membership: Membership) -> str:
    # By number: `Membership.__str__` shows the member's address, which the log must not keep.
    return f"membership #{membership.pk}"


def _payment_failure_notice(*, membership: Membership, invoice_id: str, attempt_count: int) -> None:
    """One "please update your card" email per failed attempt of an invoice (transactional)."""
    email_queue(
        kind="payment_failed",
        to_email=membership.user.email,
        user=membership.user,
        dedupe_key=f"payment_failed:{invoice_id}:{attempt_count}",
    )


def membership_resync(*, membership: Membership, by: User | None = None) -> Membership | None:
    """Fetch the member's current subscription again: staff in the admin (`by`), or the
    nightly reconciliation (the system)."""
    if not membership.stripe_subscription_id:
        return membership
    return subscription_sync(
        subscription_id=membership.stripe_subscription_id,
        actor=by,
        actor_kind=ActorKind.STAFF if by is not None else ActorKind.SYSTEM,
        reason="Resynced from Stripe in the admin" if by is not None else "Reconciliation",
    )


def memberships_reconcile() -> dict[str, int]:
    """Re-fetch every subscription that could have drifted; one failure does not stop the rest."""
    counts = {"checked": 0, "failed": 0}
    ids = list(Membership.objects.to_reconcile().values_list("pk", flat=True))
    for membership in Membership.objects.filter(pk__in=ids).iterator():
        counts["checked"] += 1
        try:
            membership_resync(membership=membership)
        except StripeUnavailable:
            counts["failed"] += 1
            logger.warning("Reconciliation failed", extra={"membership": membership.pk})
    return counts


def membership_end_for_erasure(*, user: User) -> None:
    """Cancel the member's Stripe subscription now, before their account is erased.

    Raises `StripeUnavailable` if Stripe can't be reached, so nothing is erased while a
    subscription might still charge them.
    """
    membership = Membership.objects.filter(user=user).first()
    if membership is None or not membership.stripe_subscription_id:
        return
    if membership.status in LIVE_STATUSES:
        stripe_api.subscription_cancel(membership.stripe_subscription_id)


# --- Back from the portal, and resuming a cancelled membership --------------------------------

# After a sync this recent, the row is trusted as it is: coming back from the portal twice
# in a few seconds (a double click, a reload) asks Stripe once.
PORTAL_RETURN_FRESH_SECONDS = 5


class NothingToResume(Exception):
    """The membership isn't set to end with its period (or has ended): nothing to resume."""


def membership_refresh_after_portal(*, user: User) -> Membership | None:
    """The member is back from Stripe's customer portal: fetch their subscription now and
    store it, so the page shows what they just did there without waiting for the webhook.

    Fetched before any transaction, then written under the row lock by `subscription_sync`
    (with an audit entry if the status or the cancellation changed, as the member did it).
    Skipped when the row was synced in the last `PORTAL_RETURN_FRESH_SECONDS`. Raises
    `StripeUnavailable` if Stripe can't be reached; nothing is written then.
    """
    membership = Membership.objects.filter(user=user).first()
    if membership is None or not membership.stripe_subscription_id:
        return membership
    if (
        membership.synced_at is not None
        and (timezone.now() - membership.synced_at).total_seconds() < PORTAL_RETURN_FRESH_SECONDS
    ):
        return membership
    return (
        subscription_sync(
            subscription_id=membership.stripe_subscription_id,
            actor=user,
            actor_kind=ActorKind.MEMBER,
            reason="Back from Stripe's customer portal",
        )
        or membership
    )


def membership_resume(*, user: User) -> Membership:
    """Keep a membership the member cancelled at the period's end: Stripe renews it again.

    Idempotent: a membership that isn't ending is returned unchanged, without asking
    Stripe; two presses at once both ask Stripe for the same value. Stripe is asked first,
    outside any transaction, then its answer is stored under the row lock with an audit
    entry. Raises `NothingToResume` when there is no live subscription (never joined, or
    already ended: that takes rejoining), and `StripeUnavailable` if Stripe can't be
    reached (nothing is written).
    """
    membership = Membership.objects.filter(user=user).first()
    if (
        membership is None
        or not membership.stripe_subscription_id
        or membership.status not in LIVE_STATUSES
    ):
        raise NothingToResume
    if not membership.cancel_at_period_end:
        return membership
    state = stripe_api.subscription_resume(membership.stripe_subscription_id)
    with transaction.atomic(durable=True):
        stored = membership_apply_state(
            state=state,
            actor=user,
            actor_kind=ActorKind.MEMBER,
            reason="Resumed on the membership page",
        )
    return stored or membership
