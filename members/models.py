from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from members.email_streams import DigestFrequency, Stream


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields) -> "User":
        """`manage.py createsuperuser`: the new staff account is mailed its enrolment link."""
        from members.services.staff import staff_enrolment_send

        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        user = self._create_user(email, password, **extra_fields)
        staff_enrolment_send(user=user, reason=StaffEnrolment.Reason.GRANTED)
        return user


class User(AbstractUser):
    """A person with an account. The email address is the login and is never shown to others."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("email address"), unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email


class InterestQuerySet(models.QuerySet["Interest"]):
    def by_category(self) -> "InterestQuerySet":
        return self.order_by("category", "name")


class Interest(models.Model):
    """One entry of the curated taxonomy members pick from; staff keep it in the admin."""

    class Category(models.TextChoices):
        BUSINESS = "business", _("Business")
        WELLBEING = "wellbeing", _("Wellbeing")

    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    category = models.CharField(max_length=20, choices=Category.choices)

    objects = InterestQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


handle_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{1,28}[a-z0-9])$",
    _(
        "Use 3 to 30 lower-case letters, digits and hyphens, starting and ending with a "
        "letter or digit."
    ),
)


class ProfileQuerySet(models.QuerySet["Profile"]):
    def in_directory(self) -> "ProfileQuerySet":
        return self.filter(in_directory=True, user__is_active=True)


class Profile(TimeStampedModel):
    """What a member shows other members. Contact details are not part of it."""

    MIN_INTERESTS = 3
    MAX_INTERESTS = 15

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    display_name = models.CharField(_("display name"), max_length=80)
    handle = models.CharField(
        _("handle"),
        max_length=30,
        unique=True,
        validators=[handle_validator],
        error_messages={"unique": _("That handle is taken. Try another.")},
        help_text=_("Your address on Mutual: /members/your-handle/"),
    )
    headline = models.CharField(
        _("headline"),
        max_length=120,
        blank=True,
        help_text=_("One line about what you do, e.g. “Bookkeeper for small charities”."),
    )
    bio = models.TextField(_("about you"), max_length=2000, blank=True)
    city = models.CharField(_("town or city"), max_length=80, blank=True)
    website = models.URLField(_("website"), max_length=200, blank=True)
    open_to_coffee = models.BooleanField(_("coffee chats"), default=False)
    open_to_mentoring = models.BooleanField(_("mentoring"), default=False)
    open_to_collaborating = models.BooleanField(_("collaborating"), default=False)
    open_to_meeting = models.BooleanField(_("just meeting people"), default=False)
    in_directory = models.BooleanField(
        _("show me in the member directory"),
        default=False,
        help_text=_(
            "Off until you tick it. Only signed-in paying members can see the directory. "
            "Never your email."
        ),
    )
    interests = models.ManyToManyField(Interest, blank=True, related_name="profiles")
    contact_details = models.CharField(
        _("contact details to share with introductions"),
        max_length=200,
        blank=True,
        help_text=_(
            "Never shown on your profile. Offered, and editable each time, when you accept an "
            "introduction or ask for one, e.g. “ann@ann.example or 07700 900123”."
        ),
    )

    objects = ProfileQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~models.Q(handle=""), name="profile_handle_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} (@{self.handle})"

    def get_absolute_url(self) -> str:
        return reverse("members:detail", kwargs={"handle": self.handle})

    @property
    def open_to(self) -> list[str]:
        """The labels of what the member is open to, in display order."""
        return [
            str(self._meta.get_field(name).verbose_name)
            for name in OPEN_TO_FIELDS
            if getattr(self, name)
        ]

    @property
    def is_complete(self) -> bool:
        return bool(self.display_name and self.headline)

    @property
    def website_link(self) -> str:
        """The website as a link target, only if it is http(s): never a javascript: URL.

        The form only accepts http(s), but a value written any other way must not become
        a link that runs script.
        """
        return self.website if self.website.lower().startswith(("https://", "http://")) else ""


OPEN_TO_FIELDS = ("open_to_coffee", "open_to_mentoring", "open_to_collaborating", "open_to_meeting")


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self, *, now=None) -> "MembershipQuerySet":
        """Memberships that grant access now: see `Membership.is_active`."""
        now = now or timezone.now()
        grace_start = now - timedelta(days=settings.MEMBERSHIP_GRACE_DAYS)
        return self.filter(
            models.Q(status__in=Membership.ACCESS_STATUSES)
            | models.Q(status=Membership.Status.PAST_DUE, past_due_since__gt=grace_start)
        )

    def to_reconcile(self) -> "MembershipQuerySet":
        """Memberships whose Stripe state could have drifted without us hearing of it."""
        return self.exclude(stripe_subscription_id=None).filter(
            status__in=[
                Membership.Status.ACTIVE,
                Membership.Status.TRIALING,
                Membership.Status.PAST_DUE,
                Membership.Status.INCOMPLETE,
            ]
        )


class Membership(TimeStampedModel):
    """A person's paid membership, mirrored from their Stripe subscription.

    Only the Stripe webhook, the nightly reconciliation and the admin's resync write the
    Stripe fields, always from a freshly fetched subscription (see `members.billing`).
    """

    class Status(models.TextChoices):
        NONE = "", _("not a member yet")
        INCOMPLETE = "incomplete", _("payment not completed")
        INCOMPLETE_EXPIRED = "incomplete_expired", _("payment expired")
        TRIALING = "trialing", _("trial")
        ACTIVE = "active", _("active")
        PAST_DUE = "past_due", _("payment failed")
        CANCELED = "canceled", _("cancelled")
        UNPAID = "unpaid", _("unpaid")
        PAUSED = "paused", _("paused")

    ACCESS_STATUSES = (Status.ACTIVE, Status.TRIALING)

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="membership")
    stripe_customer_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    stripe_subscription_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.NONE, blank=True
    )
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    past_due_since = models.DateTimeField(
        null=True, blank=True, help_text=_("When the subscription last became past due.")
    )
    synced_at = models.DateTimeField(null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="past_due") | models.Q(past_due_since__isnull=False),
                name="membership_past_due_has_since",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_status_display()})"

    def is_active(self, *, now=None) -> bool:
        """Active, trialing, or past due for less than `MEMBERSHIP_GRACE_DAYS`."""
        if self.status in self.ACCESS_STATUSES:
            return True
        if self.status == self.Status.PAST_DUE and self.past_due_since:
            now = now or timezone.now()
            return now < self.past_due_since + timedelta(days=settings.MEMBERSHIP_GRACE_DAYS)
        return False

    @property
    def grace_ends_at(self):
        if self.status == self.Status.PAST_DUE and self.past_due_since:
            return self.past_due_since + timedelta(days=settings.MEMBERSHIP_GRACE_DAYS)
        return None

    @property
    def payment_trouble(self) -> bool:
        return self.status in (self.Status.PAST_DUE, self.Status.UNPAID, self.Status.INCOMPLETE)


class StripeEvent(models.Model):
    """A Stripe event we have processed; its id makes every delivery after the first a no-op."""

    id = models.CharField(primary_key=True, max_length=255)
    type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=255, blank=True)
    processed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-processed_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class StreamSubscription(TimeStampedModel):
    """A member's choice for one stream; without a row, the stream's default applies."""

    class Status(models.TextChoices):
        SUBSCRIBED = "subscribed", _("on")
        PENDING = "pending", _("waiting for confirmation")
        UNSUBSCRIBED = "unsubscribed", _("off")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="stream_subscriptions")
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

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consent_events")
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
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
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


class IntroRequestQuerySet(models.QuerySet["IntroRequest"]):
    def involving(self, user: User) -> "IntroRequestQuerySet":
        """Requests this member sent or received: nobody else may see them."""
        return self.filter(models.Q(sender=user) | models.Q(recipient=user))

    def for_listing(self) -> "IntroRequestQuerySet":
        return self.select_related("sender__profile", "recipient__profile").order_by("-created_at")


class IntroRequest(models.Model):
    """Member A asks to be introduced to member B; contact details travel only on acceptance."""

    NOTE_MAX = 500
    OPEN_PER_DAY = 10
    REPEAT_AFTER_DECLINE_DAYS = 90

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for a reply")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        WITHDRAWN = "withdrawn", _("withdrawn")

    sender = models.ForeignKey(User, on_delete=models.CASCADE, related_name="intros_sent")
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="intros_received")
    note = models.TextField(max_length=NOTE_MAX)
    sender_contact = models.CharField(
        _("what you'll share if they accept"), max_length=200, blank=True
    )
    recipient_contact = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    objects = IntroRequestQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "recipient"],
                condition=models.Q(status="pending"),
                name="one_open_intro_per_pair",
            ),
            models.CheckConstraint(
                condition=~models.Q(sender=models.F("recipient")), name="intro_not_to_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sender} → {self.recipient} ({self.status})"


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


class StaffEnrolmentQuerySet(models.QuerySet["StaffEnrolment"]):
    def usable(self, *, now=None) -> "StaffEnrolmentQuerySet":
        """Links not yet used, not replaced by a newer one, and not expired."""
        return self.filter(
            used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now or timezone.now()
        )


class StaffEnrolment(models.Model):
    """A one-time, expiring link that lets a staff account set up its second factor.

    A staff password alone never enrols an authenticator: the link is mailed to the account's
    own address when staff status is granted (or when the account asks for a fresh one), and
    each row also records who granted staff status and when.
    """

    class Reason(models.TextChoices):
        GRANTED = "granted", _("staff status granted")
        REQUESTED = "requested", _("a fresh link asked for")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_enrolments"
    )
    reason = models.CharField(max_length=16, choices=Reason.choices)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sent_to = models.EmailField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = StaffEnrolmentQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"Enrolment link for {self.user} ({self.get_reason_display()})"
