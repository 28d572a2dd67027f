"""Reads about experts that other apps (the home page) and the viewer-specific pages need."""

from dataclasses import dataclass, field

from experts.models import Expert, ExpertRequest
from members.models import User


@dataclass(frozen=True)
class Appearances:
    """An expert's events. Empty until the events app exists.

    The events app will list an event's speakers with a many-to-many to `Expert`; it can fill
    these lists through that reverse relation without this app importing it.
    """

    upcoming: list = field(default_factory=list)
    past: list = field(default_factory=list)


def featured_experts(limit: int = 3) -> list[Expert]:
    """Published, featured experts for the home page, with what their cards show."""
    return list(Expert.objects.published().featured().for_listing()[:limit])


def expert_appearances(*, expert: Expert) -> Appearances:
    return Appearances()


def expert_requests_of(*, member: User):
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
