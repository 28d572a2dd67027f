"""The day-before reminder, queued by Celery beat (`events.tasks.event_reminders_task`).

Idempotent by construction: each (event, member) reminder has one outbox row keyed
`events_reminder:<event>:<member>`, so the schedule firing twice, two beat processes, or a
retried task still send one reminder per person and event.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import F
from django.utils import timezone

from events.models import RSVP
from mail.selectors import users_receiving
from mail.services import email_queue_many
from mail.streams import Stream

REMINDER_LEAD = timedelta(hours=24)


def reminders_queue(*, now: datetime | None = None) -> int:
    """Queue reminders for events starting within the next 24 hours; returns how many are new.

    Goes to members who are confirmed and keep the `event_reminders` stream on. Someone who
    said yes (or was moved in from the waitlist) within the last day before the event isn't
    reminded: they have just had an email about it.
    """
    now = now or timezone.now()
    rows = (
        RSVP.objects.filter(
            status=RSVP.Status.CONFIRMED,
            event__is_published=True,
            event__is_cancelled=False,
            event__starts_at__gt=now,
            event__starts_at__lte=now + REMINDER_LEAD,
            confirmed_at__lte=F("event__starts_at") - REMINDER_LEAD,
            member__in=users_receiving(Stream.EVENT_REMINDERS),
        )
        .order_by("event_id", "pk")
        .values_list("pk", "event_id", "member_id", "member__email")
    )
    created = email_queue_many(
        [
            {
                "kind": "events_reminder",
                "to_email": email,
                "user_id": member_id,
                "stream": Stream.EVENT_REMINDERS,
                "dedupe_key": f"events_reminder:{event_id}:{member_id}",
                "payload": {"rsvp": rsvp_id},
            }
            for rsvp_id, event_id, member_id, email in rows
        ]
    )
    return len(created)
