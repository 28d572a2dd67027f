from celery import shared_task

from members.services import billing


@shared_task(
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=8,
    acks_late=True,
)
def payment_failed_email_task(notice_id: int) -> bool:
    return billing.payment_failure_notice_send(notice_id=notice_id)


@shared_task(acks_late=True)
def memberships_reconcile_task() -> dict[str, int]:
    return billing.memberships_reconcile()
