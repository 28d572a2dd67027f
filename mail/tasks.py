from celery import shared_task
from django.conf import settings

from mail import services as email_services


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=5)
def deliveries_send_task(self, delivery_ids: list[int]) -> dict[str, int]:
    """Send a batch from the outbox; temporary SMTP failures are retried with backoff.

    Late acknowledgement and reject-on-worker-lost put the batch back on the queue if the
    worker dies; the outbox rows make the second run skip what was already sent.
    """
    report = email_services.deliveries_send(delivery_ids=delivery_ids)
    to_retry = report.to_retry
    if to_retry and not self.request.is_eager:
        # (Run inline, as in `make run`, deferred rows simply stay pending for the sweeper.)
        if self.request.retries >= self.max_retries:
            email_services.deliveries_give_up(delivery_ids=to_retry, reason="SMTP kept deferring")
        else:
            delays = settings.EMAIL_RETRY_DELAYS
            delay = delays[min(self.request.retries, len(delays) - 1)]
            raise self.retry(args=[to_retry], countdown=delay)
    counts: dict[str, int] = {}
    for outcome in report.outcomes.values():
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


@shared_task(acks_late=True)
def deliveries_sweep_task() -> int:
    """Re-queue deliveries that a crashed worker or a lost message left behind."""
    return email_services.deliveries_requeue_stale()
