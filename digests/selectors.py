"""What goes into each member's digest, chosen for a whole batch of members at once.

The number of queries depends on the number of sections, not on the number of members: each
section loads its candidates once (events in the window, this month's offers, new groups),
the batch's interests and group memberships load once, and matching happens in memory.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from discounts.models import Offer
from events.models import Event
from groups.models import Group, GroupMembership
from members.email_streams import DigestFrequency, Stream
from members.models import Membership, Profile, StreamSubscription, SuppressedAddress, User

INACTIVE_AFTER = timedelta(days=180)
WINDOW = {DigestFrequency.WEEKLY: timedelta(days=7), DigestFrequency.MONTHLY: timedelta(days=31)}
MAX_PER_SECTION = 5


@dataclass
class DigestContent:
    events: list[dict] = field(default_factory=list)
    groups: list[dict] = field(default_factory=list)
    offers: list[dict] = field(default_factory=list)
    experts: list[dict] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.events or self.groups or self.offers or self.experts)

    def as_payload(self) -> dict:
        return asdict(self)


def period_key(frequency: str, today: date) -> str:
    if frequency == DigestFrequency.WEEKLY:
        iso = today.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    return f"{today:%Y-%m}"


def eligible_members(frequency: str, *, now: datetime | None = None):
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


def _absolute(path: str) -> str:
    from django.conf import settings

    return settings.SITE_URL + path


def digest_contents(
    users: list[User], *, frequency: str, now: datetime | None = None
) -> dict[int, DigestContent]:
    """Each member's digest content, for a batch of members, in a bounded number of queries."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    window_end = now + WINDOW[frequency]
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

    sections = [
        _event_candidates(now, window_end),
        _group_candidates(now - WINDOW[frequency]),
        _offer_candidates(today),
    ]
    contents = {}
    for user in users:
        content = DigestContent()
        mine, joined = interests_of[user.pk], groups_of[user.pk]
        for event in sections[0]:
            if event["group_id"] in joined or mine & event["interest_ids"]:
                content.events.append(event["item"])
                for speaker in event["speakers"]:
                    if speaker not in content.experts:
                        content.experts.append(speaker)
        content.groups = [
            g["item"] for g in sections[1] if g["id"] not in joined and mine & g["interest_ids"]
        ]
        content.offers = [o["item"] for o in sections[2] if mine & o["interest_ids"]]
        for name in ("events", "groups", "offers", "experts"):
            setattr(content, name, getattr(content, name)[:MAX_PER_SECTION])
        contents[user.pk] = content
    return contents


def _event_candidates(start: datetime, end: datetime) -> list[dict]:
    events = (
        Event.objects.filter(is_published=True, is_cancelled=False, starts_at__gte=start)
        .filter(starts_at__lt=end)
        .select_related("group")
        .prefetch_related("interests", "speakers")
        .order_by("starts_at", "pk")
    )
    candidates = []
    for event in events:
        url = _absolute(reverse("events:detail", kwargs={"slug": event.slug}))
        when = date_format(timezone.localtime(event.starts_at), "l j F, H:i")
        candidates.append(
            {
                "group_id": event.group_id,
                "interest_ids": {i.pk for i in event.interests.all()},
                "item": {
                    "title": event.title,
                    "url": url,
                    "rsvp_url": f"{url}#rsvp",
                    "when": when,
                    "place": event.venue_name,
                    "group": event.group.name if event.group else "",
                },
                "speakers": [
                    {
                        "name": expert.name,
                        "headline": expert.headline,
                        "url": _absolute(expert.get_absolute_url()),
                        "event": event.title,
                        "when": when,
                    }
                    for expert in event.speakers.all()
                ],
            }
        )
    return candidates


def _group_candidates(since: datetime) -> list[dict]:
    groups = (
        Group.objects.published()
        .filter(created_at__gte=since)
        .prefetch_related("interests")
        .order_by("-created_at", "pk")
    )
    return [
        {
            "id": group.pk,
            "interest_ids": {i.pk for i in group.interests.all()},
            "item": {
                "name": group.name,
                "url": _absolute(group.get_absolute_url()),
                "summary": group.summary,
                "city": group.city,
            },
        }
        for group in groups
    ]


def _offer_candidates(today: date) -> list[dict]:
    offers = (
        Offer.objects.current(today=today)
        .select_related("partner")
        .prefetch_related("interests")
        .order_by("-featured", "valid_until", "pk")
    )
    return [
        {
            "interest_ids": {i.pk for i in offer.interests.all()},
            "item": {
                "title": offer.title,
                "partner": offer.partner.name,
                "url": _absolute(offer.get_absolute_url()),
                "until": date_format(offer.valid_until, "j F"),
            },
        }
        for offer in offers
    ]
