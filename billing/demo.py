"""Demo memberships for `seed_demo`: active ones, without Stripe ids, for a share of the
demo members."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from billing.models import Membership

BATCH = 2000


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
