"""Reads about members: the directory."""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.cache import cache

from billing.models import Membership
from members.models import Profile, ProfileQuerySet, User


def directory_profiles(
    *, viewer: User, q: str = "", interest: str = "", city: str = "", open_to: str = ""
) -> ProfileQuerySet:
    """Profiles in the directory: active paying members who chose to appear, never the viewer.

    Filters by a search term, an interest slug, a town and what they are open to. Unordered:
    `directory_page` ranks them.
    """
    from django.db.models import Q

    from members.models import OPEN_TO_FIELDS, Profile

    profiles = (
        Profile.objects.in_directory()
        .filter(user__membership__in=Membership.objects.active())
        .exclude(user=viewer)
    )
    if q:
        profiles = profiles.filter(
            Q(display_name__icontains=q) | Q(headline__icontains=q) | Q(bio__icontains=q)
        )
    if interest:
        # A subquery, not a join: a join would also narrow the shared-interest count.
        tagged = Profile.interests.through.objects.filter(interest__slug=interest)
        profiles = profiles.filter(pk__in=tagged.values("profile_id"))
    if city:
        profiles = profiles.filter(city__iexact=city)
    if open_to and f"open_to_{open_to}" in OPEN_TO_FIELDS:
        profiles = profiles.filter(**{f"open_to_{open_to}": True})
    return profiles


DIRECTORY_PER_PAGE = 24
# How many of the best matches are ranked by shared interests; everyone after them follows
# in the order they joined. 480 is 20 pages: more than anyone reads.
DIRECTORY_RANKED_MAX = 20 * DIRECTORY_PER_PAGE
# Unfiltered, the ranking starts from this many profiles sharing the most interests (by
# the interest rows alone), so that only they are looked up: enough for the ranked 480
# unless most of them have left the directory or lapsed.
DIRECTORY_CANDIDATES = 1000
# The ranking reads every row tagged with one of the viewer's interests (at 100,000
# members, some 50,000 for three interests: tens of milliseconds), so each viewer's
# ranking, per filter, is kept for a few minutes while they page through it. Who may
# appear is checked afresh on every page.
DIRECTORY_RANKING_SECONDS = 5 * 60


@dataclass
class DirectoryPage:
    """One page of the directory. There is no total (counting every member would cost as much
    as ranking them all), so it offers Previous and Next rather than page numbers."""

    number: int
    object_list: list[Profile]
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def __iter__(self) -> Iterator[Profile]:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)


def _directory_ranking(
    *, viewer: User, eligible: ProfileQuerySet, mine: list[int], filters: dict[str, str]
) -> list[int]:
    """The ids of the best matches for `viewer`: most shared interests first, then the
    longest-standing members (by id).

    When it is not in the cache, it counts only the rows of the viewer's own interests (no
    per-profile subquery, no count of the directory). Unfiltered, two queries: the
    `DIRECTORY_CANDIDATES` profiles sharing the most, from those rows alone, then which of
    them may appear (index lookups for those few thousand, rather than joining every
    member). A filter narrows the directory enough to rank it in one query.
    """
    from django.db.models import Count

    from members.models import Profile

    if not mine:
        return []
    narrowing = sorted((name, value) for name, value in filters.items() if value)
    key = json.dumps([viewer.pk, sorted(mine), narrowing], default=str)
    key = "members:directory-ranking:" + hashlib.sha256(key.encode()).hexdigest()
    ranked: list[int] | None = cache.get(key)
    if ranked is None:
        if narrowing:
            ranked = list(
                eligible.filter(interests__in=mine)
                .annotate(shared_count=Count("interests"))  # (`shared` names the list set below)
                .order_by("-shared_count", "pk")
                .values_list("pk", flat=True)[:DIRECTORY_RANKED_MAX]
            )
        else:
            candidates = list(
                Profile.interests.through.objects.filter(interest_id__in=mine)
                .values("profile_id")
                .annotate(shared=Count("pk"))
                .order_by("-shared", "profile_id")
                .values_list("profile_id", flat=True)[:DIRECTORY_CANDIDATES]
            )
            allowed = set(eligible.filter(pk__in=candidates).values_list("pk", flat=True))
            ranked = [pk for pk in candidates if pk in allowed][:DIRECTORY_RANKED_MAX]
        cache.set(key, ranked, DIRECTORY_RANKING_SECONDS)
    return ranked


def directory_page(
    *,
    viewer: User,
    mine: list[int],
    number: int,
    per_page: int = DIRECTORY_PER_PAGE,
    **filters: str,
) -> DirectoryPage:
    """A page of the directory: the ranked best matches (see `_directory_ranking`), then
    everyone else who may appear, in the order they joined (by id, so pages are stable).

    `mine` is the viewer's interest ids. One query for the page's profiles (LIMIT/OFFSET,
    whichever part of the list it falls in), one for their interests, and the ranking's when
    it is not cached. Each profile gets `shared`: the interests it shares with the viewer.
    """
    from django.db.models import Q

    eligible = directory_profiles(viewer=viewer, **filters)
    ranked = _directory_ranking(viewer=viewer, eligible=eligible, mine=mine, filters=filters)
    start = (number - 1) * per_page
    window = ranked[start : start + per_page]
    wanted = Q(pk__in=window) if window else Q()
    ranked_after = len(ranked) > start + per_page
    if not ranked_after:
        # The rest, one more than the page needs to tell whether there is a next page.
        offset = max(start - len(ranked), 0)
        rest = (
            eligible.exclude(pk__in=ranked)
            .order_by("pk")
            .values("pk")[offset : offset + per_page - len(window) + 1]
        )
        wanted |= Q(pk__in=rest)
    profiles = list(eligible.filter(wanted).prefetch_related("interests"))
    position = {pk: n for n, pk in enumerate(window)}
    profiles.sort(key=lambda profile: (position.get(profile.pk, len(window)), profile.pk))
    shared_with = set(mine)
    for profile in profiles:
        profile.shared = [i for i in profile.interests.all() if i.pk in shared_with]
    return DirectoryPage(
        number=number,
        object_list=profiles[:per_page],
        has_next=ranked_after or len(profiles) > per_page,
    )
