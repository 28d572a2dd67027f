"""Demo events for `seed_demo`: past and upcoming, across the demo groups and network-wide.

Speakers come from the published demo experts and replies from the demo members
(member000001@example.com …). A demo group's events happen where and when the group says it
meets (its row in groups/demo.py: venue, weekday, time); the network-wide ones cycle through
`KINDS` and `TOWNS`. Event number 2 (upcoming) is full, with a waitlist, so the waitlist can
be tried at once. Idempotent: an event whose slug exists is left alone (slugs come from the
event's number and title, never from the random generator). Events, interests, speakers and
replies are inserted in bulk, with the counters set to match.

With `rsvps` (the benchmark's large dataset), each event gets about `rsvps / count` replies
from all the demo members, with places to match: some events fill up and have a waitlist.
"""

from __future__ import annotations

import io
import random
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image, ImageDraw

from discounts.models import Partner
from events.models import RSVP, Event, EventSpeaker
from experts.models import Expert
from groups import demo as groups_demo
from groups.models import Group, GroupMembership
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
    cast: bool = False,
    exclude: Collection[int] = (),
) -> int:
    """Create up to `count` demo events (skipping existing slugs); returns how many are new.

    Replies come from the first `pool_size` demo members (all of them when None) but not
    those in `exclude` (ids): a dozen or so an event, or about `rsvps / count` when `rsvps`
    is given. With `cast`, each group's organisers and member000001 say yes to its events,
    and member000001 waits first in line for the full one.
    """
    groups = list(Group.objects.published().order_by("pk"))
    meetings = groups_demo.by_slug(len(groups))
    wanted = [_plan(n, groups, meetings) for n in range(count)]
    _on_meeting_days(wanted, timezone.localdate())
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
    excluded = set(exclude)
    pool = [
        pk for pk in (members if pool_size is None else members[:pool_size]) if pk not in excluded
    ]
    if cast and pool:
        _cast_replies(missing, set(pool))
    average = max(round(rsvps / count), 1) if rsvps is not None and count else None
    for start in range(0, len(missing), BATCH):
        _seed_batch(missing[start : start + BATCH], interests, experts, pool, rng, average)
    if not pool:
        stdout.write("No demo members yet: the demo events have no replies.")
    return len(missing)


def _cast_replies(plans: list[dict], pool: set[int]) -> None:
    """Who replies first (`going`) and who waits first in line (`waiting`), by plan."""
    home = (
        User.objects.filter(email=f"member{groups_demo.HOME_MEMBER:06d}@example.com")
        .values_list("pk", flat=True)
        .first()
    )
    home = home if home in pool else None
    group_ids = {plan["group"].pk for plan in plans if plan["group"] is not None}
    organisers: dict[int | None, list[int]] = {}
    home_groups = set()
    group_id: int | None
    for group_id, user_id, role in GroupMembership.objects.filter(
        group_id__in=group_ids
    ).values_list("group_id", "user_id", "role"):
        if role == GroupMembership.Role.ORGANISER and user_id in pool:
            organisers.setdefault(group_id, []).append(user_id)
        if user_id == home:
            home_groups.add(group_id)
    for plan in plans:
        group_id = plan["group"].pk if plan["group"] is not None else None
        plan["going"] = sorted(organisers.get(group_id, []))
        if plan["full"] and home is not None:
            plan["waiting"] = [home]
        elif group_id in home_groups and home not in plan["going"]:
            plan["going"].append(home)


def _plan(n: int, groups: list[Group], meetings: dict[str, groups_demo.DemoGroup]) -> dict:
    # Every fourth event is network-wide; the rest belong to the demo groups in turn.
    network_wide = n % 4 == 3
    group = groups[(n - (n + 1) // 4) % len(groups)] if groups and not network_wide else None
    demo_group = meetings.get(group.slug) if group is not None else None
    # A third in the past (for histories and check-in records), the rest spread over 10 weeks.
    days = -(3 + (n * 7) % 60) if n % 3 == 2 else 1 + (n * 4) % 70
    if demo_group is not None:  # where and when the group says it meets
        meeting = demo_group.meeting
        plan: dict[str, Any] = {
            "base_title": meeting.event_title,
            "title": meeting.event_title,
            "description": meeting.event_description,
            "venue": meeting.venue[:1].upper() + meeting.venue[1:],
            "address": meeting.street,
            "town": demo_group.city,
            "weekday": meeting.weekday,
            "hour": meeting.hour,
            "minute": meeting.minute,
            "minutes": meeting.minutes,
            "interests": demo_group.interests,
        }
    else:
        # Network-wide events take the kinds and towns in turn, apart from each other.
        kind = KINDS[(n // 4 if network_wide else n) % len(KINDS)]
        if group is not None and group.city:
            town, address = group.city, next((a for t, a in TOWNS if t == group.city), "")
            address = address or f"High Street, {group.city}"
        else:
            town, address = TOWNS[(5 * (n // 4) + 1) % len(TOWNS)]
        plan = {
            "base_title": kind.title,
            "title": f"{kind.title} ({town})" if group is None else kind.title,
            "description": kind.description,
            "venue": kind.venue,
            "address": address,
            "town": town,
            "weekday": None,
            "hour": kind.hour,
            "minute": 30 if kind.hour < 12 else 0,
            "minutes": kind.minutes,
            "interests": kind.interests,
        }
    slug = f"{slugify(plan['base_title'])[:70]}-{slugify(plan['town'])}-{n + 1}"
    full = n == FULL_EVENT_NUMBER
    return plan | {
        "n": n,
        "group": group,
        "days": days,
        "full": full,
        "slug": f"demo-full-{slug}" if full else slug,
        "going": [],
        "waiting": [],
    }


def _on_meeting_days(plans: list[dict], today) -> None:
    """Move each demo group's events to its meeting day (`weekday`), away from today (past
    events further back, upcoming ones further on), a week apart if two would share a day."""
    taken = set()
    for plan in plans:
        weekday, days = plan["weekday"], plan["days"]
        if weekday is None:
            continue
        current = (today + timedelta(days=days)).weekday()
        days += -((current - weekday) % 7) if days < 0 else (weekday - current) % 7
        while (plan["group"].pk, days) in taken:
            days += -7 if days < 0 else 7
        taken.add((plan["group"].pk, days))
        plan["days"] = days


@transaction.atomic
def _seed_batch(batch, interests, experts, pool, rng: random.Random, average=None) -> None:
    now = timezone.localtime()
    events: list[Event] = []
    plans = []
    for plan in batch:
        start = (now + timedelta(days=plan["days"])).replace(
            hour=plan["hour"], minute=plan["minute"], second=0, microsecond=0
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
            description=plan["description"],
            group=plan["group"],
            starts_at=start,
            ends_at=start + timedelta(minutes=plan["minutes"]),
            rsvp_deadline=start - timedelta(hours=2) if plan["n"] % 2 else None,
            venue_name=plan["venue"],
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
            for name in plan["interests"]
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
    if plan["going"] or plan["waiting"]:  # the cast's replies first (see `_cast_replies`)
        first = [pk for pk in plan["going"] if pk not in plan["waiting"]]
        rest = [pk for pk in people if pk not in first and pk not in plan["waiting"]]
        ordered = first + rest
        people = ordered[:going_count] + plan["waiting"] + ordered[going_count:]
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


# --- Demo images (for `make run`; not called by the benchmark's large dataset) ------------------

DEMO_COVERS = 16  # groups and events each: enough for the first pages, cheap to draw
COVER_PALETTES = [
    ((15, 95, 92), (230, 242, 239), (168, 70, 31)),
    ((11, 74, 71), (247, 243, 236), (194, 87, 31)),
    ((31, 42, 46), (239, 232, 220), (15, 95, 92)),
    ((168, 70, 31), (251, 238, 230), (15, 95, 92)),
    ((8, 56, 54), (185, 216, 210), (247, 243, 236)),
]


def seed_images(*, stdout, covers: int = DEMO_COVERS) -> int:
    """Abstract covers (drawn with Pillow, from each slug) for the first `covers` groups and
    upcoming events without one, and a logo for every partner without one. Saved through the
    image fields, so each gets its renditions. Idempotent; returns how many images it made."""
    made = 0
    groups = Group.objects.published().filter(cover="").order_by("pk")[:covers]
    events = Event.objects.listed().upcoming().filter(cover="").order_by("starts_at", "pk")
    rows: list[Group | Event] = [*groups, *events[:covers]]
    for row in rows:
        row.cover.save(f"{row.slug}.png", ContentFile(_demo_cover(row.slug)), save=False)
        type(row).objects.filter(pk=row.pk).update(cover=row.cover.name)
        made += 1
    for partner in Partner.objects.filter(logo="").order_by("pk"):
        partner.logo.save(f"{partner.slug}.png", ContentFile(_demo_logo(partner.slug)), save=False)
        Partner.objects.filter(pk=partner.pk).update(logo=partner.logo.name)
        made += 1
    if made:
        stdout.write(f"Drew {made} demo covers and logos.")
    return made


def _demo_cover(seed: str) -> bytes:
    rng = random.Random(seed)  # noqa: S311 - shapes, not secrets
    ink, paper, accent = rng.choice(COVER_PALETTES)
    width, height = 1600, 800
    image = Image.new("RGB", (width, height), paper)
    draw = ImageDraw.Draw(image)
    for _ in range(7):
        radius = rng.randint(120, 420)
        x, y = rng.randint(-100, width + 100), rng.randint(-100, height + 100)
        blend = tuple((a + b) // 2 for a, b in zip(ink, paper, strict=True))
        colour = rng.choice([ink, accent, blend])
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)
    for _ in range(3):
        y = rng.randint(0, height)
        draw.line((0, y, width, y + rng.randint(-300, 300)), fill=paper, width=rng.randint(8, 24))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def _demo_logo(seed: str) -> bytes:
    rng = random.Random(seed)  # noqa: S311 - shapes, not secrets
    ink, _paper, accent = rng.choice(COVER_PALETTES)
    image = Image.new("RGBA", (256, 256), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    shape = rng.randrange(3)
    if shape == 0:
        draw.ellipse((28, 28, 228, 228), fill=ink)
        draw.ellipse((96, 96, 160, 160), fill=accent)
    elif shape == 1:
        draw.rounded_rectangle((36, 36, 220, 220), radius=36, fill=ink)
        draw.polygon([(128, 70), (186, 180), (70, 180)], fill=accent)
    else:
        draw.polygon([(128, 24), (232, 128), (128, 232), (24, 128)], fill=accent)
        draw.ellipse((88, 88, 168, 168), fill=ink)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
