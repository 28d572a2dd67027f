"""Writes for email: stream preferences with their consent ledger, and the outbox.

Every message goes through an `EmailDelivery` row written before sending, with a unique
`dedupe_key`; the send step locks the row and the member, re-checks consent and suppression,
sends, and records the outcome, so retries and re-runs never send twice and nothing is sent
to a member after their unsubscribe commits.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from django.core.mail import mailers
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members import emails
from members.email_streams import CONSENT_WORDING_VERSION, STREAMS, Stream
from members.models import (
    AddressOptOut,
    ConsentEvent,
    EmailDelivery,
    StreamSubscription,
    SuppressedAddress,
    User,
)
from members.selectors import stream_subscription_status

logger = logging.getLogger(__name__)

Outcome = Literal["sent", "skipped", "failed", "retry", "gone"]
STALE_AFTER = timedelta(minutes=10)


# --- Preferences and the consent ledger ----------------------------------------------------


def _record(*, user: User, stream: str, action: str, source: str) -> ConsentEvent:
    return ConsentEvent.objects.create(
        user=user,
        stream=stream,
        action=action,
        source=source,
        wording_version=CONSENT_WORDING_VERSION,
        wording=str(STREAMS[stream].wording),
    )


@transaction.atomic
def stream_set(
    *, user: User, stream: str, on: bool, source: str, frequency: str | None = None
) -> str:
    """Turn one stream on or off for a member, recording the change in the ledger.

    Returns the resulting status. Setting what is already set records nothing. The digest
    needs double opt-in: turning it on makes it pending and sends a confirmation email.
    """
    info = STREAMS[stream]
    # The member row is the lock that keeps a send from racing an unsubscribe.
    User.objects.select_for_update().filter(pk=user.pk).first()
    subscription = (
        StreamSubscription.objects.select_for_update().filter(user=user, stream=stream).first()
    )
    current = stream_subscription_status(subscription, info)
    if frequency and subscription is not None and subscription.frequency != frequency:
        subscription.frequency = frequency
        subscription.save(update_fields=["frequency", "updated_at"])
    if on and current in (StreamSubscription.Status.SUBSCRIBED, StreamSubscription.Status.PENDING):
        return current
    if not on and current == StreamSubscription.Status.UNSUBSCRIBED:
        return current
    if subscription is None:
        subscription = StreamSubscription(user=user, stream=stream)
    if frequency:
        subscription.frequency = frequency
    if not on:
        subscription.status = StreamSubscription.Status.UNSUBSCRIBED
        subscription.confirmed_at = None
        subscription.save()
        _record(user=user, stream=stream, action=ConsentEvent.Action.WITHDRAWN, source=source)
    elif info.double_opt_in:
        subscription.status = StreamSubscription.Status.PENDING
        subscription.confirmed_at = None
        subscription.save()
        event = _record(
            user=user, stream=stream, action=ConsentEvent.Action.REQUESTED, source=source
        )
        email_queue(
            kind="stream_confirm",
            to_email=user.email,
            user=user,
            dedupe_key=f"stream_confirm:{event.pk}",
            payload={"stream": stream, "request": event.pk},
        )
    else:
        subscription.status = StreamSubscription.Status.SUBSCRIBED
        subscription.confirmed_at = timezone.now()
        subscription.save()
        _record(user=user, stream=stream, action=ConsentEvent.Action.GRANTED, source=source)
    return subscription.status


@transaction.atomic
def stream_confirm(*, user: User, stream: str) -> bool:
    """Complete a double opt-in. False if there was nothing waiting (already done, or off)."""
    User.objects.select_for_update().filter(pk=user.pk).first()
    subscription = (
        StreamSubscription.objects.select_for_update()
        .filter(user=user, stream=stream, status=StreamSubscription.Status.PENDING)
        .first()
    )
    if subscription is None:
        return False
    subscription.status = StreamSubscription.Status.SUBSCRIBED
    subscription.confirmed_at = timezone.now()
    subscription.save(update_fields=["status", "confirmed_at", "updated_at"])
    _record(
        user=user,
        stream=stream,
        action=ConsentEvent.Action.GRANTED,
        source=ConsentEvent.Source.CONFIRMATION,
    )
    return True


def preferences_save(*, user: User, wanted: dict[str, bool], frequency: str, source: str):
    """Apply the email settings form: one `stream_set` per stream, in one transaction."""
    with transaction.atomic():
        for stream in Stream.values:
            stream_set(
                user=user,
                stream=stream,
                on=wanted.get(stream, False),
                source=source,
                frequency=frequency if stream == Stream.DIGEST else None,
            )


# --- The outbox ----------------------------------------------------------------------------


def email_queue(
    *,
    kind: str,
    to_email: str,
    dedupe_key: str,
    user: User | None = None,
    stream: str = "",
    payload: dict | None = None,
) -> EmailDelivery:
    """Write a delivery row (once per `dedupe_key`) and send it after the transaction commits."""
    try:
        with transaction.atomic():
            delivery, created = EmailDelivery.objects.get_or_create(
                dedupe_key=dedupe_key,
                defaults={
                    "kind": kind,
                    "to_email": to_email,
                    "user": user,
                    "stream": stream,
                    "payload": payload or {},
                },
            )
    except IntegrityError:
        # A concurrent caller queued the same key first.
        return EmailDelivery.objects.get(dedupe_key=dedupe_key)
    if created:
        _send_after_commit([delivery.pk])
    return delivery


def email_queue_many(rows: list[dict], *, batch_size: int = 200) -> list[int]:
    """Queue many deliveries at once (invites, digests): rows already queued are left alone.

    Returns the ids of the rows this call created, which are sent in batches over one SMTP
    connection each.
    """
    keys = [row["dedupe_key"] for row in rows]
    with transaction.atomic():
        existing = set(
            EmailDelivery.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)
        )
        EmailDelivery.objects.bulk_create(
            [EmailDelivery(**row) for row in rows if row["dedupe_key"] not in existing],
            ignore_conflicts=True,
        )
        created = list(
            EmailDelivery.objects.filter(dedupe_key__in=set(keys) - existing)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    for start in range(0, len(created), batch_size):
        _send_after_commit(created[start : start + batch_size])
    return created


def email_send_now(
    *, kind: str, to_email: str, dedupe_key: str, user: User | None = None, payload: dict
) -> EmailDelivery:
    """Write the delivery row and send it in this request (account mail people wait for).

    A temporary failure leaves the row pending, and the sweeper sends it later.
    """
    delivery = EmailDelivery.objects.create(
        kind=kind, to_email=to_email, dedupe_key=dedupe_key, user=user, payload=payload
    )
    deliveries_send(delivery_ids=[delivery.pk])
    return delivery


def _send_after_commit(delivery_ids: list[int]) -> None:
    from members.tasks import deliveries_send_task

    deliveries_send_task.delay_on_commit(delivery_ids)


@dataclass
class SendReport:
    outcomes: dict[int, Outcome] = field(default_factory=dict)

    @property
    def to_retry(self) -> list[int]:
        return [pk for pk, outcome in self.outcomes.items() if outcome == "retry"]


def deliveries_send(*, delivery_ids: list[int]) -> SendReport:
    """Send a batch over one SMTP connection; temporary failures come back to be retried."""
    report = SendReport()
    mailer = mailers.default
    try:
        mailer.open()
    except OSError as error:
        logger.warning("SMTP server unreachable", extra={"error": str(error)})
        report.outcomes = dict.fromkeys(delivery_ids, "retry")
        return report
    try:
        for index, delivery_id in enumerate(delivery_ids):
            try:
                report.outcomes[delivery_id] = delivery_send_one(
                    delivery_id=delivery_id, mailer=mailer
                )
            except (smtplib.SMTPServerDisconnected, OSError) as error:
                # The connection is gone: this one and the rest of the batch go round again.
                logger.warning("SMTP connection lost", extra={"error": str(error)})
                for pending_id in delivery_ids[index:]:
                    report.outcomes[pending_id] = "retry"
                break
    finally:
        with contextlib.suppress(OSError):
            mailer.close()
    return report


def delivery_send_one(*, delivery_id: int, mailer) -> Outcome:
    with transaction.atomic():
        delivery = (
            EmailDelivery.objects.select_for_update()
            .filter(
                pk=delivery_id,
                status__in=[EmailDelivery.Status.PENDING, EmailDelivery.Status.SENDING],
            )
            .first()
        )
        if delivery is None:
            return "gone"  # sent, skipped or failed by an earlier run
        user = None
        if delivery.user_id:
            # Holding the member's row means an unsubscribe waits for this send to finish,
            # and a send after the unsubscribe commits sees it.
            user = User.objects.select_for_update().filter(pk=delivery.user_id).first()
        reason = _skip_reason(delivery, user)
        try:
            content = None if reason else emails.render(delivery)
        except LookupError as error:  # no renderer: a bug, not worth retrying
            return _finish(delivery, EmailDelivery.Status.FAILED, str(error))
        if reason or content is None:
            return _finish(delivery, EmailDelivery.Status.SKIPPED, reason or "nothing to send")
        delivery.attempts += 1
        try:
            message = emails.build_message(delivery=delivery, content=content)
            mailer.send_messages([message])
        except ValueError as error:  # an address Django refuses (e.g. with a line break)
            return _finish(delivery, EmailDelivery.Status.FAILED, str(error))
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()))
            return _smtp_refused(delivery, code, text)
        except smtplib.SMTPResponseException as error:
            return _smtp_refused(delivery, error.smtp_code, error.smtp_error)
        return _finish(delivery, EmailDelivery.Status.SENT, "")


def _skip_reason(delivery: EmailDelivery, user: User | None) -> str:
    if SuppressedAddress.objects.filter(email__iexact=delivery.to_email).exists():
        return "address suppressed"
    if delivery.stream:
        from members.selectors import stream_is_on

        if delivery.user_id is None:  # a guest, invited by address
            if AddressOptOut.objects.filter(
                email__iexact=delivery.to_email, stream=delivery.stream
            ).exists():
                return "address opted out of this stream"
            return ""
        if user is None or not user.is_active:
            return "no such member"
        if not stream_is_on(user, delivery.stream):
            return "member is not subscribed to this stream"
    return ""


def address_opt_out(*, email: str, stream: str) -> AddressOptOut:
    """A guest (no account) stops a stream; idempotent."""
    opt_out, _created = AddressOptOut.objects.get_or_create(email=email.lower(), stream=stream)
    return opt_out


def _smtp_refused(delivery: EmailDelivery, code: int, text) -> Outcome:
    detail = f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
    if 400 <= code < 500:
        delivery.status = EmailDelivery.Status.PENDING
        delivery.last_error = detail
        delivery.updated_at = timezone.now()
        delivery.save(update_fields=["status", "attempts", "last_error", "updated_at"])
        return "retry"
    # Permanent: never retried, and the address is not written to again.
    SuppressedAddress.objects.get_or_create(
        email=delivery.to_email.lower(),
        defaults={"reason": SuppressedAddress.Reason.HARD_BOUNCE, "detail": detail},
    )
    return _finish(delivery, EmailDelivery.Status.FAILED, detail)


def _finish(delivery: EmailDelivery, status: str, detail: str) -> Outcome:
    now = timezone.now()
    delivery.status = status
    delivery.last_error = detail
    delivery.updated_at = now
    if status == EmailDelivery.Status.SENT:
        delivery.sent_at = now
        if delivery.kind == "prerendered":
            delivery.payload = {}  # it held sign-in and reset links: keep no copy
    delivery.save(
        update_fields=["status", "attempts", "last_error", "updated_at", "sent_at", "payload"]
    )
    return str(status)  # type: ignore[return-value]


def deliveries_give_up(*, delivery_ids: list[int], reason: str) -> int:
    """Mark deliveries that kept failing temporarily as failed, so the sweeper leaves them."""
    return EmailDelivery.objects.filter(
        pk__in=delivery_ids, status=EmailDelivery.Status.PENDING
    ).update(
        status=EmailDelivery.Status.FAILED,
        last_error=_("Gave up after repeated temporary failures: %(reason)s") % {"reason": reason},
        updated_at=timezone.now(),
    )


def deliveries_requeue_stale(*, older_than: timedelta = STALE_AFTER) -> int:
    """Send again what a crashed worker or a lost task left pending (the sweeper)."""
    with transaction.atomic():
        ids = list(
            EmailDelivery.objects.stale(older_than=older_than)
            .select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:5000]
        )
        EmailDelivery.objects.filter(pk__in=ids).update(
            status=EmailDelivery.Status.PENDING, updated_at=timezone.now()
        )
        for start in range(0, len(ids), 200):
            _send_after_commit(ids[start : start + 200])
    return len(ids)
