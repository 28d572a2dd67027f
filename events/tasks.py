from celery import shared_task

from events.services.reminders import reminders_queue


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=30, max_retries=8)
def event_reminders_task() -> int:
    """Beat runs this every 15 minutes; the outbox's unique keys make repeats harmless."""
    return reminders_queue()
