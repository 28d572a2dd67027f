"""Reads about offers that depend on the viewer or feed other pages (the home page)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from discounts.models import Offer, Redemption, site_today
from members.models import Interest, User


@dataclass
class Catalogue:
    """What /discounts/ shows: this month's offers, next month's, and the interests to filter by."""

    today: date
    current: list[Offer] = field(default_factory=list)
    upcoming: list[Offer] = field(default_factory=list)
    interests: list[Interest] = field(default_factory=list)
    interest: Interest | None = None
    redeemed_ids: set[int] = field(default_factory=set)


def catalogue(*, viewer: User | None = None, interest_slug: str = "", today=None) -> Catalogue:
    """The offers list in a fixed number of queries, however many offers there are.

    One query for the offers (current and upcoming together), one for their interests, one
    for the interests to filter by and, for a signed-in viewer, one for what they have
    already claimed.
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
            return result  # an interest no offer has this month: an empty list, not an error
        listed = listed.with_interest(interest_slug)
    for offer in listed.for_listing():
        if offer.has_started(today=today):
            result.current.append(offer)
        else:
            result.upcoming.append(offer)
    result.upcoming.sort(key=lambda o: (o.valid_from, not o.featured, o.title))
    if viewer is not None and viewer.is_authenticated and result.current:
        result.redeemed_ids = set(
            Redemption.objects.filter(
                member=viewer, offer__in=[o.pk for o in result.current]
            ).values_list("offer_id", flat=True)
        )
    for offer in result.current:
        offer.viewer_has_code = offer.pk in result.redeemed_ids
    return result


def current_offers(*, limit: int = 3, today=None) -> list[Offer]:
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
