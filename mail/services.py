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
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from django.contrib.auth import get_user_model
from django.core.mail import mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from mail import emails
from mail.models import (
    AddressOptOut,
    ConsentEvent,
    EmailDelivery,
    StreamSubscription,
    SuppressedAddress,
)
from mail.selectors import stream_subscription_status
from mail.streams import CONSENT_WORDING_VERSION, STREAMS, Stream

if TYPE_CHECKING:
    # The type only: at run time this app reaches the (swappable) user model through
    # `get_user_model()` and `settings.AUTH_USER_MODEL`, never by importing `members`.
    from members.models import User

logger = logging.getLogger(__name__)

Outcome = Literal["sent", "skipped", "failed", "retry", "gone"]
STALE_AFTER = timedelta(minutes=10)
# Members' mail is checked and sent this many at a time (see `deliveries_send`).
CHUNK_SIZE = 50
# The first key of the two-key PostgreSQL advisory locks that guard sending to a member.
MAIL_LOCK_NAMESPACE = 0x6D61696C  # "mail"


# --- The member's mail lock ----------------------------------------------------------------


def _lock_key(user_id: int) -> int:
    return user_id % 2**31  # the two-key form takes 32-bit keys; a clash only makes one wait


def member_mail_lock(user_id: int) -> None:
    """Wait until no message to this member is being sent, and hold new sends off until the
    current transaction ends.

    Every change that stops mail to a member (an unsubscribe, erasing the account) takes
    this lock, so a send that already checked the member's consent finishes first, and every
    later send sees the change. On SQLite (`make run`) writes are serialised anyway.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)", [MAIL_LOCK_NAMESPACE, _lock_key(user_id)]
        )


@contextlib.contextmanager
def _members_mail_locked(user_ids: list[int]) -> Iterator[None]:
    """Hold the mail lock of each of these members while the block sends to them.

    In autocommit (a worker), the locks are session locks, so each message's outcome can be
    committed as soon as it is known while the locks stay held; inside a transaction they
    last until it ends. Keys are taken in ascending order, so two senders never deadlock.
    """
    keys = sorted({_lock_key(user_id) for user_id in user_ids})
    if connection.vendor != "postgresql" or not keys:
        yield
        return
    in_transaction = connection.in_atomic_block
    lock = (
        "SELECT count(pg_advisory_xact_lock(%s, key)) FROM unnest(%s::int[]) AS key"
        if in_transaction
        else "SELECT count(pg_advisory_lock(%s, key)) FROM unnest(%s::int[]) AS key"
    )
    with connection.cursor() as cursor:
        cursor.execute(lock, [MAIL_LOCK_NAMESPACE, keys])
    try:
        yield
    finally:
        if not in_transaction:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(pg_advisory_unlock(%s, key)) FROM unnest(%s::int[]) AS key",
                    [MAIL_LOCK_NAMESPACE, keys],
                )


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
    # A send that already checked this member's consent finishes before this commits.
    member_mail_lock(user.pk)
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
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
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
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


def preferences_save(*, user: User, wanted: dict[str, bool], frequency: str, source: str) -> None:
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
    payload: dict[str, Any] | None = None,
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


def email_queue_many(rows: list[dict[str, Any]], *, batch_size: int = 200) -> list[int]:
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
    *, kind: str, to_email: str, dedupe_key: str, user: User | None = None, payload: dict[str, Any]
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
    from mail.tasks import deliveries_send_task

    # celery-types types shared_task as Task; the app's task_cls is DjangoTask (on commit).
    deliveries_send_task.delay_on_commit(delivery_ids)  # type: ignore[attr-defined]


@dataclass
class SendReport:
    outcomes: dict[int, Outcome] = field(default_factory=dict)

    @property
    def to_retry(self) -> list[int]:
        return [pk for pk, outcome in self.outcomes.items() if outcome == "retry"]


def deliveries_send(*, delivery_ids: list[int]) -> SendReport:
    """Send a batch over one SMTP connection; temporary failures come back to be retried.

    Members' mail goes a chunk at a time: take the chunk's members' mail locks, read what
    may be sent (statuses, consent, suppression) in a few queries, then send each message
    and commit its outcome at once. An unsubscribe waits for the chunk (a fraction of a
    second) and anything after it sees the change; a crash re-sends at most the one message
    whose outcome was not yet written. Guests' mail goes one message at a time.
    """
    report = SendReport()
    mailer = mailers.default
    try:
        mailer.open()
    except OSError as error:
        logger.warning("SMTP server unreachable", extra={"error": str(error)})
        report.outcomes = dict.fromkeys(delivery_ids, "retry")
        return report
    try:
        for start in range(0, len(delivery_ids), CHUNK_SIZE):
            try:
                _chunk_send(delivery_ids[start : start + CHUNK_SIZE], mailer, report)
            except (smtplib.SMTPServerDisconnected, OSError) as error:
                # The connection is gone: what is left of the batch goes round again.
                logger.warning("SMTP connection lost", extra={"error": str(error)})
                for pending_id in delivery_ids[start:]:
                    report.outcomes.setdefault(pending_id, "retry")
                break
    finally:
        with contextlib.suppress(OSError):
            mailer.close()
    return report


def _chunk_send(delivery_ids: list[int], mailer: BaseEmailBackend, report: SendReport) -> None:
    owners = dict(EmailDelivery.objects.filter(pk__in=delivery_ids).values_list("pk", "user_id"))
    member_ids = [user_id for user_id in owners.values() if user_id]
    if connection.vendor != "postgresql":
        member_ids = []  # no advisory locks: every message takes the row-lock path
    with _members_mail_locked(member_ids):
        # Read only now, under the locks: what an unsubscribe committed before is seen.
        deliveries = {
            delivery.pk: delivery
            for delivery in EmailDelivery.objects.select_related("user").filter(
                pk__in=delivery_ids,
                user_id__in=member_ids,
                status__in=[EmailDelivery.Status.PENDING, EmailDelivery.Status.SENDING],
            )
        }
        subscriptions: dict[tuple[int | None, str], StreamSubscription] = {
            (subscription.user_id, subscription.stream): subscription
            for subscription in StreamSubscription.objects.filter(user_id__in=member_ids)
        }
        addresses = {delivery.to_email.lower() for delivery in deliveries.values()}
        suppressed = set(
            SuppressedAddress.objects.annotate(address=Lower("email"))
            .filter(address__in=addresses)
            .values_list("address", flat=True)
        )
        for delivery_id in delivery_ids:
            if owners.get(delivery_id) is None or not member_ids:
                outcome = delivery_send_one(delivery_id=delivery_id, mailer=mailer)
            elif delivery_id not in deliveries:
                outcome = "gone"  # sent, skipped or failed by an earlier run
            else:
                delivery = deliveries[delivery_id]
                subscription = subscriptions.get((delivery.user_id, delivery.stream))
                reason = _member_skip_reason(
                    delivery,
                    delivery.user,
                    suppressed=delivery.to_email.lower() in suppressed,
                    subscription=subscription,
                )
                outcome = _render_and_send(
                    delivery,
                    mailer,
                    reason,
                    opted_in_at=subscription.confirmed_at if subscription else None,
                )
            report.outcomes[delivery_id] = outcome


def _render_and_send(
    delivery: EmailDelivery, mailer: BaseEmailBackend, reason: str, **message_options: Any
) -> Outcome:
    """Skip with `reason` if there is one, else render and send; record the outcome."""
    try:
        content = None if reason else emails.render(delivery)
    except LookupError as error:  # no renderer: a bug, not worth retrying
        return _finish(delivery, EmailDelivery.Status.FAILED, str(error))
    if reason or content is None:
        return _finish(delivery, EmailDelivery.Status.SKIPPED, reason or "nothing to send")
    return _deliver(delivery, mailer, content, **message_options)


def _deliver(
    delivery: EmailDelivery,
    mailer: BaseEmailBackend,
    content: emails.EmailContent,
    **message_options: Any,
) -> Outcome:
    delivery.attempts += 1
    try:
        message = emails.build_message(delivery=delivery, content=content, **message_options)
        mailer.send_messages([message])
    except ValueError as error:  # an address Django refuses (e.g. with a line break)
        return _finish(delivery, EmailDelivery.Status.FAILED, str(error))
    except smtplib.SMTPRecipientsRefused as error:
        code, text = next(iter(error.recipients.values()))
        return _smtp_refused(delivery, code, text)
    except smtplib.SMTPResponseException as error:
        return _smtp_refused(delivery, error.smtp_code, error.smtp_error)
    return _finish(delivery, EmailDelivery.Status.SENT, "")


def delivery_send_one(*, delivery_id: int, mailer: BaseEmailBackend) -> Outcome:
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
            user = get_user_model().objects.select_for_update().filter(pk=delivery.user_id).first()
        return _render_and_send(delivery, mailer, _skip_reason(delivery, user))


def _skip_reason(delivery: EmailDelivery, user: User | None) -> str:
    """Why not to send `delivery` now, or "": one message's checks, a query each."""
    suppressed = SuppressedAddress.objects.filter(email__iexact=delivery.to_email).exists()
    if delivery.user_id is None:  # a guest, invited by address
        if suppressed:
            return "address suppressed"
        if delivery.stream and (
            AddressOptOut.objects.filter(
                email__iexact=delivery.to_email, stream=delivery.stream
            ).exists()
        ):
            return "address opted out of this stream"
        return ""
    subscription = (
        StreamSubscription.objects.filter(user_id=delivery.user_id, stream=delivery.stream).first()
        if delivery.stream
        else None
    )
    return _member_skip_reason(delivery, user, suppressed=suppressed, subscription=subscription)


def _member_skip_reason(
    delivery: EmailDelivery,
    user: User | None,
    *,
    suppressed: bool,
    subscription: StreamSubscription | None,
) -> str:
    """Why not to send a member's message now, or "", from what the caller has read."""
    if suppressed:
        return "address suppressed"
    if delivery.stream:
        if user is None or not user.is_active:
            return "no such member"
        if (
            stream_subscription_status(subscription, STREAMS[delivery.stream])
            != StreamSubscription.Status.SUBSCRIBED
        ):
            return "member is not subscribed to this stream"
    return ""


def address_opt_out(*, email: str, stream: str) -> AddressOptOut:
    """A guest (no account) stops a stream; idempotent."""
    opt_out, _created = AddressOptOut.objects.get_or_create(email=email.lower(), stream=stream)
    return opt_out


def _smtp_refused(delivery: EmailDelivery, code: int, text: bytes | str) -> Outcome:
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
    changes = {"status": status, "attempts": delivery.attempts, "last_error": detail}
    if status == EmailDelivery.Status.SENT:
        delivery.sent_at = changes["sent_at"] = now
        if delivery.kind == "prerendered":
            delivery.payload = changes["payload"] = {}  # it held sign-in and reset links
    # One UPDATE of what changed (not the payload, which can be large).
    EmailDelivery.objects.filter(pk=delivery.pk).update(updated_at=now, **changes)
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
