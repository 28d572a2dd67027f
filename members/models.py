from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


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
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)


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
        help_text=_("Your address on Mutual: /members/<handle>/"),
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
        default=True,
        help_text=_("Only signed-in paying members can see the directory. Never your email."),
    )
    interests = models.ManyToManyField(Interest, blank=True, related_name="profiles")

    objects = ProfileQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(handle=""), name="profile_handle_not_empty"
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
            str(self._meta.get_field(name).verbose_name)
            for name in OPEN_TO_FIELDS
            if getattr(self, name)
        ]

    @property
    def is_complete(self) -> bool:
        return bool(self.display_name and self.headline)


OPEN_TO_FIELDS = ("open_to_coffee", "open_to_mentoring", "open_to_collaborating", "open_to_meeting")
