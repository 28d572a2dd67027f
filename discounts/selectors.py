"""Reads about offers that depend on the viewer or feed other pages (the home page)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, F, Q, QuerySet, Value, When

from discounts.models import Offer, Redemption, site_today
from members.models import Interest, User

OFFERS_PER_PAGE = 24


if TYPE_CHECKING:
    _OfferPaginator = Paginator[Offer]
else:  # Django's Paginator is generic only in its type stubs
    _OfferPaginator = Paginator


class _CountedPaginator(_OfferPaginator):
    """A paginator told its total up front (counted with the sections' sizes, one query)."""

    def __init__(self, object_list: QuerySet[Offer], per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


@dataclass
class Catalogue:
    """What one page of /discounts/ shows: this month's offers, then next month's, and the
    interests to filter by.

    The two sections are one list, paginated: this month's offers (featured first, ending
    soonest) run over as many pages as they need, and next month's follow them. `current`
    and `upcoming` are the offers of this page; the counts are of the whole catalogue, so
    a page of this month's offers can point to where next month's begin.
    """

    today: date
    page: Page[Offer] | None = None
    current: list[Offer] = field(default_factory=list)
    upcoming: list[Offer] = field(default_factory=list)
    current_count: int = 0
    upcoming_count: int = 0
    upcoming_page: int = 1
    interests: list[Interest] = field(default_factory=list)
    interest: Interest | None = None
    redeemed_ids: set[int] = field(default_factory=set)


def catalogue(
    *,
    viewer: User | None = None,
    interest_slug: str = "",
    today: date | None = None,
    page_number: int | str | None = None,
    per_page: int = OFFERS_PER_PAGE,
) -> Catalogue:
    """One page of the offers list in a fixed number of queries, however many offers there are.

    One query for the interests to filter by, one counting both sections, one for the page's
    offers, one for their interests and, for a signed-in viewer, one for which of them they
    have already claimed.
    """
    today = today or site_today()
    result = Catalogue(today=today)
    listed = Offer.objects.listed(today=today)
    result.interests = list(
        Interest.objects.filter(offers__in=listed).distinct().order_by("category", "name")
    )
    if interest_slug:
        result.interest = next((i for i in result.interests if i.slug == interest_slug), None)
        if result.interest is None:
            # An interest no offer has this month: an empty list, not an error.
            result.page = Paginator([], per_page).get_page(1)
            return result
        listed = listed.with_interest(interest_slug)
    starts_later = Q(valid_from__gt=today)
    counts = listed.aggregate(
        current=Count("pk", filter=~starts_later), upcoming=Count("pk", filter=starts_later)
    )
    result.current_count, result.upcoming_count = counts["current"], counts["upcoming"]
    result.upcoming_page = result.current_count // per_page + 1
    # This month's: featured first, ending soonest. Next month's: opening soonest, featured
    # first. Title and pk last, so that pages never share or skip an offer.
    ordered = listed.for_listing().order_by(
        Case(When(starts_later, then=Value(1)), default=Value(0)),
        Case(When(starts_later, then=F("valid_from"))),
        "-featured",
        Case(When(~starts_later, then=F("valid_until"))),
        "title",
        "pk",
    )
    paginator = _CountedPaginator(
        ordered, per_page, count=result.current_count + result.upcoming_count
    )
    result.page = paginator.get_page(page_number)
    result.page.object_list = list(result.page.object_list)
    for offer in result.page.object_list:
        if offer.has_started(today=today):
            result.current.append(offer)
        else:
            result.upcoming.append(offer)
    if viewer is not None and viewer.is_authenticated and result.current:
        result.redeemed_ids = set(
            Redemption.objects.filter(
                member=viewer, offer__in=[o.pk for o in result.current]
            ).values_list("offer_id", flat=True)
        )
    for offer in result.current:
        offer.viewer_has_code = offer.pk in result.redeemed_ids
    return result


def offer_state(*, offer: Offer, today: date | None = None) -> str:
    """Where an offer stands for members today: "upcoming", "open", "exhausted" (every code
    given out) or "ended"."""
    today = today or site_today()
    if offer.has_ended(today=today):
        return "ended"
    if not offer.has_started(today=today):
        return "upcoming"
    if offer.is_exhausted:
        return "exhausted"
    return "open"


def current_offers(*, limit: int = 3, today: date | None = None) -> list[Offer]:
    """A few of this month's offers for the home page, featured first (two queries)."""
    today = today or site_today()
    return list(Offer.objects.current(today=today).for_listing()[:limit])


def member_redemptions(*, member: User, offer: Offer | None = None) -> list[Redemption]:
    """A member's own codes (never anyone else's), newest first."""
    if not member.is_authenticated:
        return []
    redemptions = Redemption.objects.of_member(member).for_listing()
    if offer is not None:
        redemptions = redemptions.filter(offer=offer).order_by("-number")
    return list(redemptions)
