"""Digest throughput: opted-in members' digests delivered to a local SMTP sink (#9).

The pipeline is measured as it runs in production: `digest_run_start` fans the run out in
batches of 500 over Redis to a real Celery worker (prefork, concurrency 2, as in
docker-compose), which chooses each batch's content, writes the outbox rows, renders HTML and
text with CSS inlined, and sends each batch over one SMTP connection. The clock runs from
the start of the run until the sink has the last message.

The baseline, in the same run and to the same sink: the very same messages, already rendered
into `email.message` objects beforehand, sent with plain `smtplib` (`send_message`, one
connection per 500, one process). A stricter figure is printed beside it: the messages
already encoded to bytes (`sendmail`), so that the baseline does no work at all but the SMTP
conversation. The goal is a ratio of at least 0.5 to the baseline.

Run through `make bench`. Prints markdown table rows on stdout.
"""

from __future__ import annotations

import os
import smtplib
import socket
import subprocess
import sys
import threading
import time
from email.policy import SMTP
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
BATCH = 500


class CountingSink:
    """An aiosmtpd handler that accepts everything and counts messages and connections."""

    def __init__(self):
        self.count = 0
        self.connections = 0
        self.last_at = 0.0
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            self.last_at = time.perf_counter()
        return "250 OK"

    def reset(self):
        with self.lock:
            self.count = self.connections = 0
            self.last_at = 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(members: int):
    """Make `members` demo members paying, recently active and opted in to the weekly digest."""
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from billing.models import Membership
    from digests.models import DigestRun
    from mail.models import EmailDelivery, StreamSubscription
    from members.models import User

    call_command("migrate", verbosity=0)
    if User.objects.filter(email__startswith="member").count() < members:
        call_command("seed_demo", members=members, stdout=open(os.devnull, "w"))  # noqa: SIM115
    users = list(
        User.objects.filter(email__startswith="member", email__endswith="@example.com").order_by(
            "pk"
        )[:members]
    )
    ids = [user.pk for user in users]
    now = timezone.now()
    with transaction.atomic():
        # Only these members are eligible: others' digest subscriptions are switched off.
        StreamSubscription.objects.filter(stream="digest").exclude(user_id__in=ids).update(
            status="unsubscribed"
        )
        User.objects.filter(pk__in=ids).update(last_login=now)
        have = set(Membership.objects.filter(user_id__in=ids).values_list("user_id", flat=True))
        Membership.objects.bulk_create(
            [
                Membership(
                    user_id=pk,
                    status="active",
                    stripe_customer_id=f"cus_bench_{pk}",
                    stripe_subscription_id=f"sub_bench_{pk}",
                )
                for pk in ids
                if pk not in have
            ]
        )
        Membership.objects.filter(user_id__in=ids).update(status="active")
        StreamSubscription.objects.filter(stream="digest", user_id__in=ids).delete()
        StreamSubscription.objects.bulk_create(
            [
                StreamSubscription(
                    user_id=pk,
                    stream="digest",
                    status="subscribed",
                    frequency="weekly",
                    confirmed_at=now,
                )
                for pk in ids
            ]
        )
        EmailDelivery.objects.filter(kind="digest").delete()
        DigestRun.objects.all().delete()
    return ids


def start_worker(env: dict) -> subprocess.Popen:
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--concurrency",
            "2",
            "--pool",
            "prefork",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    from config.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if app.control.ping(timeout=0.5):
            return worker
    worker.terminate()
    raise RuntimeError("the Celery worker did not start")


