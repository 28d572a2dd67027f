"""The reply fan-out through a real Celery worker over Redis, then the outbox to SMTP."""

import pytest

from groups.models import ThreadFollow
from groups.services import post_create
from mail.models import EmailDelivery
from tests.conftest import message_text, wait_until
from tests.groups.factories import GroupFactory, add_member, established, thread_with_opening

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_reply_reaches_every_follower_through_the_worker(celery_worker, smtp_server):
    group = GroupFactory(name="Cardiff Runners")
    followers = [add_member(group) for _ in range(3)]
    replier = established(add_member(group))
    thread = thread_with_opening(group, followers[0], title="Parkrun on Saturday?")
    for follower in followers:
        ThreadFollow.objects.create(thread=thread, user=follower)

    post_create(thread=thread, author=replier, body="I'll be there at 8.45.")

    for follower in followers:
        [message] = wait_until(lambda f=follower: smtp_server.to(f.email))
        assert "I'll be there at 8.45." in message_text(message)
    wait_until(
        lambda: EmailDelivery.objects.filter(kind="groups_reply", status="sent").count() == 3
    )
    assert smtp_server.to(replier.email) == []
