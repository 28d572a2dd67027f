"""Identity and what members show each other: users, interests, profiles, introductions and
staff enrolment."""

from typing import Any, ClassVar, cast

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.images import PHOTO_RENDITIONS, ImageValidator, RandomName, RenditionImageField
from core.models import TimeStampedModel


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

    # Fields taken away, as Django documents; the stubs type AbstractUser's as always present.
    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    # The stubs expect AbstractUser's manager (which needs a username); Django's docs derive a
    # custom user's manager from BaseUserManager, as here.
    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

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


PHOTO_MAX_BYTES = 5 * 1024 * 1024
_photo_check = ImageValidator(max_bytes=PHOTO_MAX_BYTES, what=_("photo"))


def validate_member_photo(value) -> None:
    """A JPEG, PNG or WebP photo of at most 5 MB and 4000 pixels a side, stored without its
    metadata (core.images)."""
    _photo_check(value)


def shown_attending(prefix: str = "") -> models.Q:
    """Profiles whose owners appear on events' "who's going" lists: those who said yes, and
    those who left it to their directory listing and are listed. `prefix` reaches the profile
    from another model ("member__profile__")."""
    return models.Q(**{f"{prefix}show_attending": True}) | models.Q(
        **{f"{prefix}show_attending__isnull": True, f"{prefix}in_directory": True}
    )


class ProfileQuerySet(models.QuerySet["Profile"]):
    def in_directory(self) -> "ProfileQuerySet":
        return self.filter(in_directory=True, user__is_active=True)

    def shown_attending(self) -> "ProfileQuerySet":
        return self.filter(shown_attending(), user__is_active=True)


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
    show_attending = models.BooleanField(
        _("show me on “who's going” lists"),
        null=True,
        blank=True,
        default=None,
        choices=[
            (None, _("Only if I'm in the member directory")),
            (True, _("Yes, show me")),
            (False, _("No, leave me off")),
        ],
        help_text=_(
            "On the pages of events you're going to, other members see your name and, if "
            "you're in the directory, your photo. Everyone sees only how many are going."
        ),
    )
    photo = RenditionImageField(
        _("photo"),
        upload_to=RandomName("members/photos/"),
        blank=True,
        renditions=PHOTO_RENDITIONS,
        validators=[validate_member_photo],
        help_text=_(
            "Optional. JPEG, PNG or WebP, at most 5 MB; a square one looks best. Other members "
            "see it only where they can see your profile."
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

    # Not a column: the interests shared with the viewer, set by selectors.directory_page.
    shared: list[Interest]

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~models.Q(handle=""), name="profile_handle_not_empty"),
        ]
        indexes = [
            # Listing is an opt-in that most profiles leave off: pages that show listed
            # members (a group's people, the directory) find them through this small index
            # instead of reading every profile.
            models.Index(
                fields=["user"], condition=models.Q(in_directory=True), name="profile_listed_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} (@{self.handle})"

    def get_absolute_url(self) -> str:
        return reverse("members:detail", kwargs={"handle": self.handle})

    @property
    def open_to(self) -> list[str]:
        """The labels of what the member is open to, in display order."""
        return [
            str(cast("models.Field[Any, Any]", self._meta.get_field(name)).verbose_name)
            for name in OPEN_TO_FIELDS
            if getattr(self, name)
        ]

    @property
    def shows_attending(self) -> bool:
        """Whether they appear on "who's going" lists (see `shown_attending`)."""
        return self.in_directory if self.show_attending is None else self.show_attending

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