def main(members: int = 10_000) -> dict:
    from aiosmtpd.controller import Controller

    sink = CountingSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{controller.port}"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

    import django

    django.setup()
    from config.celery import app
    from digests.models import DigestRun
    from digests.services import digest_run_start
    from mail import emails
    from mail.models import EmailDelivery

    ids = prepare(members)
    app.control.purge()
    worker = start_worker(dict(os.environ))
    try:
        sink.reset()
        started = time.perf_counter()
        run = digest_run_start(frequency="weekly")
        deadline = time.monotonic() + 3600
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if run.batches_done == run.batches_total and sink.count >= run.queued:
                break
            time.sleep(0.05)
        finished = sink.last_at or time.perf_counter()
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    ours_seconds = finished - started
    ours_sent, ours_connections = sink.count, sink.connections
    statuses = dict(
        EmailDelivery.objects.filter(kind="digest")
        .values_list("status")
        .annotate(n=django.db.models.Count("pk"))
        .values_list("status", "n")
    )

    # Baselines: the very same messages, rendered beforehand, through plain smtplib.
    deliveries = list(EmailDelivery.objects.filter(kind="digest", status="sent").order_by("pk"))
    rendered = []
    for delivery in deliveries:
        content = emails.render(delivery)
        if content is None:  # it was sent a moment ago, so it has content
            raise RuntimeError(f"delivery {delivery.pk} no longer renders")
        message = emails.build_message(delivery=delivery, content=content)
        rendered.append(message.message(policy=SMTP))

    def smtplib_rate(send) -> tuple[int, float]:
        sink.reset()
        begin = time.perf_counter()
        for start in range(0, len(rendered), BATCH):
            with smtplib.SMTP("127.0.0.1", controller.port) as smtp:
                for message in rendered[start : start + BATCH]:
                    send(smtp, message)
        return sink.count, time.perf_counter() - begin

    baseline_sent, baseline_seconds = smtplib_rate(lambda smtp, message: smtp.send_message(message))
    encoded = {id(message): message.as_bytes() for message in rendered}
    bytes_sent, bytes_seconds = smtplib_rate(
        lambda smtp, message: smtp.sendmail(
            "hello@mutual.example", [message["To"]], encoded[id(message)]
        )
    )
    controller.stop()
    run = DigestRun.objects.get(pk=run.pk)

    def rate(sent, seconds):
        return sent / seconds if seconds else 0.0

    ours_rate = rate(ours_sent, ours_seconds)
    baseline_rate = rate(baseline_sent, baseline_seconds)
    bytes_rate = rate(bytes_sent, bytes_seconds)
    return {
        "members": len(ids),
        "eligible": run.eligible,
        "sent": ours_sent,
        "skipped_empty": run.skipped_empty,
        "statuses": ", ".join(f"{n} {status}" for status, n in sorted(statuses.items())),
        "seconds": ours_seconds,
        "rate": ours_rate,
        "connections": ours_connections,
        "baseline_sent": baseline_sent,
        "baseline_rate": baseline_rate,
        "ratio": ours_rate / baseline_rate if baseline_rate else 0.0,
        "bytes_rate": bytes_rate,
        "bytes_ratio": ours_rate / bytes_rate if bytes_rate else 0.0,
        "met": "met" if baseline_rate and ours_rate / baseline_rate >= 0.5 else "NOT met",
    }


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    result = main(count)
    sys.stdout.write(
        "| digest pipeline (Celery worker -c 2 over Redis; choose, outbox rows, render, send) "
        "| {members} opted-in members | {sent} sent ({skipped_empty} with nothing to send; "
        "outbox: {statuses}) in {seconds:.1f} s | {rate:.0f} msg/s | "
        "{connections} SMTP connections |\n".format(**result)
    )
    sys.stdout.write(
        "| plain smtplib baseline (`send_message`, same messages rendered beforehand) "
        "| one process | {baseline_sent} sent | {baseline_rate:.0f} msg/s | "
        "ratio **{ratio:.2f}** (goal >= 0.50: {met}) |\n".format(**result)
    )
    sys.stdout.write(
        "| stricter baseline (`sendmail`, same messages encoded to bytes beforehand) "
        "| one process | | {bytes_rate:.0f} msg/s | ratio {bytes_ratio:.2f} |\n".format(**result)
    )
