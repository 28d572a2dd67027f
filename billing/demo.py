"""Demo memberships for `seed_demo`.

- `seed_cast` (the small demo that `make run` shows): every demo member has a standing, the
  same on every run (see `CAST`): most are members, a few have lapsed or never joined. Their
  memberships carry Stripe ids (`cus_demo000001`, `sub_demo000001` …) that the offline
  stand-in puts back when it starts (`manage.py stripe_standin` reads them from the
  database), so the billing page and the Customer Portal work for a demo member.
- `seed` (the benchmark's large dataset): active memberships, without Stripe ids, for a share
  of the demo members.

Idempotent: a member who already has a membership row is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from billing.models import Membership

BATCH = 2000


@dataclass(frozen=True)
class Role:
    """How one demo member stands: `status` None means they never started Checkout."""

    status: str | None
    days: int = 0  # current period ends this many days from now (negative: it has ended)
    cancel_at_period_end: bool = False
    past_due_days: int = 0


# The demo members whose standing is not simply "member": one of each kind, for the README's
# table of demo accounts. Everyone else is an active member (or, with `--paying` below 1,
# a share of them is).
CAST: dict[int, Role] = {
    35: Role(Membership.Status.PAST_DUE, days=27, past_due_days=2),  # card failed: in grace
    36: Role(Membership.Status.ACTIVE, days=9, cancel_at_period_end=True),  # leaving
    37: Role(Membership.Status.CANCELED, days=-20),  # lapsed three weeks ago
    38: Role(Membership.Status.CANCELED, days=-75),  # lapsed in the spring
    39: Role(None),  # signed up, never joined
    40: Role(None),
}
HOME_MEMBER = 1  # always a member: the README's first demo account


def demo_number(email: str) -> int | None:
    """member000123@example.com → 123; None for any other address."""
    if email.startswith("member") and email.endswith("@example.com") and email[6:12].isdigit():
        return int(email[6:12])
    return None


def stripe_ids(number: int) -> tuple[str, str]:
    """The demo member's Stripe customer and subscription ids (the stand-in restores them)."""
    return f"cus_demo{number:06d}", f"sub_demo{number:06d}"


def role_of(number: int, share: float = 1.0) -> Role:
    """The demo member's standing: from `CAST`, else a member (or, for `share` below 1, a
    member only if their number falls in that share; never at random, so runs agree)."""
    if number in CAST:
        return CAST[number]
    paying = number == HOME_MEMBER or (number * 7919) % 1000 < round(min(share, 1.0) * 1000)
    return Role(Membership.Status.ACTIVE, days=2 + (number * 7) % 27) if paying else Role(None)


def without_access() -> set[int]:
    """The ids of the demo members who are not members now (lapsed, or never joined): the
    other apps' demo data leaves them out of groups and events."""
    return set(
        get_user_model()
        .objects.filter(email__startswith="member", email__endswith="@example.com")
        .exclude(membership__in=Membership.objects.active())
        .values_list("pk", flat=True)
    )


@transaction.atomic
def seed_cast(*, share: float = 1.0) -> int:
    """Memberships, with stand-in Stripe ids, for the demo members who have none and whose
    role (`role_of`) has one. Returns how many were made."""
    now = timezone.now()
    unpaid = (
        get_user_model()
        .objects.filter(
            email__startswith="member", email__endswith="@example.com", membership__isnull=True
        )
        .values_list("pk", "email")
    )
    rows = []
    for pk, email in unpaid.iterator(chunk_size=BATCH):
        number = demo_number(email)
        if number is None:
            continue
        role = role_of(number, share)
        if role.status is None:
            continue
        customer_id, subscription_id = stripe_ids(number)
        rows.append(
            Membership(
                user_id=pk,
                stripe_customer_id=customer_id,
                stripe_subscription_id=subscription_id,
                status=role.status,
                current_period_end=now + timedelta(days=role.days),
                cancel_at_period_end=role.cancel_at_period_end,
                past_due_since=now - timedelta(days=role.past_due_days)
                if role.status == Membership.Status.PAST_DUE
                else None,
                synced_at=now,
            )
        )
    Membership.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def seed(share: float) -> int:
    """Active memberships (no Stripe ids) for about `share` of the demo members.

    Who pays is decided by the member's number, not the random generator, so running it
    again adds nothing, and members who already have a membership row are left alone.
    """
    if share <= 0:
        return 0
    threshold = round(min(share, 1.0) * 1000)
    now = timezone.now()
    unpaid = (
        get_user_model()
        .objects.filter(
            email__startswith="member", email__endswith="@example.com", membership__isnull=True
        )
        .values_list("pk", "email")
    )
    rows = [
        Membership(
            user_id=pk,
            status=Membership.Status.ACTIVE,
            current_period_end=now + timedelta(days=30),
        )
        for pk, email in unpaid.iterator(chunk_size=BATCH)
        if email[6:12].isdigit() and (int(email[6:12]) * 7919) % 1000 < threshold
    ]
    Membership.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)
