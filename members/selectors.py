"""Reads about members: the directory, and whether one member may ask another for an
introduction."""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from billing.models import Membership
from billing.selectors import member_is_active
from members.models import IntroRequest, Profile, ProfileQuerySet, User


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


# --- Introductions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IntroOffer:
    """Whether `sender` may ask `recipient` for an introduction now (see `intro_offer`)."""

    refusal: str = ""  # why not, in words for the person asking; empty when they may ask
    pending: IntroRequest | None = None  # the request they already have waiting, if any

    @property
    def allowed(self) -> bool:
        return not self.refusal


def intro_offer(*, sender: User, recipient: User) -> IntroOffer:
    """The one rule for "can `sender` ask `recipient` for an introduction, and if not, why?".

    The profile page asks it to offer the button or say why not; `intro_request_create` asks
    it again (under the sender's row lock) before writing, so the two never disagree. Both
    must be current members, the recipient listed in the directory; someone who declined the
    sender in the last `REPEAT_AFTER_DECLINE_DAYS` can't be asked again yet, and nobody asks
    more than `OPEN_PER_DAY` a day. An open request already waiting is no refusal: asking
    again returns it (`pending`). At most two queries, once the memberships are loaded.
    """
    if sender.pk == recipient.pk:
        return IntroOffer(refusal=_("You can't ask for an introduction to yourself."))
    if not member_is_active(sender):
        return IntroOffer(
            refusal=_("Introductions are for current members: rejoin to ask for one.")
        )
    profile = getattr(recipient, "profile", None)
    if (
        not recipient.is_active
        or profile is None
        or not profile.in_directory
        or not member_is_active(recipient)
    ):
        return IntroOffer(
            refusal=_(
                "%(name)s isn't taking introductions at the moment: introductions are "
                "between current members listed in the directory."
            )
            % {"name": profile.display_name if profile else _("This member")}
        )
    now = timezone.now()
    declined_since = now - timedelta(days=IntroRequest.REPEAT_AFTER_DECLINE_DAYS)
    earlier = list(
        IntroRequest.objects.filter(sender=sender, recipient=recipient)
        .filter(
            Q(status=IntroRequest.Status.PENDING)
            | Q(status=IntroRequest.Status.DECLINED, responded_at__gte=declined_since)
        )
        .order_by("-created_at")
    )
    pending = next((i for i in earlier if i.status == IntroRequest.Status.PENDING), None)
    if pending is not None:
        return IntroOffer(pending=pending)
    if earlier:
        declined_at = earlier[0].responded_at or now  # set on every decline (the filter)
        again = declined_at + timedelta(days=IntroRequest.REPEAT_AFTER_DECLINE_DAYS)
        return IntroOffer(
            refusal=_(
                "They declined an introduction in the last %(days)d days, so you can't ask "
                "again until %(date)s."
            )
            % {
                "days": IntroRequest.REPEAT_AFTER_DECLINE_DAYS,
                "date": date_format(timezone.localtime(again), "j F Y"),
            }
        )
    sent_today = IntroRequest.objects.filter(
        sender=sender, created_at__gte=now - timedelta(days=1)
    ).count()
    if sent_today >= IntroRequest.OPEN_PER_DAY:
        return IntroOffer(
            refusal=_(
                "You can ask for %(count)d introductions a day, and you've asked for "
                "%(count)d today. Please try again tomorrow."
            )
            % {"count": IntroRequest.OPEN_PER_DAY}
        )
    return IntroOffer()
