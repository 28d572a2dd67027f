from celery import shared_task

from digests import services
from digests.models import DigestRun


@shared_task(acks_late=True)
def digest_run_task(frequency: str) -> int:
    """What beat runs on Monday mornings (weekly) and the 1st of the month (monthly)."""
    return services.digest_run_start(frequency=frequency).pk


@shared_task(acks_late=True, reject_on_worker_lost=True, max_retries=5, retry_backoff=30)
def digest_batch_task(run_id: int, user_ids: list[int]) -> dict[str, int]:
    run = DigestRun.objects.get(pk=run_id)
    return services.digest_batch_send(run=run, user_ids=user_ids)
