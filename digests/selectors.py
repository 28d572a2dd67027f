"""What goes into each member's digest, chosen for a whole batch of members at once.

The number of queries depends on the number of sections, not on the number of members: each
section loads its candidates once (events in the window, this month's offers, new groups),
the batch's interests and group memberships load once, and matching happens in memory.
"""

from __future__ import annotations

import functools
from collections.abc import Set
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from itertools import islice
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.formats import date_format

from billing.models import Membership
from discounts.models import Offer
from events.models import Event, EventSpeaker
from groups.models import Group, GroupMembership
from mail.models import StreamSubscription, SuppressedAddress
from mail.streams import DigestFrequency, Stream
from members.models import Profile, User

INACTIVE_AFTER = timedelta(days=180)
WINDOW = {DigestFrequency.WEEKLY: timedelta(days=7), DigestFrequency.MONTHLY: timedelta(days=31)}
MAX_PER_SECTION = 5


@dataclass
class DigestContent:
    events: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    offers: list[dict[str, Any]] = field(default_factory=list)
    experts: list[dict[str, Any]] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.events or self.groups or self.offers or self.experts)

    def as_payload(self) -> dict[str, Any]:
        return asdict(self)


def period_key(frequency: str, today: date) -> str:
    if frequency == DigestFrequency.WEEKLY:
        iso = today.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    return f"{today:%Y-%m}"


def eligible_members(frequency: str, *, now: datetime | None = None) -> QuerySet[User]:
    """Who gets this digest: opted in and confirmed, paying, active lately, not bouncing."""
    now = now or timezone.now()
    subscribed = StreamSubscription.objects.filter(
        stream=Stream.DIGEST,
        status=StreamSubscription.Status.SUBSCRIBED,
        frequency=frequency,
    ).values("user_id")
    return (
        User.objects.filter(is_active=True, pk__in=subscribed)
        .filter(pk__in=Membership.objects.active(now=now).values("user_id"))
        .annotate(last_seen=Coalesce("last_login", "date_joined"))
        .filter(last_seen__gte=now - INACTIVE_AFTER)
        .exclude(email__in=SuppressedAddress.objects.values("email"))
        .order_by("pk")
    )


def _slug_url(name: str, slug: str) -> str:
    """The absolute URL of a page named `name` for `slug`, without a reverse() per item."""
    prefix, suffix = _slug_pattern(
        name, settings.SITE_URL, settings.ROOT_URLCONF, get_script_prefix()
    )
    return f"{prefix}{slug}{suffix}"


@functools.lru_cache(maxsize=32)
def _slug_pattern(name: str, site_url: str, urlconf: str, script_prefix: str) -> tuple[str, str]:
    marker = "slug-placeholder"  # slugs need no quoting, so the rest of the URL is the same
    prefix, suffix = reverse(name, kwargs={"slug": marker}).split(marker)
    return site_url + prefix, suffix


def digest_contents(
    users: list[User], *, frequency: str, now: datetime | None = None
) -> dict[int, DigestContent]:
    """Each member's digest content, for a batch of members, in a bounded number of queries."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    window_end = now + WINDOW[DigestFrequency(frequency)]
    ids = [user.pk for user in users]
    interests_of: dict[int, set[int]] = {pk: set() for pk in ids}
    for user_id, interest_id in Profile.interests.through.objects.filter(
        profile__user_id__in=ids
    ).values_list("profile__user_id", "interest_id"):
        interests_of[user_id].add(interest_id)
    groups_of: dict[int, set[int]] = {pk: set() for pk in ids}
    for user_id, group_id in GroupMembership.objects.filter(user_id__in=ids).values_list(
        "user_id", "group_id"
    ):
        groups_of[user_id].add(group_id)

    events = _Index(_event_candidates(now, window_end), "group_id")
    new_groups = _Index(_group_candidates(now - WINDOW[DigestFrequency(frequency)]))
    offers = _Index(_offer_candidates(today))
    speaking = {k for k, event in enumerate(events.items) if event["speakers"]}
    contents = {}
    for user in users:
        mine, joined = interests_of[user.pk], groups_of[user.pk]
        matched = events.matching(mine, groups=joined)
        content = DigestContent(events=[events.items[k]["item"] for k in matched[:MAX_PER_SECTION]])
        for k in sorted(speaking.intersection(matched)):
            for speaker in events.items[k]["speakers"]:
                if speaker not in content.experts:
                    content.experts.append(speaker)
            if len(content.experts) >= MAX_PER_SECTION:
                break
        content.experts = content.experts[:MAX_PER_SECTION]
        content.groups = list(
            islice(
                (
                    new_groups.items[k]["item"]
                    for k in new_groups.matching(mine)
                    if new_groups.items[k]["id"] not in joined
                ),
                MAX_PER_SECTION,
            )
        )
        content.offers = [offers.items[k]["item"] for k in offers.matching(mine)[:MAX_PER_SECTION]]
        contents[user.pk] = content
    return contents


class _Index:
    """A section's candidates, in their order, looked up by interest (and by group).

    Matching a member is then a few set unions of the positions of their interests' and
    groups' candidates, instead of a pass over every candidate for every member.
    """

    def __init__(self, items: list[dict[str, Any]], group_key: str = ""):
        self.items = items
        self.by_interest: dict[int, list[int]] = {}
        self.by_group: dict[int, list[int]] = {}
        for position, item in enumerate(items):
            for interest_id in item["interest_ids"]:
                self.by_interest.setdefault(interest_id, []).append(position)
            if group_key and item[group_key] is not None:
                self.by_group.setdefault(item[group_key], []).append(position)

    def matching(self, interest_ids: set[int], *, groups: Set[int] = frozenset()) -> list[int]:
        """Positions of the candidates sharing an interest or in one of `groups`, in order."""
        found: set[int] = set()
        for interest_id in interest_ids:
            found.update(self.by_interest.get(interest_id, ()))
        for group_id in groups:
            found.update(self.by_group.get(group_id, ()))
        return sorted(found)


def _interest_ids(model: type[Event | Group | Offer], ids: list[int]) -> dict[int, set[int]]:
    """The interests of each of `model`'s rows `ids` (its `interests` field), in one query."""
    column = f"{model._meta.model_name}_id"  # the auto-created through table's column
    interests: dict[int, set[int]] = {pk: set() for pk in ids}
    for pk, interest_id in model.interests.through.objects.filter(
        **{f"{column}__in": ids}
    ).values_list(column, "interest_id"):
        interests[pk].add(interest_id)
    return interests


