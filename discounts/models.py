"""Partners' offers that paying members redeem, and the codes they hand over at the till.

Dates on an offer are calendar dates in the site's time zone (Europe/London): an offer valid
until 30 November can be redeemed until 23:59:59 London time that day.
"""

import calendar
import secrets
from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, RegexValidator
from django.db import models
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.images import LOGO_RENDITIONS, ImageValidator, RenditionImageField
from core.models import TimeStampedModel
from members.models import Interest

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

LOGO_MAX_BYTES = 1024 * 1024
_logo_check = ImageValidator(max_bytes=LOGO_MAX_BYTES, what=_("logo"))
CODE_MAX_LENGTH = 64
# Paths under /discounts/ that are pages of their own, so no offer may take them as a slug.
RESERVED_SLUGS = ("mine", "partners")

code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_-]{2,63}$",
    _("Use 3 to 64 letters, digits, hyphens or underscores, starting with a letter or digit."),
)


def site_today(now=None) -> date:
    """Today's date in the site's time zone, whatever time zone is active for the request."""
    return timezone.localdate(now or timezone.now(), timezone=timezone.get_default_timezone())


def end_of_next_month(today: date) -> date:
    first_of_next = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    _weekday, days = calendar.monthrange(first_of_next.year, first_of_next.month)
    return first_of_next.replace(day=days)


def new_verification_token() -> str:
    return secrets.token_urlsafe(24)


def validate_logo(value) -> None:
    """A PNG, JPEG or WebP logo of at most 1 MB and 4000 pixels a side, checked by decoding it
    and stored without its metadata (core.images)."""
    _logo_check(value)


