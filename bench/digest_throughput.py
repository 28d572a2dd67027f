"""Digest throughput: 10,000 opted-in members' digests delivered to a local SMTP sink.

Measures the whole pipeline (choosing content per batch, writing the outbox rows, rendering
HTML and text with CSS inlined, sending over one SMTP connection per batch) and, in the same
run, a baseline: the same messages, already rendered, sent with plain `smtplib`. Reports
messages per second for both and their ratio (goal: at least 0.5).

Run through `make bench` (it sets up a separate PostgreSQL database, `mutual_bench`).
"""

from __future__ import annotations

import os
import smtplib
import socket
import sys
import threading
import time
from email.policy import SMTP
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))


class CountingSink:
    def __init__(self):
        self.count = 0
        self.connections = 0
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main(members: int = 10_000) -> dict:
    from aiosmtpd.controller import Controller

    sink = CountingSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{controller.port}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"  # measure the pipeline in one process

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from digests.models import DigestRun
    from digests.services import BATCH_SIZE, digest_batch_send
    from members import emails
    from members.models import EmailDelivery, Membership, StreamSubscription, User

    call_command("migrate", verbosity=0)
    call_command("seed_demo", members=members, stdout=open(os.devnull, "w"))  # noqa: SIM115
    users = list(
        User.objects.filter(email__startswith="member", email__endswith="@example.com").order_by(
            "pk"
        )[:members]
    )
    now = timezone.now()
    with transaction.atomic():
        User.objects.filter(pk__in=[u.pk for u in users]).update(last_login=now)
        have = set(Membership.objects.values_list("user_id", flat=True))
        Membership.objects.bulk_create(
            [
                Membership(
                    user=u,
                    status="active",
                    stripe_customer_id=f"cus_bench_{u.pk}",
                    stripe_subscription_id=f"sub_bench_{u.pk}",
                )
                for u in users
                if u.pk not in have
            ]
        )
        subscribed = set(
            StreamSubscription.objects.filter(stream="digest").values_list("user_id", flat=True)
        )
        StreamSubscription.objects.bulk_create(
            [
                StreamSubscription(user=u, stream="digest", status="subscribed", confirmed_at=now)
                for u in users
                if u.pk not in subscribed
            ]
        )
        EmailDelivery.objects.filter(kind="digest").delete()
        DigestRun.objects.all().delete()

    run = DigestRun.objects.create(frequency="weekly", period=f"bench-{int(time.time())}")
    ids = [u.pk for u in users]

    sink.count = sink.connections = 0
    started = time.perf_counter()
    for start in range(0, len(ids), BATCH_SIZE):
        digest_batch_send(run=run, user_ids=ids[start : start + BATCH_SIZE])
    ours_seconds = time.perf_counter() - started
    ours_sent = sink.count
    ours_connections = sink.connections
    run.refresh_from_db()

    # Baseline: the very same messages, rendered beforehand, through plain smtplib.
    deliveries = list(EmailDelivery.objects.filter(kind="digest").order_by("pk"))
    prepared = []
    for delivery in deliveries:
        message = emails.build_message(delivery=delivery, content=emails.render(delivery))
        # Encoded exactly as Django's SMTP backend encodes it (folded, 7-bit safe).
        prepared.append((delivery.to_email, message.message(policy=SMTP).as_bytes()))
    sink.count = 0
    started = time.perf_counter()
    for start in range(0, len(prepared), BATCH_SIZE):
        with smtplib.SMTP("127.0.0.1", controller.port) as smtp:
            for to, raw in prepared[start : start + BATCH_SIZE]:
                smtp.sendmail("hello@mutual.example", [to], raw)
    baseline_seconds = time.perf_counter() - started
    baseline_sent = sink.count
    controller.stop()

    ours_rate = ours_sent / ours_seconds if ours_seconds else 0.0
    baseline_rate = baseline_sent / baseline_seconds if baseline_seconds else 0.0
    return {
        "members": len(users),
        "sent": ours_sent,
        "skipped_empty": run.skipped_empty,
        "seconds": ours_seconds,
        "rate": ours_rate,
        "connections": ours_connections,
        "baseline_sent": baseline_sent,
        "baseline_rate": baseline_rate,
        "ratio": ours_rate / baseline_rate if baseline_rate else 0.0,
    }


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    result = main(count)
    sys.stdout.write(
        "| digest pipeline | {members} members | {sent} sent ({skipped_empty} empty) in "
        "{seconds:.1f} s | {rate:.0f} msg/s | {connections} SMTP connections |\n".format(**result)
    )
    sys.stdout.write(
        "| plain smtplib baseline | same messages pre-rendered | {baseline_sent} sent | "
        "{baseline_rate:.0f} msg/s | ratio {ratio:.2f} (goal >= 0.50) |\n".format(**result)
    )
