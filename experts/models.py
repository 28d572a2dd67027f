from django.conf import settings
from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinLengthValidator,
    MinValueValidator,
)
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.images import PHOTO_RENDITIONS, RenditionImageField
from core.models import TimeStampedModel
from experts.validators import (
    RESERVED_SLUGS,
    validate_expert_photo,
    validate_slug_not_reserved,
)
from members.models import Interest


class RegionQuerySet(models.QuerySet["Region"]):
    def in_order(self) -> "RegionQuerySet":
        return self.order_by("position", "name")


class Region(models.Model):
    """Where an expert will go: a UK region, anywhere in the UK, or online.

    A small table rather than a list of choices, so the list page can filter by it with a join
    on SQLite and PostgreSQL alike, and staff can rename or add one without a deploy.
    """

    class Kind(models.TextChoices):
        PLACE = "place", _("A region")
        NATIONWIDE = "nationwide", _("Anywhere in the UK")
        ONLINE = "online", _("Online")

    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PLACE)
    position = models.PositiveSmallIntegerField(default=0)

    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class ExpertQuerySet(models.QuerySet["Expert"]):
    def published(self) -> "ExpertQuerySet":
        return self.filter(is_published=True)

    def featured(self) -> "ExpertQuerySet":
        return self.filter(is_featured=True)

    def for_listing(self) -> "ExpertQuerySet":
        """What a card needs: interests and regions in two queries, whatever the page size."""
        return self.prefetch_related(
            models.Prefetch("interests", queryset=Interest.objects.order_by("name")),
            models.Prefetch("regions", queryset=Region.objects.in_order()),
        ).order_by("-is_featured", "name", "pk")

    def for_detail(self) -> "ExpertQuerySet":
        return self.prefetch_related(
            models.Prefetch("interests", queryset=Interest.objects.order_by("name")),
            models.Prefetch("regions", queryset=Region.objects.in_order()),
            models.Prefetch("credentials", queryset=Credential.objects.order_by("position", "pk")),
        )

    def with_interest(self, interest: Interest) -> "ExpertQuerySet":
        return self.filter(
            pk__in=Expert.interests.through.objects.filter(interest=interest).values("expert_id")
        )

    def travelling_to(self, region: Region) -> "ExpertQuerySet":
        """Experts who go to `region`; for a UK region, also those who go anywhere in the UK."""
        regions = models.Q(region=region)
        if region.kind == Region.Kind.PLACE:
            regions |= models.Q(region__kind=Region.Kind.NATIONWIDE)
        links = Expert.regions.through.objects.filter(regions).values("expert_id")
        return self.filter(pk__in=links)


class Expert(TimeStampedModel):
    """A renowned person members can hear from and ask to their own events; staff curate them."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(
        _("slug"),
        max_length=120,
        unique=True,
        validators=[validate_slug_not_reserved],
        help_text=_("The expert's address on the site: /experts/this-slug/"),
    )
    headline = models.CharField(
        _("headline"),
        max_length=160,
        help_text=_("One line on why they are renowned, e.g. “Author of The Quiet Leader”."),
    )
    bio = models.TextField(_("biography"), max_length=5000)
    photo = RenditionImageField(
        _("photo"),
        upload_to="experts/photos/",
        blank=True,
        renditions=PHOTO_RENDITIONS,
        validators=[validate_expert_photo],
        help_text=_("JPEG, PNG or WebP, at most 2 MB. A square photo looks best."),
    )
    interests = models.ManyToManyField(
        Interest,
        related_name="experts",
        blank=True,
        verbose_name=_("areas of expertise"),
    )
    regions = models.ManyToManyField(
        Region,
        related_name="experts",
        blank=True,
        verbose_name=_("travels to"),
    )
    availability = models.TextField(
        _("availability notes"),
        max_length=1000,
        blank=True,
        help_text=_("Shown on their page, e.g. “Weekday breakfasts; needs six weeks' notice”."),
    )
    is_published = models.BooleanField(
        _("published"), default=False, help_text=_("Only published experts appear on the site.")
    )
    is_featured = models.BooleanField(
        _("featured"),
        default=False,
        help_text=_("Featured and published experts appear on the home page."),
    )

    objects = ExpertQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(slug="") & ~models.Q(slug__in=sorted(RESERVED_SLUGS)),
                name="expert_slug_not_empty_or_reserved",
            ),
        ]
        indexes = [models.Index(fields=["is_published", "is_featured"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("experts:detail", kwargs={"slug": self.slug})

    @property
    def initials(self) -> str:
        """Up to two letters for the placeholder shown when there is no photo.

        Titles before the name (Dr, Professor) and letters after it (OBE, PhD) are skipped.
        """
        words = [w for w in self.name.split() if w[:1].isalpha()]
        while len(words) > 1 and words[0].rstrip(".").lower() in HONORIFICS:
            words.pop(0)
        while len(words) > 1 and (words[-1].isupper() or words[-1].lower() in POSTNOMINALS):
            words.pop()
        if not words:
            return "?"
        if len(words) == 1:
            return words[0][0].upper()
        return (words[0][0] + words[-1][0]).upper()


HONORIFICS = {"dr", "prof", "professor", "sir", "dame", "lord", "lady", "rev", "mr", "mrs", "ms"}
POSTNOMINALS = {"phd", "dphil", "mba", "msc", "ma", "ba"}


class Credential(models.Model):
    """Something that makes an expert renowned: an affiliation, a book, an award or a link."""

    class Kind(models.TextChoices):
        AFFILIATION = "affiliation", _("Affiliation")
        BOOK = "book", _("Book")
        AWARD = "award", _("Award")
        LINK = "link", _("Link")

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="credentials")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    url = models.URLField(_("link"), max_length=300, blank=True)
    year = models.PositiveSmallIntegerField(
        _("year"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1900), MaxValueValidator(2100)],
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="link") | ~models.Q(url=""),
                name="credential_link_has_url",
                violation_error_message=_("A link needs its web address."),
            ),
            models.CheckConstraint(
                condition=models.Q(year__isnull=True) | models.Q(year__gte=1900, year__lte=2100),
                name="credential_year_plausible",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"


class ExpertRequestQuerySet(models.QuerySet["ExpertRequest"]):
    def open(self) -> "ExpertRequestQuerySet":
        """Requests still waiting for an answer: they count towards a member's limit."""
        return self.filter(status__in=ExpertRequest.OPEN_STATUSES)

    def for_member_list(self) -> "ExpertRequestQuerySet":
        return (
            self.select_related("expert")
            .prefetch_related(
                models.Prefetch(
                    "changes", queryset=ExpertRequestStatusChange.objects.order_by("at", "pk")
                )
            )
            .order_by("-created_at", "-pk")
        )