class Partner(TimeStampedModel):
    """A business that offers Mutual members a discount. It never learns who they are."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    website = models.URLField(_("website"), max_length=200, blank=True)
    logo = RenditionImageField(
        _("logo"),
        upload_to="discounts/partners/",
        blank=True,
        renditions=LOGO_RENDITIONS,
        validators=[FileExtensionValidator(["png", "jpg", "jpeg", "webp"]), validate_logo],
        help_text=_("PNG, JPEG or WebP, up to 1 MB. Shown on a white background."),
    )
    verification_token = models.CharField(
        _("verification token"),
        max_length=64,
        unique=True,
        default=new_verification_token,
        editable=False,
        help_text=_("The secret in the partner's code-checking link. Rotate it if it leaks."),
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(verification_token=""), name="discount_partner_token_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_verification_url(self) -> str:
        return reverse("discounts:partner_verify", kwargs={"token": self.verification_token})


class OfferQuerySet(models.QuerySet["Offer"]):
    def current(self, *, today: date | None = None) -> "OfferQuerySet":
        """Offers redeemable today (site time zone), both end dates included."""
        today = today or site_today()
        return self.filter(valid_from__lte=today, valid_until__gte=today)

    def upcoming(self, *, today: date | None = None) -> "OfferQuerySet":
        """Offers starting after today and before the end of next month."""
        today = today or site_today()
        return self.filter(valid_from__gt=today, valid_from__lte=end_of_next_month(today))

    def listed(self, *, today: date | None = None) -> "OfferQuerySet":
        """What /discounts/ shows: the current offers and the upcoming ones, in one query."""
        today = today or site_today()
        return self.filter(valid_until__gte=today, valid_from__lte=end_of_next_month(today))

    def with_interest(self, slug: str) -> "OfferQuerySet":
        return self.filter(interests__slug=slug)

    def with_codes_left(self) -> "OfferQuerySet":
        """Annotate `codes_left`: unclaimed codes in the pool (0 for offers without a pool)."""
        unclaimed = (
            Code.objects.filter(offer=OuterRef("pk"), assigned_at=None)
            .order_by()
            .values("offer")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(codes_left=Coalesce(Subquery(unclaimed), 0))

    def for_listing(self) -> "OfferQuerySet":
        """Partner, interests and codes left loaded up front; featured first, ending soonest."""
        return (
            self.select_related("partner")
            .prefetch_related("interests")
            .with_codes_left()
            .order_by("-featured", "valid_until", "title")
        )

    def with_counts(self) -> "OfferQuerySet":
        """Annotate `redemption_total`, `codes_left` and `codes_used` (for staff reports).

        Subqueries rather than joined counts, so one count never multiplies another.
        """
        redemptions = (
            Redemption.objects.filter(offer=OuterRef("pk"))
            .order_by()
            .values("offer")
            .annotate(n=Count("pk"))
            .values("n")
        )
        used = (
            Code.objects.filter(offer=OuterRef("pk"), used_at__isnull=False)
            .order_by()
            .values("offer")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.with_codes_left().annotate(
            redemption_total=Coalesce(Subquery(redemptions), 0),
            codes_used=Coalesce(Subquery(used), 0),
        )


class Offer(TimeStampedModel):
    """One partner's discount for members, valid between two dates (month on month)."""

    class Method(models.TextChoices):
        SHARED = "shared", _("One shared code for every member")
        POOL = "pool", _("Unique codes from a pool imported by staff")
        GENERATED = "generated", _("A unique code generated for each member")

    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="offers", verbose_name=_("partner")
    )
    title = models.CharField(_("title"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    description = models.TextField(_("description"), max_length=3000)
    terms = models.TextField(_("terms"), max_length=3000)
    interests = models.ManyToManyField(
        Interest, blank=True, related_name="offers", verbose_name=_("interests")
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(
        _("valid until"), help_text=_("Inclusive: redeemable until 23:59 London time that day.")
    )
    featured = models.BooleanField(_("featured"), default=False)
    method = models.CharField(
        _("redemption method"), max_length=20, choices=Method.choices, default=Method.GENERATED
    )
    shared_code = models.CharField(
        _("shared code"),
        max_length=CODE_MAX_LENGTH,
        blank=True,
        validators=[code_validator],
        help_text=_("Only for the shared method: the one code every member sees."),
    )
    per_member_limit = models.PositiveSmallIntegerField(
        _("codes per member"),
        default=1,
        help_text=_("How many codes one member may claim. A shared code counts once."),
    )
    total_cap = models.PositiveIntegerField(
        _("total cap"),
        null=True,
        blank=True,
        help_text=_("The most codes given out in all; leave empty for no cap."),
    )
    redeemed_count = models.PositiveIntegerField(_("codes given out"), default=0, editable=False)

    objects = OfferQuerySet.as_manager()

    # Set by discounts.selectors.catalogue on the offers of a page, for a signed-in viewer.
    viewer_has_code: bool

    class Meta:
        ordering = ["-valid_from", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=F("valid_from")),
                name="discount_offer_dates_ordered",
                violation_error_message=_("The offer must end on or after the day it starts."),
            ),
            models.CheckConstraint(
                condition=Q(per_member_limit__gte=1),
                name="discount_offer_member_limit_positive",
                violation_error_message=_("Each member must be able to claim at least one code."),
            ),
            models.CheckConstraint(
                condition=Q(total_cap__isnull=True) | Q(total_cap__gte=1),
                name="discount_offer_cap_positive",
                violation_error_message=_("A cap must be at least 1; leave it empty for no cap."),
            ),
            # The backstop behind the lock: no write can give out more codes than the cap.
            models.CheckConstraint(
                condition=Q(total_cap__isnull=True) | Q(redeemed_count__lte=F("total_cap")),
                name="discount_offer_within_cap",
                violation_error_message=_(
                    "The cap can't be lower than the number of codes already given out."
                ),
            ),
            models.CheckConstraint(
                condition=(Q(method="shared") & ~Q(shared_code="") & Q(per_member_limit=1))
                | (~Q(method="shared") & Q(shared_code="")),
                name="discount_offer_shared_code_iff_shared",
                violation_error_message=_(
                    "A shared-code offer needs its code and allows one per member; other "
                    "methods have no shared code."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(slug__in=RESERVED_SLUGS),
                name="discount_offer_slug_not_reserved",
                violation_error_message=_("That address is taken by another page."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("discounts:detail", kwargs={"slug": self.slug})

    def clean(self) -> None:
        errors: dict[str, StrOrPromise] = {}
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            errors["valid_until"] = _("The offer must end on or after the day it starts.")
        if self.method == self.Method.SHARED:
            if not self.shared_code:
                errors["shared_code"] = _("A shared-code offer needs its code.")
            if self.per_member_limit != 1:
                errors["per_member_limit"] = _(
                    "Everyone sees the same shared code, so the limit is one per member."
                )
        elif self.shared_code:
            errors["shared_code"] = _("Only shared-code offers have a shared code.")
        if self.total_cap is not None and self.total_cap < self.redeemed_count:
            errors["total_cap"] = _(
                "The cap can't be lower than the %(n)d codes already given out."
            ) % {"n": self.redeemed_count}
        if self.slug in RESERVED_SLUGS:
            errors["slug"] = _("That address is taken by another page. Pick another slug.")
        if errors:
            raise ValidationError(errors)

    # --- State, for pages (dates in the site time zone) ---------------------------------

    def is_current(self, *, today: date | None = None) -> bool:
        today = today or site_today()
        return self.valid_from <= today <= self.valid_until

    def has_started(self, *, today: date | None = None) -> bool:
        return self.valid_from <= (today or site_today())

    def has_ended(self, *, today: date | None = None) -> bool:
        return self.valid_until < (today or site_today())

    @property
    def codes_remaining(self) -> int | None:
        """How many more codes can be given out, or None when there is no limit.

        Uses the `codes_left` annotation for pool offers (see `OfferQuerySet.with_codes_left`).
        """
        limits = []
        if self.total_cap is not None:
            limits.append(max(self.total_cap - self.redeemed_count, 0))
        if self.method == self.Method.POOL:
            codes_left = getattr(self, "codes_left", None)
            if codes_left is None:  # not loaded through with_codes_left(): ask the database
                codes_left = self.codes.filter(assigned_at=None).count()
            limits.append(codes_left)
        return min(limits) if limits else None

    @property
    def is_exhausted(self) -> bool:
        return self.codes_remaining == 0


class Code(models.Model):
    """A unique code for one offer: imported into a pool, or generated for one member."""

    offer = models.ForeignKey(
        Offer, on_delete=models.CASCADE, related_name="codes", verbose_name=_("offer")
    )
    code = models.CharField(_("code"), max_length=CODE_MAX_LENGTH, validators=[code_validator])
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="discount_codes",
        verbose_name=_("member"),
    )
    assigned_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            # Case-insensitive: "ab12" and "AB12" would be the same code at the till.
            models.UniqueConstraint(
                F("offer"), Upper("code"), name="discount_code_unique_per_offer"
            ),
            models.CheckConstraint(condition=~Q(code=""), name="discount_code_not_empty"),
            # A member (kept until their account is deleted) only ever on a claimed code.
            models.CheckConstraint(
                condition=Q(assigned_at__isnull=False) | Q(member__isnull=True),
                name="discount_code_member_only_when_claimed",
            ),
            models.CheckConstraint(
                condition=Q(used_at__isnull=True) | Q(assigned_at__isnull=False),
                name="discount_code_used_only_when_claimed",
            ),
        ]
        indexes = [
            models.Index(Upper("code"), name="discount_code_upper_idx"),
            models.Index(
                fields=["offer"], condition=Q(assigned_at=None), name="discount_code_unclaimed_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class RedemptionQuerySet(models.QuerySet["Redemption"]):
    def of_member(self, member) -> "RedemptionQuerySet":
        return self.filter(member=member)

    def for_listing(self) -> "RedemptionQuerySet":
        return self.select_related("offer__partner", "code").order_by("-created_at", "-pk")


class Redemption(models.Model):
    """A code given to a member: the record of who got which code for which offer, and when.

    `number` counts the member's codes for the offer from 1; with the unique constraint and
    the check against `member_limit` (the offer's limit when the code was issued), the
    database itself refuses a member more codes than the limit, even if two requests race.
    """

    offer = models.ForeignKey(
        Offer, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("offer")
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="discount_redemptions",
        verbose_name=_("member"),
    )
    number = models.PositiveSmallIntegerField(_("number"), default=1)
    member_limit = models.PositiveSmallIntegerField(_("limit when issued"), default=1)
    code = models.OneToOneField(
        Code,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="redemption",
        verbose_name=_("code"),
    )
    code_text = models.CharField(_("code given"), max_length=CODE_MAX_LENGTH)
    created_at = models.DateTimeField(_("redeemed at"), default=timezone.now)

    objects = RedemptionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "member", "number"], name="discount_redemption_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1) & Q(number__lte=F("member_limit")),
                name="discount_redemption_within_member_limit",
            ),
            models.CheckConstraint(
                condition=~Q(code_text=""), name="discount_redemption_code_not_empty"
            ),
        ]
        indexes = [models.Index(fields=["member", "offer"], name="discount_redemption_member_idx")]

    def __str__(self) -> str:
        return f"{self.offer} #{self.number}"

    @property
    def used_at(self):
        return self.code.used_at if self.code_id else None