def _event_candidates(start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Events in the window, with their interests and published speakers in the site's order.

    Plain rows, not model instances: a busy week has a thousand events, and this runs once a
    batch."""
    events = list(
        Event.objects.filter(is_published=True, is_cancelled=False, starts_at__gte=start)
        .filter(starts_at__lt=end)
        .order_by("starts_at", "pk")
        .values("pk", "slug", "title", "starts_at", "venue_name", "group_id", "group__name")
    )
    ids = [event["pk"] for event in events]
    interests = _interest_ids(Event, ids)
    speakers: dict[int, list[tuple[str, str, str]]] = {pk: [] for pk in ids}
    for event_id, name, headline, slug in (
        EventSpeaker.objects.filter(event_id__in=ids, expert__is_published=True)
        .order_by("position", "pk")
        .values_list("event_id", "expert__name", "expert__headline", "expert__slug")
    ):
        speakers[event_id].append((name, headline, slug))
    candidates = []
    for event in events:
        url = _slug_url("events:detail", event["slug"])
        when = date_format(timezone.localtime(event["starts_at"]), "l j F, H:i")
        candidates.append(
            {
                "group_id": event["group_id"],
                "interest_ids": interests[event["pk"]],
                "item": {
                    "title": event["title"],
                    "url": url,
                    "rsvp_url": f"{url}#rsvp",
                    "when": when,
                    "place": event["venue_name"],
                    "group": event["group__name"] or "",
                },
                "speakers": [
                    {
                        "name": name,
                        "headline": headline,
                        "url": _slug_url("experts:detail", slug),
                        "event": event["title"],
                        "when": when,
                    }
                    for name, headline, slug in speakers[event["pk"]]
                ],
            }
        )
    return candidates


def _group_candidates(since: datetime) -> list[dict[str, Any]]:
    groups = list(
        Group.objects.published()
        .filter(created_at__gte=since)
        .order_by("-created_at", "pk")
        .values("pk", "name", "slug", "summary", "city")
    )
    interests = _interest_ids(Group, [group["pk"] for group in groups])
    return [
        {
            "id": group["pk"],
            "interest_ids": interests[group["pk"]],
            "item": {
                "name": group["name"],
                "url": _slug_url("groups:detail", group["slug"]),
                "summary": group["summary"],
                "city": group["city"],
            },
        }
        for group in groups
    ]


def _offer_candidates(today: date) -> list[dict[str, Any]]:
    offers = list(
        Offer.objects.current(today=today)
        .order_by("-featured", "valid_until", "pk")
        .values("pk", "title", "slug", "valid_until", "partner__name")
    )
    interests = _interest_ids(Offer, [offer["pk"] for offer in offers])
    return [
        {
            "interest_ids": interests[offer["pk"]],
            "item": {
                "title": offer["title"],
                "partner": offer["partner__name"],
                "url": _slug_url("discounts:detail", offer["slug"]),
                "until": date_format(offer["valid_until"], "j F"),
            },
        }
        for offer in offers
    ]
