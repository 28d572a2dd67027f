"""Billing's email: the one message about a failed payment (transactional, not a stream)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from mail.emails import EmailContent, absolute_url, email_kind

if TYPE_CHECKING:
    from mail.models import EmailDelivery


@email_kind("payment_failed")
def _payment_failed(delivery: EmailDelivery) -> EmailContent | None:
    return EmailContent(
        subject=_("Your Mutual payment didn't go through"),
        template="billing/email/payment_failed",
        context={"billing_url": absolute_url("billing:detail")},
    )
