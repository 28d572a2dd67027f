"""Erasing a member's account: stop payments, remove personal data, keep anonymous counts."""

from __future__ import annotations

import uuid

from django.db import connection, transaction

from billing.services import membership_end_for_erasure
from groups.services.membership import member_erase as groups_member_erase
from mail.models import EmailDelivery
from mail.services import email_queue, member_mail_lock
from members.models import User
from members.services.photos import profile_photo_erase


def account_delete(*, user: User) -> None:
    """Erase `user`. Their subscription is cancelled first; if Stripe can't be reached this
    raises `billing.stripe_api.StripeUnavailable` and nothing is erased.

    What stays is anonymous: discount redemptions (for partners' counts), group posts with
    their words removed, expert request history without the requester. Their photo and its
    renditions are deleted from storage. A confirmation goes
    to the address they had; then it is forgotten, and every session they had ends with it.
    """
    email = user.email
    membership_end_for_erasure(user=user)
    with transaction.atomic():
        member_mail_lock(user.pk)  # a send in flight to them finishes first
        User.objects.select_for_update().filter(pk=user.pk).first()
        groups_member_erase(user=user)
        profile_photo_erase(user=user)  # the files go when this commits
        EmailDelivery.objects.filter(
            user=user, status__in=[EmailDelivery.Status.PENDING, EmailDelivery.Status.SENDING]
        ).update(status=EmailDelivery.Status.SKIPPED, last_error="account erased")
        EmailDelivery.objects.filter(user=user).update(
            user=None, to_email="erased@invalid", payload={}
        )
        if connection.vendor == "postgresql":
            # The one erasure the consent ledger allows (see members migration 0005).
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL mutual.ledger_erasure = 'on'")
        user.delete()
        email_queue(
            kind="account_deleted",
            to_email=email,
            dedupe_key=f"account_deleted:{uuid.uuid4().hex}",
        )