REQUEST_MESSAGE_MIN = 20
REQUEST_MESSAGE_MAX = 2000


class ExpertRequest(TimeStampedModel):
    """A member asking for an expert to come to their own event; staff answer in the admin."""

    MAX_OPEN_PER_MEMBER = 3
    MESSAGE_MIN = REQUEST_MESSAGE_MIN
    MESSAGE_MAX = REQUEST_MESSAGE_MAX
    AUDIENCE_MAX = 10_000

    class Status(models.TextChoices):
        NEW = "new", _("New")
        IN_DISCUSSION = "in_discussion", _("In discussion")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    OPEN_STATUSES = (Status.NEW, Status.IN_DISCUSSION)
    # Declined and withdrawn are final; an accepted visit can still fall through.
    TRANSITIONS = {
        Status.NEW: {Status.IN_DISCUSSION, Status.ACCEPTED, Status.DECLINED, Status.WITHDRAWN},
        Status.IN_DISCUSSION: {Status.ACCEPTED, Status.DECLINED, Status.WITHDRAWN},
        Status.ACCEPTED: {Status.DECLINED, Status.WITHDRAWN},
        Status.DECLINED: set(),
        Status.WITHDRAWN: set(),
    }

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expert_requests"
    )
    # Protected: the request is the record of what was asked; unpublish an expert instead.
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="requests")
    event_name = models.CharField(_("your event's name"), max_length=120)
    event_date = models.DateField(_("date of the event"))
    town = models.CharField(_("town or city"), max_length=80)
    audience = models.PositiveIntegerField(
        _("expected audience"),
        validators=[
            MinValueValidator(1, _("The audience must be at least 1 person.")),
            MaxValueValidator(
                AUDIENCE_MAX,
                _("For audiences over %(max)s, please contact us directly.")
                % {"max": f"{AUDIENCE_MAX:,}"},
            ),
        ],
    )
    topic = models.CharField(_("topic"), max_length=160)
    message = models.TextField(
        _("message"),
        max_length=MESSAGE_MAX,
        validators=[
            MinLengthValidator(
                MESSAGE_MIN,
                _(
                    "Please write at least %(limit_value)d characters so we can pass on what "
                    "you have in mind (you wrote %(show_value)d)."
                ),
            ),
            MaxLengthValidator(
                MESSAGE_MAX,
                _(
                    "Please keep the message to %(limit_value)d characters "
                    "(you wrote %(show_value)d)."
                ),
            ),
        ],
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW, db_index=True
    )

    objects = ExpertRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(audience__gt=0), name="expert_request_audience_positive"
            ),
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length("message"), REQUEST_MESSAGE_MIN)
                & LessThanOrEqual(Length("message"), REQUEST_MESSAGE_MAX),
                name="expert_request_message_length",
            ),
            # A double-submitted form, or a second tab, must not file the same ask twice.
            models.UniqueConstraint(
                fields=["member", "expert", "event_date"],
                condition=models.Q(status__in=["new", "in_discussion"]),
                name="expert_request_one_open_per_expert_and_date",
                violation_error_message=_(
                    "You have already asked this expert to an event on that date; see your "
                    "requests."
                ),
            ),
        ]
        indexes = [models.Index(fields=["member", "status"])]

    def __str__(self) -> str:
        return f"{self.expert} at {self.event_name} ({self.event_date:%d %b %Y})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def can_become(self, status: str) -> bool:
        return status in self.TRANSITIONS.get(self.Status(self.status), set())

    @property
    def can_be_withdrawn(self) -> bool:
        return self.can_become(self.Status.WITHDRAWN)


class ExpertRequestStatusChange(models.Model):
    """One row per status change of a request, and one for its creation: never edited."""

    request = models.ForeignKey(ExpertRequest, on_delete=models.CASCADE, related_name="changes")
    from_status = models.CharField(
        _("from"), max_length=20, choices=ExpertRequest.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=20, choices=ExpertRequest.Status.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    note = models.TextField(_("note"), max_length=2000, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(from_status=models.F("to_status")),
                name="expert_request_change_changes_something",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"

    @property
    def is_creation(self) -> bool:
        return not self.from_status
