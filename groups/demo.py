"""Demo groups for `seed_demo`: UK groups with interests, members, organisers and discussion.

The first twelve are written by hand; any beyond that are put together from a town and a
theme. Members are drawn from the demo members (member000001@example.com …) that seed_demo
made first. Idempotent: a group whose slug exists is left alone. Everything is inserted in
bulk, so a few hundred groups take seconds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from groups.models import Group, GroupMembership, Post, Thread
from members.models import Interest, User

BATCH = 500
MEMBER_POOL = 5000


@dataclass(frozen=True)
class DemoGroup:
    name: str
    city: str
    interests: tuple[str, ...]
    summary: str
    details: str


GROUPS = [
    DemoGroup(
        "Leeds Marketing Breakfast",
        "Leeds",
        ("Marketing", "Social media", "Branding and design"),
        "Owners and marketers swapping what worked this month, over coffee and a bacon roll.",
        "First Tuesday of the month, 7.30 to 9am, at the Corn Exchange café. Bring one thing "
        "that worked and one that didn't. No pitches, no slides.",
    ),
    DemoGroup(
        "Bristol Mindful Business Walks",
        "Bristol",
        ("Mindfulness", "Walking and hiking", "Work-life balance"),
        "An unhurried walk round the harbour and a chat about running a business without "
        "running yourself down.",
        "Every other Thursday at 12.30 from the M Shed steps, rain or shine, about an hour. "
        "Dogs welcome.",
    ),
    DemoGroup(
        "Manchester Freelancers' Lunch",
        "Manchester",
        ("Freelancing", "Finance and bookkeeping", "Work-life balance"),
        "Freelancers of every trade comparing notes on rates, clients and keeping sane.",
        "Last Friday of the month, 1pm, upstairs at a Northern Quarter café we'll confirm "
        "in the discussion.",
    ),
    DemoGroup(
        "Birmingham Start-up Circle",
        "Birmingham",
        ("Start-ups", "Leadership", "Hiring and people"),
        "Founders in their first three years, helping each other with the hard bits.",
        "Monthly on a Wednesday evening in the Jewellery Quarter. Small on purpose: about a "
        "dozen people each time.",
    ),
    DemoGroup(
        "Cardiff Runners in Business",
        "Cardiff",
        ("Running", "Fitness", "Leadership"),
        "A gentle 5k round Bute Park, then coffee. All paces; nobody gets left behind.",
        "Saturdays at 8am from the café by the park gates. We run at the speed of the "
        "slowest person.",
    ),
    DemoGroup(
        "Glasgow Makers and Sellers",
        "Glasgow",
        ("E-commerce", "Family business", "Branding and design"),
        "People who make things and sell them online, sharing suppliers, platforms and tips.",
        "Second Monday of the month, 6pm, at a West End pub with a quiet back room.",
    ),
    DemoGroup(
        "Edinburgh Leaders' Book Club",
        "Edinburgh",
        ("Leadership", "Coaching", "Public speaking"),
        "One business book a month, read slowly and argued over kindly.",
        "Third Thursday, 7pm, near Waverley. The next book is always pinned in the discussion.",
    ),
    DemoGroup(
        "Norwich Green Business Network",
        "Norwich",
        ("Sustainability in business", "Family business", "Volunteering"),
        "Small firms cutting waste and carbon, and sharing what actually made a difference.",
        "Bi-monthly site visits to members' businesses, plus an occasional litter pick.",
    ),
    DemoGroup(
        "Brighton Yoga for Desk Workers",
        "Brighton",
        ("Yoga", "Mental health", "Work-life balance"),
        "A relaxed class for people who sit at a desk all day, then tea and chat.",
        "Wednesdays 6.15pm in a community hall in Kemptown. Mats provided; beginners very welcome.",
    ),
    DemoGroup(
        "York Copywriters and Storytellers",
        "York",
        ("Writing and copywriting", "Marketing", "Public speaking"),
        "Writers who earn a living with words, critiquing each other's work gently.",
        "Monthly, first Monday, 7pm. Bring a page of something you're stuck on.",
    ),
    DemoGroup(
        "Nottingham Tech for Small Business",
        "Nottingham",
        ("Technology for small business", "E-commerce", "Start-ups"),
        "Plain-English help with the software, sites and gadgets small firms rely on.",
        "Drop-in clinic on the second Saturday, 10am to noon, at the central library.",
    ),
    DemoGroup(
        "London Cycling Founders",
        "London",
        ("Cycling", "Start-ups", "Fitness"),
        "Founders who'd rather talk shop on a bike: an easy Sunday ride and a long brunch.",
        "Sundays at 8.30am from Hyde Park Corner, about 30 miles at a chatty pace.",
    ),
]

TOWNS = [
    "Bath", "Belfast", "Cambridge", "Exeter", "Liverpool", "Newcastle", "Oxford",
    "Plymouth", "Sheffield", "Southampton", "Swansea", "Aberdeen", "Leicester", "Hull",
]  # fmt: skip
THEMES = [
    ("Marketing Breakfast", ("Marketing", "Social media"),
     "Owners and marketers swapping what worked this month, over breakfast."),
    ("Mindful Business Walks", ("Mindfulness", "Walking and hiking"),
     "An unhurried walk and a chat about running a business without running yourself down."),
    ("Freelancers' Lunch", ("Freelancing", "Work-life balance"),
     "Freelancers of every trade comparing notes on rates, clients and keeping sane."),
    ("Start-up Circle", ("Start-ups", "Leadership"),
     "Founders in their first three years, helping each other with the hard bits."),
    ("Runners in Business", ("Running", "Fitness"),
     "A gentle 5k at the pace of the slowest runner, then coffee and conversation."),
    ("Green Business Network", ("Sustainability in business", "Volunteering"),
     "Small firms cutting waste and carbon, and sharing what actually made a difference."),
    ("Finance Clinic", ("Finance and bookkeeping", "Law and contracts"),
     "Plain answers to money and paperwork questions, from people who've been there."),
    ("Sleep and Wellbeing Circle", ("Sleep", "Mental health", "Nutrition"),
     "Owners looking after themselves as well as their businesses, one habit at a time."),
]  # fmt: skip

DETAILS = [
    "Monthly, on the first Tuesday, 7.30 to 9am, at a café in the centre we confirm in "
    "the discussion. Come when it suits you.",
    "Every other Thursday lunchtime, about an hour. Newcomers always welcome: look for the "
    "Mutual card on the table.",
    "Second Monday of the month, 6pm, in a pub with a quiet back room. No pitches, no "
    "slides, just conversation.",
]

CONVERSATIONS = [
    (
        "Hello from a new member",
        "Hi all, I joined this week. I run a small bookkeeping practice and mostly want to "
        "meet people who aren't accountants! Looking forward to the next meet-up.",
        [
            "Welcome! The next one is a good one to start with: it's usually a small crowd.",
            "Hello and welcome. Come and find me at the next meeting, I'll introduce you round.",
            "Good to have you here. What got you into bookkeeping?",
        ],
    ),
    (
        "What's working for you this month?",
        "Trying something new: one thing each that's gone well lately. Mine: I finally "
        "blocked out Friday afternoons for admin and it's made the whole week calmer.",
        [
            "Saying no to a client who was never going to be a good fit. Felt great.",
            "I started walking to my first meeting of the day instead of driving.",
            "Asking existing customers what they'd miss if we closed. Eye-opening answers.",
        ],
    ),
    (
        "Venue for next time?",
        "The café we used last time is closing for refurbishment. Any ideas for somewhere "
        "quiet enough to talk, with decent coffee?",
        [
            "The library has a room you can book for free on weekday mornings.",
            "There's a bakery near the station with a big table at the back.",
        ],
    ),
    (
        "Book recommendations",
        "I've got a long train journey coming up. What's the most useful business book "
        "you've read that isn't full of jargon?",
        [
            "Anything by Helen Okafor, her chapter on awkward conversations is brilliant.",
            "Not strictly business, but a good book on sleep changed how I plan my days.",
            "I'll bring a couple to the next meet-up if anyone wants to borrow them.",
        ],
    ),
]


def sizes_for(members: int, groups: int) -> tuple[int, int]:
    """Group sizes for a large network: each member in about two and a half groups."""
    average = round(2.5 * members / groups) if groups else 0
    return (10, max(40, 2 * average - 10))


def seed(
    *,
    count: int,
    rng: random.Random,
    stdout,
    pool_size: int | None = MEMBER_POOL,
    sizes: tuple[int, int] = (6, 40),
) -> int:
    """Create up to `count` demo groups (skipping existing slugs); returns how many are new.

    Members come from the first `pool_size` demo members (all of them when None), between
    `sizes[0]` and `sizes[1]` a group.
    """
    wanted = _wanted(count, rng)
    existing = set(
        Group.objects.filter(slug__in=[slugify(g.name) for g in wanted]).values_list(
            "slug", flat=True
        )
    )
    missing = [g for g in wanted if slugify(g.name) not in existing]
    if not missing:
        return 0
    interests = dict(Interest.objects.values_list("name", "pk"))
    members = (
        User.objects.filter(
            is_active=True, email__startswith="member", email__endswith="@example.com"
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    pool = list(members if pool_size is None else members[:pool_size])
    for start in range(0, len(missing), BATCH):
        _seed_batch(missing[start : start + BATCH], interests, pool, rng, sizes)
    if not pool:
        stdout.write("No demo members yet: the demo groups have no members or discussion.")
    return len(missing)


def _wanted(count: int, rng: random.Random) -> list[DemoGroup]:
    wanted = list(GROUPS[:count])
    n = 0
    while len(wanted) < count:
        town = TOWNS[n % len(TOWNS)]
        theme, themed, summary = THEMES[(n // len(TOWNS)) % len(THEMES)]
        round_ = n // (len(TOWNS) * len(THEMES))
        suffix = f" {round_ + 1}" if round_ else ""
        wanted.append(
            DemoGroup(
                name=f"{town} {theme}{suffix}",
                city=town,
                interests=themed,
                summary=summary,
                details=rng.choice(DETAILS),
            )
        )
        n += 1
    return wanted


@transaction.atomic
def _seed_batch(
    batch: list[DemoGroup], interests: dict, pool: list[int], rng, sizes: tuple[int, int]
) -> None:
    now = timezone.now()
    Group.objects.bulk_create(
        [
            Group(
                name=g.name,
                slug=slugify(g.name),
                summary=g.summary,
                details=g.details,
                city=g.city,
            )
            for g in batch
        ]
    )
    groups = {
        group.slug: group
        for group in Group.objects.filter(slug__in=[slugify(g.name) for g in batch])
    }
    through = Group.interests.through
    through.objects.bulk_create(
        [
            through(group_id=groups[slugify(g.name)].pk, interest_id=interests[name])
            for g in batch
            for name in g.interests
            if name in interests
        ]
    )
    if not pool:
        return
    memberships = []
    people: dict[int, list[int]] = {}
    for group in groups.values():
        chosen = rng.sample(pool, k=min(len(pool), rng.randint(*sizes)))
        people[group.pk] = chosen
        for index, user_id in enumerate(chosen):
            memberships.append(
                GroupMembership(
                    group=group,
                    user_id=user_id,
                    role=GroupMembership.Role.ORGANISER
                    if index == 0
                    else GroupMembership.Role.MEMBER,
                    joined_at=now - timedelta(days=rng.randint(1, 300)),
                )
            )
    GroupMembership.objects.bulk_create(memberships)
    latest = _seed_discussion(groups.values(), people, rng, now)
    for group in groups.values():
        group.member_count = len(people[group.pk])
        group.last_activity_at = latest.get(group.pk)
    Group.objects.bulk_update(groups.values(), ["member_count", "last_activity_at"])


def _seed_discussion(groups, people: dict[int, list[int]], rng, now) -> dict:
    """Two conversations a group, with replies; returns each group's latest post time."""
    replies: list[tuple[Thread, Post]]
    threads, openings, replies = [], [], []
    for group in groups:
        for title, body, answers in rng.sample(CONVERSATIONS, k=2):
            started = now - timedelta(days=rng.randint(2, 40), hours=rng.randint(0, 12))
            author = rng.choice(people[group.pk])
            thread = Thread(group=group, author_id=author, title=title, created_at=started)
            times = sorted(
                started + timedelta(hours=rng.randint(1, 36))
                for _ in range(rng.randint(1, len(answers)))
            )
            thread.last_post_at = min(times[-1], now)
            threads.append(thread)
            openings.append((thread, Post(author_id=author, body=body, created_at=started)))
            replies.extend(
                (thread, Post(author_id=rng.choice(people[group.pk]), body=text, created_at=at))
                for text, at in zip(answers, times, strict=False)
            )
    Thread.objects.bulk_create(threads)
    if threads and threads[0].pk is None:  # a backend that returns no ids
        raise RuntimeError("bulk_create must return primary keys for the demo discussion")
    posts = []
    for thread, post in openings:
        post.thread_id, post.is_opening = thread.pk, True
        posts.append(post)
    for thread, post in replies:
        post.thread_id = thread.pk
        posts.append(post)
    Post.objects.bulk_create(posts, batch_size=BATCH)
    latest: dict = {}
    for thread in threads:
        if thread.group_id not in latest or thread.last_post_at > latest[thread.group_id]:
            latest[thread.group_id] = thread.last_post_at
    return latest
