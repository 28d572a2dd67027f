"""Reads about events that depend on who is looking, and what other apps show of events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core import signing
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone

from billing.selectors import member_is_active
from events.emails import invite_token_read
from events.models import RSVP, CalendarFeed, Event, EventInvite, EventQuerySet
from events.services.rsvp import waitlist_position
from experts.models import Expert
from experts.selectors import Appearances
from groups.models import Group, GroupMembership, GroupQuerySet
from groups.selectors import GroupPageSection, display_name
from members.models import Interest, Profile, User, shown_attending
from members.staff import acts_as_staff

APPEARANCES_LIMIT = 10


# --- Lists ------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventFilters:
    interest: Interest | None = None
    group: Group | None = None
    city: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def __bool__(self) -> bool:
        return any((self.interest, self.group, self.city, self.date_from, self.date_to))


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def event_list(*, viewer: User, filters: EventFilters, for_you: bool = False) -> EventQuerySet:
    """Upcoming listed events, filtered, soonest first or "for you" first.

    "For you" puts events of the viewer's groups first, then those sharing the most of their
    interests, then the soonest: all in the database (see `EventQuerySet.for_you`).
    """
    events = Event.objects.listed().upcoming().for_listing().with_viewer_rsvp(viewer)
    if filters.interest:
        events = events.filter(
            pk__in=Event.interests.through.objects.filter(interest=filters.interest).values(
                "event_id"
            )
        )
    if filters.group:
        events = events.filter(group=filters.group)
    if filters.city:
        events = events.filter(city__iexact=filters.city)
    if filters.date_from:
        events = events.filter(ends_at__gte=_local_midnight(filters.date_from))
    if filters.date_to:
        events = events.filter(starts_at__lt=_local_midnight(filters.date_to) + timedelta(days=1))
    if for_you and viewer.is_authenticated:
        events = events.for_you(viewer)
    return events


EVENT_CITIES_CACHE_KEY = "events:filter-cities"
EVENT_CITIES_CACHE_SECONDS = 10 * 60


def event_cities() -> list[str]:
    """Towns with upcoming events, for the filter.

    The same for everyone and a DISTINCT over every upcoming event, so it is kept in the
    cache for ten minutes: a town whose first event was just published joins the list a
    little later. One query when the cache is cold, none otherwise.
    """
    cities: list[str] | None = cache.get(EVENT_CITIES_CACHE_KEY)
    if cities is None:
        cities = list(
            Event.objects.listed()
            .upcoming()
            .order_by("city")
            .values_list("city", flat=True)
            .distinct()
        )
        cache.set(EVENT_CITIES_CACHE_KEY, cities, EVENT_CITIES_CACHE_SECONDS)
    return cities


def filter_groups(*, viewer: User, slug: str = "") -> list[Group]:
    """The groups the list's group filter offers: the viewer's own published groups, and the
    one named in the address (`?group=<slug>`, as a group's page links here) if published.

    Never every group with an event: at thousands of groups such a menu helps no one. One
    query, or none for a visitor who names no group.
    """
    wanted = Q()
    if viewer.is_authenticated:
        wanted |= Q(pk__in=GroupMembership.objects.filter(user=viewer).values("group_id"))
    if slug:
        wanted |= Q(slug=slug)
    if not wanted:
        return []
    return list(Group.objects.published().filter(wanted).order_by("name", "pk"))


def upcoming_events(*, limit: int = 3) -> list[Event]:
    """The next few events anyone can see, for the home page's compact cards."""
    return list(Event.objects.listed().upcoming().for_compact_cards()[:limit])


def group_upcoming_events(group: Group, *, limit: int = 5) -> list[Event]:
    """A group's next events, for its page: one query (its rows show no interests or
    speakers, so nothing is prefetched)."""
    return list(Event.objects.listed().upcoming().filter(group=group)[:limit])


# --- One event --------------------------------------------------------------------------


def group_page_events(*, group: Group, request: HttpRequest | None = None) -> GroupPageSection:
    """A group's next events, as the section its page shows (registered in `EventsConfig`)."""
    html = render_to_string(
        "events/includes/_group_events.html",
        {"group": group, "group_events": group_upcoming_events(group, limit=5)},
    )  # no request: the partial needs no context processors, so none run twice
    return GroupPageSection(html=html, stylesheet="events/events.css")


def can_manage(*, user: User, event: Event) -> bool:
    """Staff manage every event; a group's organisers manage that group's events."""
    if not user.is_authenticated:
        return False
    if acts_as_staff(user):
        return True
    if event.group_id is None:
        return False
    return GroupMembership.objects.organisers().filter(group_id=event.group_id, user=user).exists()


def organised_groups(user: User) -> GroupQuerySet:
    """Groups `user` may create events for: all published ones for staff, else theirs."""
    if not user.is_authenticated:
        return Group.objects.none()
    if acts_as_staff(user):
        return Group.objects.all().order_by("name")
    return Group.objects.filter(
        pk__in=GroupMembership.objects.organisers().filter(user=user).values("group_id")
    ).order_by("name")


def can_organise(user: User) -> bool:
    return user.is_authenticated and (acts_as_staff(user) or organised_groups(user).exists())


def event_organisers(event: Event) -> list[Profile]:
    """The profiles of the event's group's organisers (names only are ever shown)."""
    if event.group_id is None:
        return []
    return list(
        Profile.objects.filter(
            user__in=GroupMembership.objects.organisers()
            .filter(group_id=event.group_id)
            .values("user_id"),
            user__is_active=True,
        ).order_by("display_name", "pk")
    )


@dataclass
class ViewerReply:
    rsvp: RSVP | None
    position: int | None = None

    @property
    def status(self) -> str:
        return self.rsvp.status if self.rsvp else ""


def viewer_reply(*, event: Event, user: User) -> ViewerReply:
    if not user.is_authenticated:
        return ViewerReply(None)
    rsvp = RSVP.objects.filter(event=event, member=user).first()
    if rsvp is None:
        return ViewerReply(None)
    return ViewerReply(rsvp, waitlist_position(rsvp))


def waitlist_count(event: Event) -> int:
    return RSVP.objects.filter(event=event).waitlisted().count()


def inviter_name(*, event: Event, token: str) -> str | None:
    """Who invited the holder of an invitation link (`?invite=<token>`) to this event, by
    their display name; None for a bad token or another event's invitation."""
    try:
        invite_id = invite_token_read(token)
    except signing.BadSignature:
        return None
    invite = (
        EventInvite.objects.select_related("invited_by__profile")
        .filter(pk=invite_id, event=event)
        .first()
    )
    return None if invite is None else display_name(invite.invited_by)


def sees_online_link(*, event: Event, user: User) -> bool:
    """The online link is for the people going and those who manage the event."""
    if not event.online_url or not user.is_authenticated:
        return False
    going = RSVP.objects.filter(event=event, member=user).confirmed().exists()
    return going or can_manage(user=user, event=event)


WHOS_GOING_FACES = 12


@dataclass
class WhosGoing:
    """The "who's going" box of an event's page: how many people are going (members and their
    guests), and for members, the faces of those who chose to be shown."""

    count: int
    faces: list[Profile]
    shows_faces: bool

    @property
    def others(self) -> int:
        """Going but not among the faces: guests, those not shown, and those past the limit."""
        return max(self.count - len(self.faces), 0)


def whos_going(*, event: Event, viewer: User, limit: int = WHOS_GOING_FACES) -> WhosGoing:
    """Who's going to `event`, as `viewer` may see it.

    Everyone sees the count (the places taken, which the page shows anyway: no query; none
    once the event is cancelled).
    Active members also see up to `limit` of the people going who chose to be shown
    (`members.models.shown_attending`), first to reply first: one query, whatever the number
    going. Visitors and lapsed members see no names or faces.
    """
    count = 0 if event.is_cancelled else event.confirmed_places
    if not count or not member_is_active(viewer):
        return WhosGoing(count=count, faces=[], shows_faces=False)
    rsvps = (
        RSVP.objects.filter(event=event)
        .confirmed()
        .filter(shown_attending("member__profile__"), member__is_active=True)
        .select_related("member__profile")
        .order_by("confirmed_at", "pk")[:limit]
    )
    return WhosGoing(count=count, faces=[rsvp.member.profile for rsvp in rsvps], shows_faces=True)


def has_people_going(event: Event) -> bool:
    return RSVP.objects.filter(event=event).confirmed().exists()


# --- Organisers' lists ------------------------------------------------------------------


def attendees(event: Event) -> dict[str, list[RSVP]]:
    """Who's going (by name) and who's waiting (in queue order, with positions): 2 queries."""
    going = list(
        RSVP.objects.filter(event=event)
        .confirmed()
        .with_people()
        .order_by("member__profile__display_name", "pk")
    )
    waiting = list(
        RSVP.objects.filter(event=event)
        .waitlisted()
        .with_people()
        .with_positions()
        .order_by("waitlist_ticket")
    )
    return {"going": going, "waiting": waiting}


def reply_counts(event: Event) -> dict[str, int]:
    counts = RSVP.objects.filter(event=event).aggregate(
        going=Count("pk", filter=Q(status=RSVP.Status.CONFIRMED)),
        waiting=Count("pk", filter=Q(status=RSVP.Status.WAITLISTED)),
        not_going=Count("pk", filter=Q(status__in=[RSVP.Status.DECLINED, RSVP.Status.CANCELLED])),
        here=Count("pk", filter=Q(status=RSVP.Status.CONFIRMED, attended=True)),
        no_show=Count("pk", filter=Q(status=RSVP.Status.CONFIRMED, attended=False)),
    )
    return counts


# --- A member's own events --------------------------------------------------------------


def member_events(*, user: User, now: datetime | None = None) -> dict[str, list[RSVP]]:
    """The member's replies: upcoming (going or waiting) and their history. Private to them."""
    now = now or timezone.now()
    rsvps = RSVP.objects.filter(member=user, event__is_published=True).select_related(
        "event__group"
    )
    upcoming = list(
        rsvps.filter(
            status__in=[RSVP.Status.CONFIRMED, RSVP.Status.WAITLISTED], event__ends_at__gt=now
        )
        .with_queue_places()
        .order_by("event__starts_at", "pk")
    )
    for rsvp in upcoming:
        rsvp.position = rsvp.waiting_ahead + 1 if rsvp.is_waiting else None
    history = list(
        rsvps.filter(status=RSVP.Status.CONFIRMED, event__ends_at__lte=now).order_by(
            "-event__starts_at", "-pk"
        )[:100]
    )
    return {"upcoming": upcoming, "history": history}


def organised_events(user: User, *, now: datetime | None = None, limit: int = 30) -> list[Event]:
    """Upcoming events (drafts too) the member may manage, for their own events page."""
    if not user.is_authenticated or acts_as_staff(user):
        # Staff manage everything: the admin is their list.
        return []
    return list(
        Event.objects.managed_by(user)
        .upcoming(now=now)
        .filter(is_cancelled=False)
        .select_related("group")[:limit]
    )


def calendar_feed_of(user: User) -> CalendarFeed | None:
    """The member's private calendar feed, if they have made one."""
    return CalendarFeed.objects.filter(user=user).first()


def feed_events(user: User, *, now: datetime | None = None) -> list[Event]:
    """What a private feed holds: events the member is confirmed for, from 30 days ago on.

    Cancelled ones stay in, marked cancelled, so calendars take them out.
    """
    now = now or timezone.now()
    return list(
        Event.objects.filter(
            is_published=True,
            ends_at__gte=now - timedelta(days=30),
            rsvps__member=user,
            rsvps__status=RSVP.Status.CONFIRMED,
        )
        .select_related("group")
        .order_by("starts_at", "pk")
    )


# --- What the experts app shows -----------------------------------------------------------


def expert_appearances(expert: Expert, *, now: datetime | None = None) -> Appearances:
    """The expert's published events: upcoming soonest first, then past most recent first.

    One query on PostgreSQL (a UNION of the two, each limited); two on SQLite, which can't
    limit the parts of a UNION. Registered with `experts.selectors.register_appearances_provider`
    in `EventsConfig.ready`.
    """
    now = now or timezone.now()
    events = Event.objects.listed().filter(pk__in=expert.speaker_links.values("event_id"))
    upcoming_part = events.upcoming(now=now)[:APPEARANCES_LIMIT]
    past_part = events.past(now=now)[:APPEARANCES_LIMIT]
    if connection.features.supports_slicing_ordering_in_compound:
        rows = list(upcoming_part.union(past_part, all=True))
    else:
        rows = [*upcoming_part, *past_part]
    upcoming = sorted((e for e in rows if e.ends_at > now), key=lambda e: (e.starts_at, e.pk))
    past = sorted((e for e in rows if e.ends_at <= now), key=lambda e: (e.starts_at, e.pk))
    return Appearances(upcoming=upcoming, past=past[::-1])
