"""Mail's records: members' stream choices, the consent ledger, the outbox and who must not
be written to. The user model is referred to by `settings.AUTH_USER_MODEL`: mail is below
`members` and imports no app of ours but `core`."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from mail.streams import DigestFrequency, Stream


class StreamSubscription(TimeStampedModel):
    """A member's choice for one stream; without a row, the stream's default applies."""

    class Status(models.TextChoices):
        SUBSCRIBED = "subscribed", _("on")
        PENDING = "pending", _("waiting for confirmation")
        UNSUBSCRIBED = "unsubscribed", _("off")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stream_subscriptions"
    )
    stream = models.CharField(max_length=32, choices=Stream.choices)
    status = models.CharField(max_length=16, choices=Status.choices)
    frequency = models.CharField(
        max_length=16, choices=DigestFrequency.choices, default=DigestFrequency.WEEKLY
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "stream"], name="one_subscription_per_stream"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.stream}: {self.status}"


class ConsentEvent(models.Model):
    """Append-only ledger of every change to every stream (the database refuses edits)."""

    class Action(models.TextChoices):
        REQUESTED = "requested", _("asked for (awaiting confirmation)")
        GRANTED = "granted", _("turned on")
        WITHDRAWN = "withdrawn", _("turned off")

    class Source(models.TextChoices):
        SETTINGS = "settings", _("email settings page")
        SIGNUP = "signup", _("sign-up form")
        CONFIRMATION = "confirmation", _("confirmation email")
        ONE_CLICK = "one_click", _("one-click unsubscribe")
        UNSUBSCRIBE_PAGE = "unsubscribe_page", _("unsubscribe link")
        ADMIN = "admin", _("staff, in the admin")
        BOUNCE = "bounce", _("address stopped accepting mail")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consent_events"
    )
    stream = models.CharField(max_length=32, choices=Stream.choices)
    action = models.CharField(max_length=16, choices=Action.choices)
    source = models.CharField(max_length=20, choices=Source.choices)
    wording_version = models.CharField(max_length=32)
    wording = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user} {self.stream} {self.action} via {self.source}"


class SuppressedAddress(models.Model):
    """An address we no longer send to (hard bounce, complaint, or staff decision)."""

    class Reason(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", _("hard bounce")
        COMPLAINT = "complaint", _("spam complaint")
        MANUAL = "manual", _("added by staff")

    email = models.EmailField(unique=True)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = _("suppressed addresses")

    def __str__(self) -> str:
        return self.email


class EmailDeliveryQuerySet(models.QuerySet["EmailDelivery"]):
    def stale(self, *, older_than: timedelta) -> "EmailDeliveryQuerySet":
        """Rows a crashed or lost task left behind: still pending or sending after a while."""
        cutoff = timezone.now() - older_than
        return self.filter(
            status__in=[EmailDelivery.Status.PENDING, EmailDelivery.Status.SENDING],
            updated_at__lt=cutoff,
        )


class EmailDelivery(models.Model):
    """One message to one recipient, written before it is sent (the outbox).

    `dedupe_key` is unique, so the same digest period, invite or notice can never be queued
    twice, and a retried task finds the row already sent.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        SKIPPED = "skipped", _("skipped")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    to_email = models.EmailField()
    kind = models.CharField(max_length=50)
    stream = models.CharField(max_length=32, choices=Stream.choices, blank=True)
    dedupe_key = models.CharField(max_length=255, unique=True)
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = EmailDeliveryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = _("email deliveries")
        indexes = [models.Index(fields=["status", "updated_at"], name="delivery_status_updated")]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to_email} ({self.status})"


class AddressOptOut(models.Model):
    """Someone without an account (an invited guest) who asked to stop one stream."""

    email = models.EmailField()
    stream = models.CharField(max_length=32, choices=Stream.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["email", "stream"], name="one_opt_out_per_address"),
        ]

    def __str__(self) -> str:
        return f"{self.email} off {self.stream}"
