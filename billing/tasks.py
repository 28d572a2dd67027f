from celery import shared_task

from billing import services as billing


@shared_task(acks_late=True)
def memberships_reconcile_task() -> dict[str, int]:
    return billing.memberships_reconcile()
