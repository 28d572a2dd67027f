"""Billing's email, transactional (not a stream): a failed payment, and the welcome sent once
when a membership first gives access."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from billing.models import Membership, Standing
from mail.emails import EmailContent, absolute_url, email_kind
from mail.services import email_queue

if TYPE_CHECKING:
    from mail.models import EmailDelivery


@email_kind("payment_failed")
def _payment_failed(delivery: EmailDelivery) -> EmailContent | None:
    return EmailContent(
        subject=_("Your Mutual payment didn't go through"),
        template="billing/email/payment_failed",
        context={"billing_url": absolute_url("billing:detail")},
    )


@email_kind("welcome")
def _welcome(delivery: EmailDelivery) -> EmailContent | None:
    return EmailContent(
        subject=_("Welcome to Mutual: three things to do first"),
        template="billing/email/welcome",
        context={
            "groups_url": absolute_url("home:groups"),
            "events_url": absolute_url("events:list") + "?order=for-you",
            "profile_url": absolute_url("members:profile"),
            "home_url": absolute_url("home"),
        },
    )


def welcome_email_on_activation(*, membership: Membership, new_status: str) -> None:
    """Queue the welcome email if this change makes `membership` give access for the first
    time: it never has (its standing is NEVER_JOINED), and `new_status` (Stripe's, about to be
    stored) does.

    Called by `billing.services.membership_apply_state` under the membership's row lock,
    before the change is saved. Once per membership: the outbox's unique dedupe key turns
    any later activation (a lapsed member rejoining) or a repeated delivery into nothing,
    and the row is written in the same transaction as the change, so a rollback sends none.
    """
    if membership.standing != Standing.NEVER_JOINED:
        return  # it gave access before (or does now): they had their welcome, or joined before it
    if new_status not in Membership.ACCESS_STATUSES:
        return
    email_queue(
        kind="welcome",
        to_email=membership.user.email,
        user=membership.user,
        dedupe_key=f"welcome:{membership.pk}",
    )
