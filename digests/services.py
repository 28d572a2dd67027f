"""Sending the opt-in digests: one run per period, fanned out in batches through the outbox."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from digests.models import DigestRun
from digests.selectors import digest_contents, eligible_members, period_key
from mail.services import email_queue_many
from mail.streams import Stream
from members.models import User

BATCH_SIZE = 500


def digest_run_start(*, frequency: str, now: datetime | None = None) -> DigestRun:
    """Start (or resume) this period's run and queue its batches after commit.

    Running it twice for the same period queues the batches again, and each batch finds every
    member's delivery already written: nobody gets a second digest.
    """
    now = now or timezone.now()
    period = period_key(frequency, timezone.localdate(now))
    try:
        with transaction.atomic():
            run, _created = DigestRun.objects.get_or_create(frequency=frequency, period=period)
    except IntegrityError:
        run = DigestRun.objects.get(frequency=frequency, period=period)
    from digests.tasks import digest_batch_task

    ids = list(eligible_members(frequency, now=now).values_list("pk", flat=True))
    batches = [ids[start : start + BATCH_SIZE] for start in range(0, len(ids), BATCH_SIZE)]
    DigestRun.objects.filter(pk=run.pk).update(
        eligible=len(ids), batches_total=len(batches), fanned_out_at=now
    )
    for batch in batches:
        # celery-types types shared_task as Task; the app's task_cls is DjangoTask (on commit).
        digest_batch_task.delay_on_commit(run.pk, batch)  # type: ignore[attr-defined]
    run.refresh_from_db()
    return run


def digest_batch_send(*, run: DigestRun, user_ids: list[int]) -> dict[str, int]:
    """Choose content for a batch, write its delivery rows, and hand them to the outbox.

    Members with nothing matching get no email. The rows are written before anything is
    sent, with a key unique per member and period, so a crash and retry loses nobody and
    doubles nobody; the outbox sends each batch over one SMTP connection.
    """
    users = list(User.objects.filter(pk__in=user_ids).order_by("pk"))
    contents = digest_contents(users, frequency=run.frequency)
    rows = []
    empty = 0
    for user in users:
        content = contents[user.pk]
        if content.is_empty():
            empty += 1
            continue
        rows.append(
            {
                "kind": "digest",
                "to_email": user.email,
                "user": user,
                "stream": Stream.DIGEST,
                "dedupe_key": f"{run.dedupe_prefix}{user.pk}",
                "payload": {
                    "frequency": run.frequency,
                    "period": run.period,
                    **content.as_payload(),
                },
            }
        )
    created = email_queue_many(rows, batch_size=BATCH_SIZE)
    DigestRun.objects.filter(pk=run.pk).update(
        queued=F("queued") + len(created),
        skipped_empty=F("skipped_empty") + empty,
        batches_done=F("batches_done") + 1,
    )
    return {"queued": len(created), "empty": empty}
