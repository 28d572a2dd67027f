"""What the signed-in home shows, read in a fixed number of queries.

A newcomer's path (profile, interests, groups, join) is `progress_of`; a member's "what's on
for me" is `member_home`, assembled from each app's models and selectors in one query per
section, whatever the number of events, groups, threads or offers behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    Count,
    F,
    OuterRef,
    Q,
    QuerySet,
    StringAgg,
    Subquery,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from billing.selectors import Standing, standing_of
from discounts.models import Offer
from events.models import RSVP, Event
from experts.models import ExpertRequest
from experts.selectors import expert_requests_of
from groups.models import Group, GroupMembership, Thread
from groups.selectors import recommended_groups
from home.models import GroupPick
from members.models import Interest, IntroRequest, Profile, User
from members.selectors import directory_profiles

# How much of each section the home shows; each links to the full list.
NEXT_EVENTS = 5  # and as many waitlist places
THREADS = 5
OFFERS = 3
INTROS = 5
EXPERT_REQUESTS = 3
# Conversations count as news for this long after their last post; as new for a week.
RECENT_DISCUSSION = timedelta(days=30)
NEW_THREAD = timedelta(days=7)
# The member suggestion is chosen among this many profiles sharing the most interests (by
# the interest rows alone), as the directory's ranking starts (members.selectors).
MEMBER_CANDIDATES = 200


def you_share(names: str | list[str]) -> str:
    """The reason a suggestion is made, as every page words it ("You share: A, B")."""
    if not isinstance(names, str):
        names = ", ".join(names)
    return _("You share: %(interests)s") % {"interests": names}


# Interest names gathered in the database come joined by this (no name holds it) and are put
# in order here: SQLite, which `make run` uses, can't order inside an aggregate.
NAME_SEPARATOR = "\x1f"


def _names_of(field: str) -> StringAgg:
    return StringAgg(field, Value(NAME_SEPARATOR))


def _in_order(names: str | None) -> str:
    """Names gathered by `_names_of`, A to Z, as a list in words ("Marketing, Sales")."""
    return ", ".join(sorted((names or "").split(NAME_SEPARATOR), key=str.casefold))


# --- A newcomer's path ----------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of the path to membership, as the step indicator and the checklist show it."""

    key: str
    number: int
    title: str
    url: str
    done: bool
    status: str  # a few words under the title: what is done, or what the step asks


@dataclass(frozen=True)
class Progress:
    """How far someone is along the path: profile, interests, groups, join (or rejoin)."""

    standing: Standing  # billing's one answer: member, lapsed or never joined
    profile_done: bool
    interest_count: int
    group_count: int  # groups joined
    pick_count: int  # groups chosen before joining Mutual (home.models.GroupPick)

    @property
    def is_member(self) -> bool:
        return self.standing == Standing.MEMBER

    @property
    def is_lapsed(self) -> bool:
        return self.standing == Standing.LAPSED

    @property
    def interests_done(self) -> bool:
        return self.interest_count >= Profile.MIN_INTERESTS

    @property
    def groups_done(self) -> bool:
        return bool(self.group_count or self.pick_count)

    @property
    def steps(self) -> list[Step]:
        chosen = self.group_count + self.pick_count
        return [
            Step(
                "profile",
                1,
                _("Your profile"),
                reverse("members:profile"),
                self.profile_done,
                _("Members can see who you are")
                if self.profile_done
                else _("Add a line about what you do"),
            ),
            Step(
                "interests",
                2,
                _("Your interests"),
                reverse("members:interests"),
                self.interests_done,
                ngettext("%(n)d picked", "%(n)d picked", self.interest_count)
                % {"n": self.interest_count}
                if self.interests_done
                else _("Pick at least %(min)d") % {"min": Profile.MIN_INTERESTS},
            ),
            Step(
                "groups",
                3,
                _("Groups for you"),
                reverse("home:groups"),
                self.groups_done,
                ngettext("%(n)d chosen", "%(n)d chosen", chosen) % {"n": chosen}
                if self.groups_done
                else _("Choose one or two"),
            ),
            Step(
                "join",
                4,
                _("Rejoin Mutual") if self.is_lapsed else _("Join Mutual"),
                reverse("billing:join"),
                self.is_member,
                _("You're a member") if self.is_member else _("When you're ready"),
            ),
        ]

    @property
    def next_step(self) -> Step | None:
        """The first step not done yet (None once all four are)."""
        return next((step for step in self.steps if not step.done), None)


def _count(rows: QuerySet[Any], key: str) -> Coalesce:
    """How many of `rows` (already filtered on an OuterRef) there are, as a subquery."""
    return Coalesce(
        Subquery(rows.order_by().values(key).annotate(n=Count("pk")).values("n")[:1]), 0
    )


def progress_of(user: User) -> Progress:
    """Where `user` is along the path, in one query (the profile comes with the user).

    Kept on the user object for the rest of the request, so that the step indicator and the
    page that shows it ask once.
    """
    cached: Progress | None = getattr(user, "_home_progress", None)
    if cached is not None:
        return cached
    counts = (
        User.objects.filter(pk=user.pk)
        .annotate(
            interest_count=_count(
                Profile.interests.through.objects.filter(profile__user=OuterRef("pk")),
                "profile__user",
            ),
            group_count=_count(GroupMembership.objects.filter(user=OuterRef("pk")), "user"),
            pick_count=_count(
                GroupPick.objects.filter(user=OuterRef("pk"), group__is_published=True), "user"
            ),
        )
        .values("interest_count", "group_count", "pick_count")
        .first()
    ) or {"interest_count": 0, "group_count": 0, "pick_count": 0}
    profile = getattr(user, "profile", None)  # accounts made outside sign-up may have none
    progress = Progress(
        standing=standing_of(user),
        profile_done=bool(profile and profile.is_complete),
        **counts,
    )
    user._home_progress = progress  # type: ignore[attr-defined]  # this request's answer
    return progress


# --- The suggested-groups page ----------------------------------------------------------------


SUGGESTED_GROUPS = 6


@dataclass
class GroupSuggestions:
    """The suggested-groups page: groups sharing the person's interests (each with `reason`
    and `picked`), or, before they have any, a few lively groups to look at."""

    groups: list[Group]
    has_interests: bool
    picked: list[Group] = field(default_factory=list)


def group_suggestions(user: User, *, limit: int = SUGGESTED_GROUPS) -> GroupSuggestions:
    """Groups for `user` to join (members) or pick (newcomers), best match first.

    The ranking and its "You share: …" reasons are the groups page's own
    (`groups.selectors.recommended_groups`); groups the person picked already stay listed,
    marked, and are listed again apart, so they can be taken back.
    """
    picks = list(GroupPick.objects.of(user).select_related("group"))
    picked = [pick.group for pick in picks]
    groups = list(recommended_groups(user, limit=limit))
    has_interests = bool(groups) or Interest.objects.filter(profiles__user=user).exists()
    if not has_interests:
        groups = list(Group.objects.published().by_activity().for_listing()[:limit])
    picked_ids = {group.pk for group in picked}
    for group in groups:
        group.picked = group.pk in picked_ids  # type: ignore[attr-defined]  # for the template
    return GroupSuggestions(groups=groups, has_interests=has_interests, picked=picked)


# --- A member's home ------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """A group, an event or a member worth a look, and why."""

    kind: str  # "group", "event" or "member"
    title: str
    url: str
    reason: str
    detail: str
    item: Any


@dataclass
class MemberHome:
    progress: Progress
    going: list[RSVP] = field(default_factory=list)
    waiting: list[RSVP] = field(default_factory=list)
    threads: list[Thread] = field(default_factory=list)
    offers: list[Offer] = field(default_factory=list)
    intros: list[IntroRequest] = field(default_factory=list)
    expert_requests: list[ExpertRequest] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)


def _my_interests(user: User) -> QuerySet[Any]:
    return Profile.interests.through.objects.filter(profile__user=user).values("interest_id")


def _shared_names(through: type[Any], column: str, mine: QuerySet[Any]) -> Subquery:
    """A subquery: the names of the row's interests that are also the member's (`_in_order`
    puts them in order)."""
    return Subquery(
        through.objects.filter(**{column: OuterRef("pk")}, interest_id__in=mine)
        .order_by()
        .values(column)
        .annotate(names=_names_of("interest__name"))
        .values("names")[:1]
    )


def _my_replies(user: User, now: datetime) -> tuple[list[RSVP], list[RSVP]]:
    """The next events the member is going to, and their live waitlist places: one query.

    At most `NEXT_EVENTS` of each kind, soonest first (a window over the two statuses, so no
    more rows are read however many the member has), each waitlisted reply with `position` in
    its event's queue.
    """
    rsvps: list[RSVP] = list(
        RSVP.objects.filter(
            member=user,
            status__in=[RSVP.Status.CONFIRMED, RSVP.Status.WAITLISTED],
            event__is_published=True,
            event__ends_at__gt=now,
        )
        .select_related("event__group")
        .with_queue_places()
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=F("status"),
                order_by=[F("event__starts_at").asc(), F("pk").asc()],
            )
        )
        .filter(rank__lte=NEXT_EVENTS)
        .order_by("event__starts_at", "pk")
    )
    for rsvp in rsvps:
        rsvp.position = rsvp.waiting_ahead + 1 if rsvp.is_waiting else None
    going = [rsvp for rsvp in rsvps if rsvp.is_going]
    waiting = [rsvp for rsvp in rsvps if rsvp.is_waiting]
    return going, waiting


def _group_threads(user: User, now: datetime) -> list[Thread]:
    """Conversations with a post in the last month in the member's groups, latest first."""
    mine = GroupMembership.objects.filter(user=user).values("group_id")
    threads = list(
        Thread.objects.visible()
        .filter(group_id__in=mine, group__is_published=True)
        .filter(last_post_at__gte=now - RECENT_DISCUSSION)
        .for_listing()
        .select_related("group")[:THREADS]
    )
    for thread in threads:
        thread.is_new = thread.created_at >= now - NEW_THREAD  # type: ignore[attr-defined]
        thread.replies = max(thread.post_total - 1, 0)  # type: ignore[attr-defined]
    return threads


def _matching_offers(mine: QuerySet[Any]) -> list[Offer]:
    """This month's offers sharing an interest with the member, featured first; each with
    `shared_names`, the interests they share ("Marketing, Sales")."""
    offers = list(
        Offer.objects.current()
        .annotate(shared_names=_shared_names(Offer.interests.through, "offer_id", mine))
        .filter(shared_names__isnull=False)
        .select_related("partner")
        .order_by("-featured", "valid_until", "title", "pk")[:OFFERS]
    )
    for offer in offers:
        offer.shared_names = _in_order(offer.shared_names)
    return offers  # type: ignore[return-value]  # Offers, annotated: list is invariant


def _suggested_group(user: User, mine: QuerySet[Any]) -> Suggestion | None:
    """The group sharing most interests that the member hasn't joined (the groups page's
    ranking, `GroupQuerySet.sharing_interests`), with the shared names in the same query."""
    city = getattr(getattr(user, "profile", None), "city", "")
    group = (
        Group.objects.published()
        .not_joined_by(user)
        .sharing_interests(mine, city=city)
        .annotate(shared_names=_names_of("interests__name"))
        .first()
    )
    if group is None:
        return None
    where = group.city or _("Online")
    size = ngettext("%(n)d member", "%(n)d members", group.member_count) % {"n": group.member_count}
    return Suggestion(
        "group",
        group.name,
        group.get_absolute_url(),
        you_share(_in_order(group.shared_names)),
        f"{where} · {size}",
        group,
    )


def _suggested_event(user: User, mine: QuerySet[Any], now: datetime) -> Suggestion | None:
    """The next event of the member's groups or sharing their interests that they haven't
    answered (`EventQuerySet.for_you`'s order)."""
    event = (
        Event.objects.listed()
        .upcoming(now=now)
        .filter(starts_at__gt=now)
        .exclude(pk__in=RSVP.objects.filter(member=user).values("event_id"))
        .for_you(user)
        .annotate(shared_names=_shared_names(Event.interests.through, "event_id", mine))
        .filter(Q(in_my_groups=True) | Q(shared_interests__gt=0))
        .select_related("group")
        .first()
    )
    if event is None:
        return None
    if event.shared_names or event.group is None:
        reason = you_share(_in_order(event.shared_names))
    else:
        reason = _("From your group %(group)s") % {"group": event.group.name}
    when = date_format(timezone.localtime(event.starts_at), "D j M, H:i")
    detail = f"{when} · {event.city or _('Online')}"
    return Suggestion("event", event.title, event.get_absolute_url(), reason, detail, event)


def _suggested_member(user: User, mine: QuerySet[Any]) -> Suggestion | None:
    """A listed, paying member sharing the most interests (the directory's own rule for who
    may appear, `members.selectors.directory_profiles`), chosen among the profiles with the
    most of the member's interests."""
    candidates = (
        Profile.interests.through.objects.filter(interest_id__in=mine)
        .values("profile_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "profile_id")
        .values("profile_id")[:MEMBER_CANDIDATES]
    )
    profile = (
        directory_profiles(viewer=user)
        .filter(pk__in=candidates, interests__in=mine)
        .annotate(
            shared_count=Count("interests"),
            shared_names=_names_of("interests__name"),
        )
        .order_by("-shared_count", "pk")
        .first()
    )
    if profile is None:
        return None
    detail = " · ".join(part for part in (profile.headline, profile.city) if part)
    return Suggestion(
        "member",
        profile.display_name,
        profile.get_absolute_url(),
        you_share(_in_order(profile.shared_names)),
        detail,
        profile,
    )


def member_home(user: User, *, now: datetime | None = None) -> MemberHome:
    """A member's home in a fixed number of queries (at most ten beyond the session and the
    user), the same at 5 rows as at 50: one per section, and none for a section the member's
    progress already says is empty (no groups: no conversations; no interests: no offers or
    suggestions)."""
    now = now or timezone.now()
    progress = progress_of(user)
    home = MemberHome(progress=progress)
    home.going, home.waiting = _my_replies(user, now)
    if progress.group_count:
        home.threads = _group_threads(user, now)
    mine = _my_interests(user)
    if progress.interest_count:
        home.offers = _matching_offers(mine)
    home.intros = list(
        IntroRequest.objects.filter(
            recipient=user, status=IntroRequest.Status.PENDING
        ).for_listing()[:INTROS]
    )
    # The member's requests with their expert; the page shows each one's status, not its
    # history, so the history's prefetch is dropped.
    home.expert_requests = list(
        expert_requests_of(member=user).prefetch_related(None)[:EXPERT_REQUESTS]
    )
    suggestions = []
    if progress.interest_count:
        suggestions.append(_suggested_group(user, mine))
    if progress.interest_count or progress.group_count:
        suggestions.append(_suggested_event(user, mine, now))
    if progress.interest_count:
        suggestions.append(_suggested_member(user, mine))
    home.suggestions = [suggestion for suggestion in suggestions if suggestion is not None]
    return home
