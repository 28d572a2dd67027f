"""The outbox with real Celery workers over Redis, including one killed mid-batch."""

import collections
import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection

from mail.models import EmailDelivery
from mail.services import deliveries_requeue_stale, email_queue
from mail.tasks import deliveries_send_task
from tests.conftest import wait_until
from tests.mail.test_email import queue_note  # registers the "test_note" kind
from tests.members.factories import UserFactory

BASE_DIR = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_batch_goes_through_a_real_worker(smtp_server, celery_worker):
    users = UserFactory.create_batch(3)

    for number, user in enumerate(users):
        queue_note(user, key=f"batch-{number}")

    # The server accepts each message a moment before the worker records it as sent.
    wait_until(lambda: EmailDelivery.objects.filter(status="sent").count() == 3)
    assert len(smtp_server.messages) == 3


def test_a_batch_is_sent_over_one_smtp_connection(smtp_server):
    from mail.services import email_queue_many

    users = UserFactory.create_batch(6)
    rows = [
        {"kind": "test_note", "to_email": u.email, "user": u, "dedupe_key": f"many-{u.pk}"}
        for u in users
    ]

    created = email_queue_many(rows)
    again = email_queue_many(rows)

    assert len(created) == 6 and again == []
    wait_until(lambda: len(smtp_server.messages) == 6)
    assert smtp_server.connections == 1


def test_a_worker_killed_mid_batch_loses_no_recipient_once_the_sweeper_runs(smtp_server, settings):
    from config.celery import app

    users = UserFactory.create_batch(5)
    ids = [
        EmailDelivery.objects.create(
            kind="payment_failed", to_email=u.email, user=u, dedupe_key=f"crash-{n}"
        ).pk
        for n, u in enumerate(users)
    ]
    # payment_failed: a kind the separate worker process knows. The third message hangs in
    # the SMTP conversation until we let it go.
    hold = threading.Event()
    smtp_server.holds[users[2].email] = hold
    host, port = (
        settings.MAILERS["default"]["OPTIONS"]["host"],
        settings.MAILERS["default"]["OPTIONS"]["port"],
    )
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "EMAIL_URL": f"smtp://{host}:{port}",
    }
    app.control.purge()
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
         "--concurrency", "1", "--without-heartbeat", "--without-gossip", "--without-mingle",
         "--loglevel", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        app.conf.task_always_eager = False
        try:
            deliveries_send_task.delay(ids)
        finally:
            app.conf.task_always_eager = True
        wait_until(lambda: len(smtp_server.messages) == 2, timeout=30)
        # The worker is now in the middle of sending the third message.
        wait_until(lambda: users[2].email in smtp_server.holding, timeout=30)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    hold.set()
    assert EmailDelivery.objects.filter(status="sent").count() == 2

    requeued = deliveries_requeue_stale(older_than=timedelta(0))

    assert requeued == 3
    wait_until(lambda: EmailDelivery.objects.filter(status="sent").count() == 5)
    received = collections.Counter(
        rcpt for envelope in smtp_server.envelopes for rcpt in envelope.rcpt_tos
    )
    assert set(received) == {u.email for u in users}  # nobody lost
    assert sum(received.values()) - len(users) <= 1  # at most the one in flight, twice


def test_queueing_inside_a_transaction_that_rolls_back_sends_nothing(smtp_server):
    from django.db import transaction

    user = UserFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        email_queue(kind="test_note", to_email=user.email, user=user, dedupe_key="rolled-back")
        raise RuntimeError("the business change failed")

    assert not EmailDelivery.objects.exists()
    assert smtp_server.messages == []


def test_an_unsubscribe_during_a_send_waits_for_it_and_nothing_is_sent_after_it_commits(
    smtp_server,
):
    from mail.services import MAIL_LOCK_NAMESPACE, deliveries_send, stream_set
    from mail.streams import Stream

    reader, other = UserFactory.create_batch(2)

    def pending(user, key):
        return EmailDelivery.objects.create(
            kind="test_note",
            to_email=user.email,
            user=user,
            stream=Stream.EVENT_REMINDERS,
            dedupe_key=key,
            payload={"title": key},
        ).pk

    chunk = [pending(reader, "first"), pending(other, "other"), pending(reader, "second")]
    hold = threading.Event()
    smtp_server.holds[reader.email] = hold  # the server sits on the reader's first message

    def in_thread(work):
        done = threading.Event()

        def run():
            try:
                work()
            finally:
                connection.close()
                done.set()

        threading.Thread(target=run).start()
        return done

    def mail_locks(*, granted: bool):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks JOIN pg_database ON pg_database.oid = database"
                " WHERE datname = current_database() AND locktype = 'advisory' AND classid = %s"
                " AND granted = %s",
                [MAIL_LOCK_NAMESPACE, granted],
            )
            return cursor.fetchone()[0]

    def mail_locks_held():
        return mail_locks(granted=True)

    sender = in_thread(lambda: deliveries_send(delivery_ids=chunk))
    wait_until(lambda: mail_locks_held() == 2)  # both members of the chunk are locked
    wait_until(lambda: reader.email in smtp_server.holding)  # and the send is in flight
    unsubscribe = in_thread(
        lambda: stream_set(user=reader, stream=Stream.EVENT_REMINDERS, on=False, source="link")
    )
    # The unsubscribe queues behind the reader's mail lock: PostgreSQL shows it waiting.
    wait_until(lambda: mail_locks(granted=False) == 1)
    assert not unsubscribe.is_set(), "the unsubscribe must wait for the send in flight"

    hold.set()
    assert sender.wait(timeout=20)
    assert unsubscribe.wait(timeout=20)
    # What was checked before the unsubscribe went out; then it committed.
    assert len(smtp_server.to(reader.email)) == 2
    assert mail_locks_held() == 0

    later = pending(reader, "after")
    deliveries_send(delivery_ids=[later])

    assert len(smtp_server.to(reader.email)) == 2
    assert EmailDelivery.objects.get(pk=later).status == "skipped"
    assert (
        sorted(EmailDelivery.objects.filter(pk__in=chunk).values_list("status", flat=True))
        == ["sent"] * 3
    )
