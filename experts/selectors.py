"""Reads about experts that other apps (the home page) and the viewer-specific pages need."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from experts.models import (
    Expert,
    ExpertQuerySet,
    ExpertRequest,
    ExpertRequestQuerySet,
    Region,
    RegionQuerySet,
)
from members.models import Interest, User


@dataclass(frozen=True)
class Appearances:
    """An expert's events, soonest upcoming first and most recent past first.

    Each item has `get_absolute_url`, `title`, `starts_at` and optionally `venue_name` and
    `city`. This app never imports the events app (imports point down the stack): the events
    app registers the function that fills these lists with `register_appearances_provider`.
    """

    # Any object with those attributes (the events app's events), so no import of events.
    upcoming: list[Any] = field(default_factory=list)
    past: list[Any] = field(default_factory=list)


AppearancesProvider = Callable[[Expert], Appearances]
_appearances_provider: AppearancesProvider | None = None


def register_appearances_provider(provider: AppearancesProvider | None) -> None:
    """Called once by the app that knows about events (from its `AppConfig.ready`)."""
    global _appearances_provider  # one hook, set once at start-up
    _appearances_provider = provider


def expert_list(
    *, interest: Interest | None = None, region: Region | None = None
) -> ExpertQuerySet:
    """Published experts with what their cards show, optionally those with an interest or
    travelling to a region."""
    experts = Expert.objects.published().for_listing()
    if interest is not None:
        experts = experts.with_interest(interest)
    if region is not None:
        experts = experts.travelling_to(region)
    return experts


def featured_experts(limit: int = 3) -> list[Expert]:
    """Published, featured experts for the home page, with what their cards show."""
    return list(Expert.objects.published().featured().for_listing()[:limit])


def expert_appearances(*, expert: Expert) -> Appearances:
    """The expert's events, from the registered provider; none if no app provides them."""
    if _appearances_provider is None:
        return Appearances()
    return _appearances_provider(expert)


def expert_requests_of(*, member: User) -> ExpertRequestQuerySet:
    """The member's own requests, newest first, with each one's history."""
    return ExpertRequest.objects.filter(member=member).for_member_list()


def open_request_count(*, member: User) -> int:
    return ExpertRequest.objects.filter(member=member).open().count()


def open_request_for(*, member: User, expert: Expert) -> ExpertRequest | None:
    """The member's most recent open or accepted request for this expert, if any."""
    if not member.is_authenticated:
        return None
    return (
        ExpertRequest.objects.filter(
            member=member,
            expert=expert,
            status__in=[*ExpertRequest.OPEN_STATUSES, ExpertRequest.Status.ACCEPTED],
        )
        .order_by("-created_at")
        .first()
    )


# --- Where an expert travels -----------------------------------------------------------------


def event_regions() -> RegionQuerySet:
    """The places an event can be in, for the request form: each UK region, and online
    ("Anywhere in the UK" is where an expert goes, never where an event is)."""
    return Region.objects.exclude(kind=Region.Kind.NATIONWIDE).in_order()


def travel_warning(*, expert: Expert, region: Region | None) -> str:
    """Why asking `expert` to an event in `region` may not work, or "" when it should.

    An expert goes where their regions say: a UK region named there, any UK region when
    they go anywhere in the UK, and online only when online is named. An expert who names
    no regions, or an event whose region isn't given, gets no warning. Reads the expert's
    regions through `expert.regions.all()` (prefetched by `for_detail`).
    """
    if region is None:
        return ""
    regions = list(expert.regions.all())
    if not regions or any(r.pk == region.pk for r in regions):
        return ""
    if region.kind == Region.Kind.PLACE and any(r.kind == Region.Kind.NATIONWIDE for r in regions):
        return ""
    goes_to = ", ".join(r.name for r in regions)
    if region.kind == Region.Kind.ONLINE:
        return _("%(name)s doesn't usually speak at online events: they travel to %(regions)s.") % {
            "name": expert.name,
            "regions": goes_to,
        }
    return _("%(name)s doesn't usually travel to %(region)s: they go to %(regions)s.") % {
        "name": expert.name,
        "region": region.name,
        "regions": goes_to,
    }
