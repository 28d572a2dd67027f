"""Face-to-face events, members' replies (RSVPs), invitations and private calendar feeds.

Places are scarce: `Event.confirmed_places` counts confirmed members plus their guests and is
only changed with `F()` while the event row is locked (see `events.services.rsvp`); a CHECK
constraint keeps it within `capacity` should anything ever slip past the lock.
"""

from __future__ import annotations

import secrets
from urllib.parse import quote_plus

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Subquery, Value, Window
from django.db.models.functions import Coalesce, Lower, RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.images import COVER_RENDITIONS, RandomName, RenditionImageField
from core.models import TimeStampedModel
from experts.models import Expert
from groups.models import Group, GroupMembership, validate_cover
from members.models import Interest
from members.staff import acts_as_staff

# Paths under /events/ that an event's slug must never take.
RESERVED_SLUGS = {"new", "mine", "release", "calendar"}
MAX_GUESTS = 10


def validate_slug_not_reserved(value: str) -> None:
    if value in RESERVED_SLUGS:
        raise ValidationError(_("“%(slug)s” is reserved; choose another."), params={"slug": value})


class EventQuerySet(models.QuerySet["Event"]):
    def published(self) -> EventQuerySet:
        return self.filter(is_published=True)

    def listed(self) -> EventQuerySet:
        """What the public lists show: published and not cancelled."""
        return self.filter(is_published=True, is_cancelled=False)

    def upcoming(self, *, now=None) -> EventQuerySet:
        """Events that have not ended yet (so one under way still shows), soonest first."""
        return self.filter(ends_at__gt=now or timezone.now()).order_by("starts_at", "pk")

    def past(self, *, now=None) -> EventQuerySet:
        return self.filter(ends_at__lte=now or timezone.now()).order_by("-starts_at", "-pk")

    def for_listing(self) -> EventQuerySet:
        """What an event card or page shows: its group, interests and (published) speakers,
        in two extra queries whatever the number of events."""
        return self.for_compact_cards().prefetch_related(
            Prefetch("interests", queryset=Interest.objects.order_by("name"))
        )

    def for_compact_cards(self) -> EventQuerySet:
        """What a compact card (the home page's) shows: its group and (published) speakers,
        in one extra query; no interests."""
        return self.select_related("group").prefetch_related(
            Prefetch(
                "speaker_links",
                queryset=EventSpeaker.objects.filter(expert__is_published=True)
                .select_related("expert")
                .order_by("position", "pk"),
            ),
        )

    def with_viewer_rsvp(self, user) -> EventQuerySet:
        """Annotate `viewer_status`: the viewer's own reply ("" if none), in the same query."""
        if not user.is_authenticated:
            return self.annotate(viewer_status=Value("", output_field=models.CharField()))
        mine = RSVP.objects.filter(event=OuterRef("pk"), member=user).values("status")[:1]
        return self.annotate(viewer_status=Coalesce(Subquery(mine), Value("")))

    def for_you(self, user) -> EventQuerySet:
        """Events of the member's groups first, then by interests shared, then soonest.

        Computed in the database: `in_my_groups` is an EXISTS on the member's group
        memberships and `shared_interests` a correlated count of the event's interests that
        are also the member's, so the page costs the same queries at 5 events or 500.
        """
        if not user.is_authenticated:
            return self
        in_my_groups = Exists(
            GroupMembership.objects.filter(group_id=OuterRef("group_id"), user=user)
        )
        mine = Interest.objects.filter(profiles__user=user).values("pk")
        # (django-stubs loses `annotate` names on an auto-created through model: `n` is there.)
        shared = (
            Event.interests.through.objects.filter(event_id=OuterRef("pk"), interest_id__in=mine)  # type: ignore[misc]
            .order_by()
            .values("event_id")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(
            in_my_groups=in_my_groups, shared_interests=Coalesce(Subquery(shared), 0)
        ).order_by("-in_my_groups", "-shared_interests", "starts_at", "pk")

    def managed_by(self, user) -> EventQuerySet:
        """Events `user` may manage: all for staff, their groups' events for organisers."""
        if not user.is_authenticated:
            return self.none()
        if acts_as_staff(user):
            return self
        organised = GroupMembership.objects.organisers().filter(user=user).values("group_id")
        return self.filter(group_id__in=organised)


class Event(TimeStampedModel):
    """A face-to-face (or hybrid) event: a group's, or network-wide when it has no group."""

    title = models.CharField(_("title"), max_length=140)
    slug = models.SlugField(
        _("web address"),
        max_length=160,
        unique=True,
        validators=[validate_slug_not_reserved],
        help_text=_("The event's address: /events/this-slug/"),
    )
    description = models.TextField(_("what it is"), max_length=5000)
    cover = RenditionImageField(
        _("cover image"),
        upload_to=RandomName("events/covers/"),
        blank=True,
        renditions=COVER_RENDITIONS,
        validators=[validate_cover],
        help_text=_(
            "Optional. JPEG, PNG or WebP, at most 5 MB. Shown two by one, trimmed to the "
            "middle: a landscape photo of at least 1600 by 800 pixels looks best."
        ),
    )
    group = models.ForeignKey(
        Group,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("group"),
        help_text=_("Leave empty for a network-wide event (managed by staff)."),
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    venue_name = models.CharField(_("venue"), max_length=140)
    venue_address = models.CharField(
        _("address"), max_length=300, help_text=_("Street, town and postcode, for the map link.")
    )
    city = models.CharField(_("town or city"), max_length=80)
    online_url = models.URLField(
        _("online link"),
        max_length=300,
        blank=True,
        help_text=_("For hybrid events. Only members who are confirmed to attend see it."),
    )
    capacity = models.PositiveIntegerField(
        _("places"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1, _("The number of places must be at least 1."))],
        help_text=_("Members plus their guests. Leave empty for no limit."),
    )
    guests_allowed = models.PositiveSmallIntegerField(
        _("guests per member"),
        default=0,
        validators=[
            MaxValueValidator(MAX_GUESTS, _("At most %(limit_value)s guests per member, please."))
        ],
        help_text=_("How many guests each member may bring. 0 means members only."),
    )
    rsvp_deadline = models.DateTimeField(
        _("replies close"),
        null=True,
        blank=True,
        help_text=_("Leave empty to take replies until the event starts."),
    )
    speakers = models.ManyToManyField(
        Expert, through="EventSpeaker", related_name="events", blank=True
    )
    interests = models.ManyToManyField(
        Interest, related_name="events", blank=True, verbose_name=_("interests")
    )
    is_published = models.BooleanField(
        _("published"), default=False, help_text=_("Only published events appear on the site.")
    )
    is_cancelled = models.BooleanField(_("cancelled"), default=False)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), max_length=1000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events_created",
    )
    # Kept by the RSVP services with F() under the event's row lock; never counted by lists.
    confirmed_places = models.PositiveIntegerField(_("places taken"), default=0, editable=False)
    # Hands out strictly increasing waitlist tickets: the queue is ordered by them.
    waitlist_tickets_issued = models.PositiveBigIntegerField(default=0, editable=False)
    # RFC 5545 SEQUENCE: goes up when the time or place changes, so calendars update.
    sequence = models.PositiveIntegerField(default=0, editable=False)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(slug=""), name="event_slug_not_empty"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="event_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gt=0),
                name="event_capacity_positive",
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(confirmed_places__lte=F("capacity")),
                name="event_within_capacity",
            ),
            models.CheckConstraint(
                condition=Q(rsvp_deadline__isnull=True) | Q(rsvp_deadline__lte=F("starts_at")),
                name="event_deadline_before_start",
            ),
            models.CheckConstraint(
                condition=Q(guests_allowed__lte=MAX_GUESTS), name="event_guests_allowed_max"
            ),
            models.CheckConstraint(
                condition=Q(is_cancelled=False) | Q(cancelled_at__isnull=False),
                name="event_cancelled_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["is_published", "is_cancelled", "ends_at"], name="event_listed"),
            # The lists show listed events soonest first, a page at a time.
            models.Index(
                fields=["starts_at", "id"],
                condition=Q(is_published=True, is_cancelled=False),
                name="event_listed_start",
            ),
            models.Index(fields=["group", "starts_at"], name="event_group_start"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("events:detail", kwargs={"slug": self.slug})

    def clean(self) -> None:
        errors: dict[str, list] = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors.setdefault("ends_at", []).append(_("The end must be after the start."))
        if self.rsvp_deadline and self.starts_at and self.rsvp_deadline > self.starts_at:
            errors.setdefault("rsvp_deadline", []).append(
                _("Replies must close before the event starts.")
            )
        if self.capacity is not None and self.capacity < self.confirmed_places:
            errors.setdefault("capacity", []).append(
                _(
                    "%(taken)s places are already taken, so there must be at least %(taken)s. "
                    "People who can't come can say so on the event page."
                )
                % {"taken": self.confirmed_places}
            )
        if errors:
            raise ValidationError(errors)

    # --- What pages and emails show --------------------------------------------------

    @property
    def replies_close_at(self):
        return self.rsvp_deadline or self.starts_at

    def is_open_for_replies(self, *, now=None) -> bool:
        now = now or timezone.now()
        return self.is_published and not self.is_cancelled and now < self.replies_close_at

    def has_started(self, *, now=None) -> bool:
        return (now or timezone.now()) >= self.starts_at

    def has_ended(self, *, now=None) -> bool:
        return (now or timezone.now()) >= self.ends_at

    @property
    def places_left(self) -> int | None:
        """Places not yet taken; None when there is no limit."""
        if self.capacity is None:
            return None
        return max(self.capacity - self.confirmed_places, 0)

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.confirmed_places >= self.capacity

    @property
    def map_url(self) -> str:
        """A link to OpenStreetMap's search for the address: a link, never an embedded map."""
        return "https://www.openstreetmap.org/search?query=" + quote_plus(
            ", ".join(part for part in (self.venue_name, self.venue_address) if part)
        )

    @property
    def is_hybrid(self) -> bool:
        return bool(self.online_url)

    @property
    def speaker_list(self) -> list[Expert]:
        """The speakers in their order; uses `for_listing()`'s prefetch when it is there."""
        return [link.expert for link in self.speaker_links.all()]


class EventSpeaker(models.Model):
    """An expert speaking at an event, in the order the organisers chose."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="speaker_links")
    # Protected: an event's record of who spoke stays; unpublish an expert instead.
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="speaker_links")
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("speaker")
        constraints = [
            models.UniqueConstraint(fields=["event", "expert"], name="one_speaker_slot_per_expert")
        ]

    def __str__(self) -> str:
        return f"{self.expert} at {self.event}"


class RSVPQuerySet(models.QuerySet["RSVP"]):
    def confirmed(self) -> RSVPQuerySet:
        return self.filter(status=RSVP.Status.CONFIRMED)

    def waitlisted(self) -> RSVPQuerySet:
        return self.filter(status=RSVP.Status.WAITLISTED)

    def in_queue_order(self) -> RSVPQuerySet:
        """The waitlist, strictly first come first served: by ticket, nothing else."""
        return self.waitlisted().order_by("waitlist_ticket")

    def with_people(self) -> RSVPQuerySet:
        return self.select_related("member__profile")

    def with_positions(self) -> RSVPQuerySet:
        """Annotate `position` (1, 2, 3…) in ticket order; use on the waitlisted rows only."""
        return self.annotate(position=Window(RowNumber(), order_by=F("waitlist_ticket").asc()))

    def with_queue_places(self) -> RSVPQuerySet:
        """Annotate `waiting_ahead`: how many are queued before each row in its own event's
        waitlist (rows of several events at once, in the same query; 0 if not waiting)."""
        ahead = (
            RSVP.objects.filter(
                event_id=OuterRef("event_id"),
                status=RSVP.Status.WAITLISTED,
                waitlist_ticket__lt=OuterRef("waitlist_ticket"),
            )
            .order_by()
            .values("event_id")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(waiting_ahead=Coalesce(Subquery(ahead), 0))


class RSVP(models.Model):
    """One member's reply to one event. The unique (event, member) pair makes it one row."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("going")
        WAITLISTED = "waitlisted", _("on the waitlist")
        DECLINED = "declined", _("not going")
        CANCELLED = "cancelled", _("cancelled")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rsvps")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rsvps"
    )
    status = models.CharField(max_length=16, choices=Status.choices)
    guests = models.PositiveSmallIntegerField(_("guests"), default=0)
    share_contact = models.BooleanField(
        _("share my contact details with the organisers"),
        default=False,
        help_text=_("The contact details from your profile, on the organisers' attendee list."),
    )
    # Strictly increasing per event while waitlisted; the queue is ordered by it alone.
    waitlist_ticket = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    waitlisted_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    promoted_at = models.DateTimeField(null=True, blank=True)
    attended = models.BooleanField(_("attended"), null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = RSVPQuerySet.as_manager()

    # Not columns: annotated by RSVPQuerySet.with_positions and .with_queue_places (and
    # `position` set from `waiting_ahead` by events.selectors.member_events).
    position: int | None
    waiting_ahead: int

    class Meta:
        verbose_name = _("RSVP")
        verbose_name_plural = _("RSVPs")
        constraints = [
            models.UniqueConstraint(fields=["event", "member"], name="one_rsvp_per_member"),
            models.UniqueConstraint(
                fields=["event", "waitlist_ticket"],
                condition=Q(waitlist_ticket__isnull=False),
                name="one_member_per_waitlist_ticket",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["confirmed", "waitlisted", "declined", "cancelled"]),
                name="rsvp_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="waitlisted") | Q(waitlist_ticket__isnull=False),
                name="rsvp_waitlisted_has_ticket",
            ),
            models.CheckConstraint(
                condition=Q(status="waitlisted") | Q(waitlist_ticket__isnull=True),
                name="rsvp_ticket_only_while_waitlisted",
            ),
            models.CheckConstraint(condition=Q(guests__lte=MAX_GUESTS), name="rsvp_guests_max"),
        ]
        indexes = [
            models.Index(fields=["event", "status", "waitlist_ticket"], name="rsvp_queue"),
            models.Index(fields=["member", "status"], name="rsvp_member_status"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} → {self.event_id}: {self.status}"

    @property
    def places(self) -> int:
        """Places this reply takes, or would take: the member and their guests."""
        return 1 + self.guests

    @property
    def is_going(self) -> bool:
        return self.status == self.Status.CONFIRMED

    @property
    def is_waiting(self) -> bool:
        return self.status == self.Status.WAITLISTED


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A member's private calendar address; whoever holds the token sees their events."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(auto_now_add=True)
    reset_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user_id}"

    def get_absolute_url(self) -> str:
        return reverse("events:feed", kwargs={"token": self.token})


class EventInvite(models.Model):
    """One invitation to one address for one event: the unique pair means never twice."""

    class Source(models.TextChoices):
        GROUP = "group", _("group member")
        INTERESTS = "interests", _("shares the event's interests")
        ADDRESS = "address", _("email address")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="invites")
    email = models.EmailField()
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="event_invites",
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="event_invites_sent",
    )
    source = models.CharField(max_length=16, choices=Source.choices)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "email"], name="one_invite_per_address"),
            models.CheckConstraint(
                condition=Q(email=Lower("email")), name="invite_email_lowercase"
            ),
        ]
        indexes = [models.Index(fields=["invited_by", "created_at"], name="invite_sender_day")]

    def __str__(self) -> str:
        return f"Invite to {self.event_id} ({self.source})"


class EventMessage(models.Model):
    """A message the organisers sent to everyone going (a change of room, say)."""

    SUBJECT_MAX = 120
    BODY_MAX = 3000
    PER_EVENT_PER_DAY = 3

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    subject = models.CharField(_("subject"), max_length=SUBJECT_MAX)
    body = models.TextField(_("message"), max_length=BODY_MAX)
    recipient_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject
