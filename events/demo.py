"""Demo events for `seed_demo`: past and upcoming, across the demo groups and network-wide.

Speakers come from the published demo experts and replies from the demo members
(member000001@example.com …). Event number 2 (upcoming) is full, with a waitlist, so the
waitlist can be tried at once. Idempotent: an event whose slug exists is
left alone (slugs come from the event's number, never from the random generator). Events,
interests, speakers and replies are inserted in bulk, with the counters set to match.

With `rsvps` (the benchmark's large dataset), each event gets about `rsvps / count` replies
from all the demo members, with places to match: some events fill up and have a waitlist.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from events.models import RSVP, Event, EventSpeaker
from experts.models import Expert
from groups.models import Group
from members.models import Interest, User

BATCH = 500
MEMBER_POOL = 2000
FULL_EVENT_CAPACITY = 8
FULL_EVENT_WAITING = 5
FULL_EVENT_NUMBER = 1  # an upcoming one (see `_plan`): full, with a waitlist


@dataclass(frozen=True)
class Kind:
    title: str
    description: str
    venue: str
    hour: int
    minutes: int
    interests: tuple[str, ...]


KINDS = [
    Kind(
        "Marketing breakfast: what worked this month",
        "Bring one thing that worked for your business this month and one that didn't. Coffee "
        "and pastries, an hour of honest talk, and no pitching.",
        "The Corner Café",
        8,
        90,
        ("Marketing", "Social media", "Branding and design"),
    ),
    Kind(
        "Lunchtime walk and talk",
        "An unhurried hour's walk and a chat about running a business without running yourself "
        "down. Sensible shoes; dogs welcome.",
        "Meet at the main park gates",
        12,
        75,
        ("Walking and hiking", "Work-life balance", "Mindfulness"),
    ),
    Kind(
        "Freelancers' lunch",
        "Freelancers of every trade comparing notes on rates, clients and keeping sane. Pay for "
        "your own lunch; the conversation is free.",
        "The Old Library Kitchen",
        13,
        90,
        ("Freelancing", "Finance and bookkeeping"),
    ),
    Kind(
        "Evening talk: leading a small team",
        "A short talk and a long question time on hiring, delegating and keeping good people. "
        "Drinks afterwards for whoever can stay.",
        "The Guildhall, Upper Room",
        18,
        120,
        ("Leadership", "Hiring and people"),
    ),
    Kind(
        "Start-up clinic",
        "Bring your question about starting up: money, first customers, the first hire. Tables "
        "of five, each with someone who has done it.",
        "The Workshop Co-working Space",
        18,
        90,
        ("Start-ups", "Sales"),
    ),
    Kind(
        "Mindful morning for founders",
        "A gentle guided session, then tea and conversation. No experience needed, and no mats "
        "to bring.",
        "Riverside Studio",
        7,
        60,
        ("Mindfulness", "Mental health", "Yoga"),
    ),
]
TOWNS = [
    ("Leeds", "Call Lane, Leeds LS1 7BR"),
    ("Bristol", "Narrow Quay, Bristol BS1 4QA"),
    ("Manchester", "Oldham Street, Manchester M1 1JQ"),
    ("Cardiff", "Womanby Street, Cardiff CF10 1BR"),
    ("Glasgow", "Buchanan Street, Glasgow G1 3HL"),
    ("Norwich", "Elm Hill, Norwich NR3 1HN"),
]


def seed(
    *,
    count: int,
    rng: random.Random,
    stdout,
    pool_size: int | None = MEMBER_POOL,
    rsvps: int | None = None,
) -> int:
    """Create up to `count` demo events (skipping existing slugs); returns how many are new.

    Replies come from the first `pool_size` demo members (all of them when None): a dozen or
    so an event, or about `rsvps / count` when `rsvps` is given.
    """
    groups = list(Group.objects.published().order_by("pk"))
    wanted = [_plan(n, groups) for n in range(count)]
    existing = set(
        Event.objects.filter(slug__in=[w["slug"] for w in wanted]).values_list("slug", flat=True)
    )
    missing = [w for w in wanted if w["slug"] not in existing]
    if not missing:
        return 0
    interests = dict(Interest.objects.values_list("name", "pk"))
    experts = list(Expert.objects.published().order_by("pk").values_list("pk", flat=True))
    members = (
        User.objects.filter(
            is_active=True, email__startswith="member", email__endswith="@example.com"
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    pool = list(members if pool_size is None else members[:pool_size])
    average = max(round(rsvps / count), 1) if rsvps is not None and count else None
    for start in range(0, len(missing), BATCH):
        _seed_batch(missing[start : start + BATCH], interests, experts, pool, rng, average)
    if not pool:
        stdout.write("No demo members yet: the demo events have no replies.")
    return len(missing)


def _plan(n: int, groups: list[Group]) -> dict:
    kind = KINDS[n % len(KINDS)]
    # Every fourth event is network-wide; the rest belong to the demo groups in turn.
    group = groups[n % len(groups)] if groups and n % 4 != 3 else None
    if group is not None and group.city:
        town, address = group.city, next((a for t, a in TOWNS if t == group.city), "")
        address = address or f"High Street, {group.city}"
    else:
        town, address = TOWNS[n % len(TOWNS)]
    title = f"{kind.title} ({town})" if group is None else kind.title
    # A third in the past (for histories and check-in records), the rest spread over 10 weeks.
    days = -(3 + (n * 5) % 60) if n % 3 == 2 else 1 + (n * 4) % 70
    slug = f"{slugify(kind.title)[:70]}-{slugify(town)}-{n + 1}"
    full = n == FULL_EVENT_NUMBER
    return {
        "n": n,
        "kind": kind,
        "group": group,
        "town": town,
        "address": address,
        "title": title,
        "days": days,
        "full": full,
        "slug": f"demo-full-{slug}" if full else slug,
    }


@transaction.atomic
def _seed_batch(batch, interests, experts, pool, rng: random.Random, average=None) -> None:
    now = timezone.localtime()
    events: list[Event] = []
    plans = []
    for plan in batch:
        kind = plan["kind"]
        start = (now + timedelta(days=plan["days"])).replace(
            hour=kind.hour, minute=30 if kind.hour < 12 else 0, second=0, microsecond=0
        )
        if plan["full"]:
            capacity: int | None = FULL_EVENT_CAPACITY
        elif average is None:
            capacity = rng.choice([None, 12, 20, 30, 40])
        else:  # about one event in four fills up and has a waitlist
            capacity = rng.choice([None, average // 2 + 1, average, 3 * average // 2, 2 * average])
        event = Event(
            title=plan["title"],
            slug=plan["slug"],
            description=kind.description,
            group=plan["group"],
            starts_at=start,
            ends_at=start + timedelta(minutes=kind.minutes),
            rsvp_deadline=start - timedelta(hours=2) if plan["n"] % 2 else None,
            venue_name=kind.venue,
            venue_address=plan["address"],
            city=plan["town"],
            online_url="https://meet.example.com/mutual-demo" if plan["n"] % 5 == 4 else "",
            capacity=capacity,
            guests_allowed=1 if plan["n"] % 3 == 0 else 0,
            is_published=True,
        )
        # Replies are planned first, so the counters go in with the event itself.
        if average is None or plan["full"]:
            plan["rsvps"] = _replies(event, plan, pool, rng, now)
        else:
            plan["rsvps"] = _spread_replies(event, plan, pool, rng, now, average)
        events.append(event)
        plans.append(plan)
    created = Event.objects.bulk_create(events)
    if not created or created[0].pk is None:  # backends that return no ids
        by_slug = {e.slug: e for e in Event.objects.filter(slug__in=[p["slug"] for p in plans])}
        created = [by_slug[p["slug"]] for p in plans]

    links: list[Any]  # rows of the auto-created through model (no name to import)
    links, speakers, rsvps = [], [], []
    through = Event.interests.through
    for event, plan in zip(created, plans, strict=True):
        links.extend(
            through(event_id=event.pk, interest_id=interests[name])
            for name in plan["kind"].interests
            if name in interests
        )
        if experts and plan["n"] % 3 == 0:
            speakers.append(
                EventSpeaker(event=event, expert_id=experts[plan["n"] % len(experts)], position=0)
            )
        for rsvp in plan["rsvps"]:
            rsvp.event = event
        rsvps.extend(plan["rsvps"])
    through.objects.bulk_create(links, ignore_conflicts=True)
    EventSpeaker.objects.bulk_create(speakers, ignore_conflicts=True)
    RSVP.objects.bulk_create(rsvps, batch_size=2000)


def _spread_replies(
    event: Event, plan: dict, pool: list[int], rng: random.Random, now, average: int
) -> list[RSVP]:
    """About `average` replies (four in five yes); past capacity, the yeses wait in line."""
    if not pool:
        return []
    past = plan["days"] < 0
    people = rng.sample(pool, k=min(len(pool), rng.randint((average + 1) // 2, 3 * average // 2)))
    yes = round(len(people) * 0.8)
    replied_at = min(now, event.starts_at) - timedelta(days=10)
    rows, taken, waiting = [], 0, 0
    for index, member_id in enumerate(people):
        common = {"event": event, "member_id": member_id}
        common |= {"created_at": replied_at, "updated_at": replied_at}
        if index >= yes:
            rows.append(RSVP(status=RSVP.Status.DECLINED, **common))
            continue
        if event.capacity is not None and taken + 1 > event.capacity:
            waiting += 1
            rows.append(
                RSVP(
                    status=RSVP.Status.WAITLISTED,
                    waitlist_ticket=waiting,
                    waitlisted_at=replied_at + timedelta(seconds=waiting),
                    **common,
                )
            )
            continue
        guests = 1 if event.guests_allowed and rng.random() < 0.2 else 0
        if event.capacity is not None and taken + 1 + guests > event.capacity:
            guests = 0
        taken += 1 + guests
        attended = rng.choice([True, True, True, False, None]) if past else None
        rows.append(
            RSVP(
                status=RSVP.Status.CONFIRMED,
                guests=guests,
                confirmed_at=replied_at,
                attended=attended,
                checked_in_at=event.starts_at if attended else None,
                **common,
            )
        )
    event.confirmed_places = taken
    event.waitlist_tickets_issued = waiting
    return rows


def _replies(event: Event, plan: dict, pool: list[int], rng: random.Random, now) -> list[RSVP]:
    """Replies that respect the event's places; sets the (unsaved) event's counters to match."""
    if not pool:
        return []
    past = plan["days"] < 0
    if plan["full"]:
        going_count, waiting_count = FULL_EVENT_CAPACITY, FULL_EVENT_WAITING
    else:
        limit = event.capacity or 25
        going_count, waiting_count = rng.randint(limit // 3, max(limit // 3, limit - 2)), 0
    people = rng.sample(pool, k=min(len(pool), going_count + waiting_count + 3))
    replied_at = min(now, event.starts_at) - timedelta(days=10)
    rows, taken = [], 0
    for member_id in people[:going_count]:
        guests = 1 if event.guests_allowed and rng.random() < 0.2 else 0
        if event.capacity is not None and taken + 1 + guests > event.capacity:
            guests = 0
        if event.capacity is not None and taken + 1 > event.capacity:
            break
        taken += 1 + guests
        attended = rng.choice([True, True, True, False, None]) if past else None
        rows.append(
            RSVP(
                event=event,
                member_id=member_id,
                status=RSVP.Status.CONFIRMED,
                guests=guests,
                confirmed_at=replied_at,
                attended=attended,
                checked_in_at=event.starts_at if attended else None,
                created_at=replied_at,
                updated_at=replied_at,
            )
        )
    waiting = people[going_count : going_count + waiting_count]
    if event.capacity is None or taken < event.capacity:
        waiting = []  # nobody waits while there are places
    for ticket, member_id in enumerate(waiting, 1):
        rows.append(
            RSVP(
                event=event,
                member_id=member_id,
                status=RSVP.Status.WAITLISTED,
                waitlist_ticket=ticket,
                waitlisted_at=replied_at + timedelta(minutes=ticket),
                created_at=replied_at,
                updated_at=replied_at,
            )
        )
    rows.extend(
        RSVP(
            event=event,
            member_id=member_id,
            status=RSVP.Status.DECLINED,
            created_at=replied_at,
            updated_at=replied_at,
        )
        for member_id in people[going_count + waiting_count :]
    )
    event.confirmed_places = taken
    event.waitlist_tickets_issued = len(waiting)
    return rows
