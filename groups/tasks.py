from celery import shared_task

from groups.services import discussion


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=30, max_retries=8)
def post_notify_followers_task(post_id: int) -> int:
    """Queue the reply emails for a new post's thread followers (the outbox sends them)."""
    return discussion.post_notify_followers(post_id=post_id)
