"""Demo email choices for `seed_demo`: some demo members have opted in to the digest.

Written as the double opt-in leaves them (a request from the settings page, then the
confirmation), with the consent ledger's two rows, but without sending the confirmation
email. Idempotent: a member who already has a digest choice is left alone.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from mail.models import ConsentEvent, StreamSubscription
from mail.streams import CONSENT_WORDING_VERSION, STREAMS, DigestFrequency, Stream

HOME_MEMBER = 1  # the README's first demo account gets the weekly digest


def digest_wanted(number: int) -> str | None:
    """The demo member's digest frequency, or None if they never asked for one."""
    if number == HOME_MEMBER or number % 3 == 0:
        return DigestFrequency.WEEKLY
    if number % 5 == 0:
        return DigestFrequency.MONTHLY
    return None


@transaction.atomic
def seed_digest_optins(*, members: int) -> int:
    """Confirmed digest subscriptions for the first `members` demo members who want one
    (`digest_wanted`); returns how many are new."""
    wanted = {n: f for n in range(1, members + 1) if (f := digest_wanted(n))}
    users = (
        get_user_model()
        .objects.filter(email__in=[f"member{n:06d}@example.com" for n in wanted])
        .exclude(stream_subscriptions__stream=Stream.DIGEST)
        .values_list("pk", "email")
    )
    now = timezone.now()
    wording = str(STREAMS[Stream.DIGEST].wording)
    subscriptions, ledger = [], []
    for pk, email in users:
        number = int(email[6:12])
        asked = now - timedelta(days=5 + number % 40)
        confirmed = asked + timedelta(minutes=10)
        subscriptions.append(
            StreamSubscription(
                user_id=pk,
                stream=Stream.DIGEST,
                status=StreamSubscription.Status.SUBSCRIBED,
                frequency=wanted[number],
                confirmed_at=confirmed,
            )
        )
        common = {
            "user_id": pk,
            "stream": Stream.DIGEST,
            "wording_version": CONSENT_WORDING_VERSION,
            "wording": wording,
        }
        ledger += [
            ConsentEvent(
                action=ConsentEvent.Action.REQUESTED,
                source=ConsentEvent.Source.SETTINGS,
                created_at=asked,
                **common,
            ),
            ConsentEvent(
                action=ConsentEvent.Action.GRANTED,
                source=ConsentEvent.Source.CONFIRMATION,
                created_at=confirmed,
                **common,
            ),
        ]
    StreamSubscription.objects.bulk_create(subscriptions)
    ConsentEvent.objects.bulk_create(ledger)
    return len(subscriptions)
