"""Members' private calendar feeds: made on request, and reset when a link has leaked."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from events.models import CalendarFeed, new_feed_token
from members.models import User


def calendar_feed_create(*, user: User) -> CalendarFeed:
    """The member's feed, made the first time they ask for it (idempotent)."""
    feed, _created = CalendarFeed.objects.get_or_create(user=user)
    return feed


@transaction.atomic(durable=True)
def calendar_feed_reset(*, user: User) -> CalendarFeed:
    """A new secret address: the old one stops working at once."""
    feed, created = CalendarFeed.objects.select_for_update().get_or_create(user=user)
    if not created:
        feed.token = new_feed_token()
        feed.reset_at = timezone.now()
        feed.save(update_fields=["token", "reset_at"])
    return feed
