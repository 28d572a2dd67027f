"""Demo groups for `seed_demo`: UK groups with interests, members, organisers and discussion.

The first twelve are written by hand; any beyond that are put together from a town and a
theme. Each row says where and when the group meets (`Meeting`): its description is written
from that, and the demo events (events/demo.py) take their day, time and place from the same
row, so the two always agree. Members are drawn from the demo members
(member000001@example.com …) that seed_demo made first. Idempotent: a group whose slug exists
is left alone. Everything is inserted in bulk, so a few hundred groups take seconds.
"""

from __future__ import annotations

import random
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from groups.models import Group, GroupMembership, Post, Thread
from members.models import Interest, User

BATCH = 500
MEMBER_POOL = 5000


WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@dataclass(frozen=True)
class Meeting:
    """Where and when a group meets: its description and its events both come from this."""

    venue: str
    street: str  # the rest of the address, after the venue
    weekday: int  # Monday is 0
    hour: int
    minute: int
    minutes: int  # how long
    event_title: str
    event_description: str
    note: str = ""  # a last sentence for the group's description

    @property
    def day(self) -> str:
        return WEEKDAYS[self.weekday]

    @property
    def times(self) -> str:
        """ "7.30 to 9am", "6.15 to 7.30pm", "12.30 to 1.30pm", "8.30am to 12.30pm"."""
        start = self.hour * 60 + self.minute
        end = start + self.minutes
        first, last = _clock(start), _clock(end)
        if first[-2:] == last[-2:]:
            first = first[:-2]
        return f"{first} to {last}"


def _clock(minutes: int) -> str:
    hour, minute = divmod(minutes % (24 * 60), 60)
    suffix = "am" if hour < 12 else "pm"
    hour = hour % 12 or 12
    return f"{hour}.{minute:02d}{suffix}" if minute else f"{hour}{suffix}"


@dataclass(frozen=True)
class DemoGroup:
    name: str
    city: str
    interests: tuple[str, ...]
    summary: str
    meeting: Meeting
    # Demo member numbers who organise it (`seed_demo`'s cast: all of them paying members).
    organisers: tuple[int, ...] = ()

    @property
    def slug(self) -> str:
        return slugify(self.name)

    @property
    def details(self) -> str:
        m = self.meeting
        text = f"We meet on {m.day}s, {m.times}, at {m.venue}, {m.street}."
        return f"{text} {m.note}" if m.note else text


GROUPS = [
    DemoGroup(
        "Leeds Marketing Breakfast",
        "Leeds",
        ("Marketing", "Social media", "Branding and design"),
        "Owners and marketers swapping what worked this month, over coffee and a bacon roll.",
        Meeting(
            "the Corn Exchange Café",
            "Call Lane, Leeds LS1 7BR",
            1,
            7,
            30,
            90,
            "Marketing breakfast: what worked this month",
            "Bring one thing that worked for your business this month and one that didn't. "
            "Coffee and bacon rolls, an hour and a half of honest talk, and no pitching.",
            "Bring one thing that worked and one that didn't. No pitches, no slides.",
        ),
        organisers=(2, 14),
    ),
    DemoGroup(
        "Bristol Mindful Business Walks",
        "Bristol",
        ("Mindfulness", "Walking and hiking", "Work-life balance"),
        "An unhurried walk round the harbour and a chat about running a business without "
        "running yourself down.",
        Meeting(
            "the M Shed steps",
            "Princes Wharf, Bristol BS1 4RN",
            3,
            12,
            30,
            60,
            "Harbourside walk and talk",
            "An hour round the harbour at an easy pace, talking about whatever is on your "
            "mind this week. Sensible shoes; dogs welcome.",
            "Rain or shine, about an hour. Dogs welcome.",
        ),
        organisers=(3,),
    ),
    DemoGroup(
        "Manchester Freelancers' Lunch",
        "Manchester",
        ("Freelancing", "Finance and bookkeeping", "Work-life balance"),
        "Freelancers of every trade comparing notes on rates, clients and keeping sane.",
        Meeting(
            "the Kettle Loft, upstairs",
            "Oldham Street, Manchester M1 1JQ",
            4,
            13,
            0,
            90,
            "Freelancers' lunch",
            "Rates, late payers, quiet months and good clients: freelancers of every trade "
            "comparing notes. Pay for your own lunch; the conversation is free.",
            "Pay for your own lunch; the conversation is free.",
        ),
        organisers=(4, 21),
    ),
    DemoGroup(
        "Birmingham Start-up Circle",
        "Birmingham",
        ("Start-ups", "Leadership", "Hiring and people"),
        "Founders in their first three years, helping each other with the hard bits.",
        Meeting(
            "the Pen Works",
            "Vyse Street, Jewellery Quarter, Birmingham B18 6JY",
            2,
            18,
            30,
            120,
            "Start-up circle: the hard bits",
            "Each founder brings one problem; the table spends fifteen minutes on each. "
            "Small on purpose, so everyone gets a turn.",
            "Small on purpose: about a dozen people each time.",
        ),
        organisers=(5,),
    ),
    DemoGroup(
        "Cardiff Runners in Business",
        "Cardiff",
        ("Running", "Fitness", "Leadership"),
        "A gentle 5k round Bute Park, then coffee. All paces; nobody gets left behind.",
        Meeting(
            "the café by the Bute Park gates",
            "North Road, Cardiff CF10 3ER",
            5,
            8,
            0,
            90,
            "Bute Park 5k and coffee",
            "A gentle 5k at the pace of the slowest runner, then coffee and conversation at "
            "the café. Walkers welcome too.",
            "We run at the speed of the slowest person.",
        ),
        organisers=(6, 18),
    ),
    DemoGroup(
        "Glasgow Makers and Sellers",
        "Glasgow",
        ("E-commerce", "Family business", "Branding and design"),
        "People who make things and sell them online, sharing suppliers, platforms and tips.",
        Meeting(
            "the Lantern Bar's back room",
            "Byres Road, Glasgow G12 8TB",
            0,
            18,
            0,
            120,
            "Makers' evening: suppliers, platforms and tips",
            "Bring something you make and the question you're stuck on: packaging, "
            "marketplaces, postage or pricing. Someone at the table will have tried it.",
            "Bring something you've made, if you like.",
        ),
        organisers=(7,),
    ),
    DemoGroup(
        "Edinburgh Leaders' Book Club",
        "Edinburgh",
        ("Leadership", "Coaching", "Public speaking"),
        "One business book a month, read slowly and argued over kindly.",
        Meeting(
            "the Waverley Books café",
            "Cockburn Street, Edinburgh EH1 1BP",
            3,
            19,
            0,
            90,
            "Book club: this month's business book",
            "This month's book, argued over kindly. Read all of it, some of it or none of "
            "it: the conversation is the point.",
            "The next book is always pinned in the discussion.",
        ),
        organisers=(8, 25),
    ),
    DemoGroup(
        "Norwich Green Business Network",
        "Norwich",
        ("Sustainability in business", "Family business", "Volunteering"),
        "Small firms cutting waste and carbon, and sharing what actually made a difference.",
        Meeting(
            "the Elm Hill community room",
            "Elm Hill, Norwich NR3 1HN",
            2,
            8,
            0,
            90,
            "Green business breakfast",
            "One member shows what cut their waste or their bills, with the real numbers, "
            "then questions over breakfast.",
            "Now and then we visit a member's business instead.",
        ),
        organisers=(9,),
    ),
    DemoGroup(
        "Brighton Yoga for Desk Workers",
        "Brighton",
        ("Yoga", "Mental health", "Work-life balance"),
        "A relaxed class for people who sit at a desk all day, then tea and chat.",
        Meeting(
            "St Mary's Hall",
            "Eastern Road, Kemptown, Brighton BN2 5JN",
            2,
            18,
            15,
            75,
            "Yoga for desk workers",
            "A gentle class for backs and shoulders that spend all week at a desk, then tea. "
            "Mats provided; beginners very welcome.",
            "Mats provided; beginners very welcome.",
        ),
        organisers=(10, 29),
    ),
    DemoGroup(
        "York Copywriters and Storytellers",
        "York",
        ("Writing and copywriting", "Marketing", "Public speaking"),
        "Writers who earn a living with words, critiquing each other's work gently.",
        Meeting(
            "the Bar Convent café",
            "Blossom Street, York YO24 1AQ",
            0,
            19,
            0,
            90,
            "Copy clinic: bring a page you're stuck on",
            "Read out a page you're stuck on and get three kind, useful suggestions. "
            "Websites, brochures, proposals and newsletters all welcome.",
            "Bring a page of something you're stuck on.",
        ),
        organisers=(11,),
    ),
    DemoGroup(
        "Nottingham Tech for Small Business",
        "Nottingham",
        ("Technology for small business", "E-commerce", "Start-ups"),
        "Plain-English help with the software, sites and gadgets small firms rely on.",
        Meeting(
            "the Central Library, first floor",
            "Angel Row, Nottingham NG1 6HL",
            5,
            10,
            0,
            120,
            "Tech drop-in clinic",
            "Bring your laptop and the thing that's annoying you: email, backups, your "
            "website, the till. Volunteers who do this for a living will sit with you.",
            "A drop-in: come for ten minutes or stay for two hours.",
        ),
        organisers=(12, 16),
    ),
    DemoGroup(
        "London Cycling Founders",
        "London",
        ("Cycling", "Start-ups", "Fitness"),
        "Founders who'd rather talk shop on a bike: an easy Sunday ride and a long brunch.",
        Meeting(
            "Wellington Arch",
            "Hyde Park Corner, London W1J 7JZ",
            6,
            8,
            30,
            240,
            "Sunday ride and long brunch",
            "About 30 miles at a chatty pace through Richmond Park and back, then a long "
            "brunch. Nobody gets dropped.",
            "About 30 miles at a chatty pace.",
        ),
        organisers=(13,),
    ),
]
# The README's first demo account (member000001) belongs to these groups.
HOME_MEMBER = 1
HOME_GROUPS = (
    "leeds-marketing-breakfast",
    "manchester-freelancers-lunch",
    "edinburgh-leaders-book-club",
    "london-cycling-founders",
)


@dataclass(frozen=True)
class Theme:
    name: str
    interests: tuple[str, ...]
    summary: str
    venue: str
    weekday: int
    hour: int
    minute: int
    minutes: int
    event_title: str
    event_description: str


TOWNS = [
    "Bath", "Belfast", "Cambridge", "Exeter", "Liverpool", "Newcastle", "Oxford",
    "Plymouth", "Sheffield", "Southampton", "Swansea", "Aberdeen", "Leicester", "Hull",
]  # fmt: skip
THEMES = [
    Theme("Marketing Breakfast", ("Marketing", "Social media"),
          "Owners and marketers swapping what worked this month, over breakfast.",
          "the Market Café", 1, 7, 30, 90, "Marketing breakfast",
          "One thing that worked this month and one that didn't, over breakfast."),
    Theme("Mindful Business Walks", ("Mindfulness", "Walking and hiking"),
          "An unhurried walk and a chat about running a business without running yourself "
          "down.", "the park gates", 3, 12, 30, 60, "Lunchtime walk and talk",
          "An unhurried hour's walk and a chat. Sensible shoes; dogs welcome."),
    Theme("Freelancers' Lunch", ("Freelancing", "Work-life balance"),
          "Freelancers of every trade comparing notes on rates, clients and keeping sane.",
          "the Old Library Kitchen", 4, 13, 0, 90, "Freelancers' lunch",
          "Rates, clients and keeping sane. Pay for your own lunch."),
    Theme("Start-up Circle", ("Start-ups", "Leadership"),
          "Founders in their first three years, helping each other with the hard bits.",
          "the Workshop co-working space", 2, 18, 30, 120, "Start-up circle",
          "Each founder brings one problem; the table spends fifteen minutes on each."),
    Theme("Runners in Business", ("Running", "Fitness"),
          "A gentle 5k at the pace of the slowest runner, then coffee and conversation.",
          "the park café", 5, 8, 0, 90, "Saturday 5k and coffee",
          "A gentle 5k at the pace of the slowest runner, then coffee."),
    Theme("Green Business Network", ("Sustainability in business", "Volunteering"),
          "Small firms cutting waste and carbon, and sharing what actually made a difference.",
          "the Guildhall, upper room", 2, 8, 0, 90, "Green business breakfast",
          "One member shows what cut their waste or their bills, with the real numbers."),
    Theme("Finance Clinic", ("Finance and bookkeeping", "Law and contracts"),
          "Plain answers to money and paperwork questions, from people who've been there.",
          "the central library", 5, 10, 0, 120, "Money and paperwork clinic",
          "Bring your question about tax, invoices or contracts; someone has been there."),
    Theme("Sleep and Wellbeing Circle", ("Sleep", "Mental health", "Nutrition"),
          "Owners looking after themselves as well as their businesses, one habit at a time.",
          "Riverside Studio", 0, 18, 30, 75, "Wellbeing circle",
          "One small habit, tried for a month and reported back on kindly."),
]  # fmt: skip

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
    (
        "Chasing late invoices without losing the client",
        "I've got two clients sixty days over. Both lovely, both slow. How do you chase "
        "without it getting awkward?",
        [
            "A friendly call beats a fourth email. Ask if anything's holding it up.",
            "I moved to 14-day terms and a polite reminder on day 15. Fewer surprises.",
            "Late payment interest is your right in the UK; just mentioning it often works.",
        ],
    ),
    (
        "First hire: employee or freelancer?",
        "Work has doubled since the spring and I can't keep saying yes on my own. Did you "
        "start with a freelancer or go straight to employing someone?",
        [
            "Freelancer first, for three months. Told me what the job actually was.",
            "Employed straight away and never regretted it. Loyalty goes both ways.",
            "Whatever you do, write down what 'done' looks like before they start.",
        ],
    ),
    (
        "Anyone tried co-working round here?",
        "Working from the kitchen table is getting old. Is a hot desk worth it for two "
        "days a week?",
        [
            "Worth it for the people alone. I've had two clients from the coffee machine.",
            "Try a day pass first: the offers page had one this month.",
        ],
    ),
    (
        "How do you switch off at the weekend?",
        "Honest question. I check my email on Saturday mornings 'just in case' and then "
        "the whole weekend is gone.",
        [
            "Phone in a drawer until Saturday lunchtime. Nothing has ever been on fire.",
            "An auto-reply saying I'll answer on Monday. It's for me as much as them.",
            "I run on Saturday mornings. Hard to read email halfway up a hill.",
        ],
    ),
    (
        "Pricing: per hour or per project?",
        "A client asked for a fixed price and I panicked. How do you price a project "
        "without underselling yourself?",
        [
            "Work out the hours, add a third, then price the outcome, not the hours.",
            "Give three options. Most people pick the middle one.",
            "Per project, always, with a clear list of what's included and what isn't.",
        ],
    ),
    (
        "Thank you for last time",
        "Just wanted to say the conversation last time helped more than any course I've "
        "paid for. I rewrote my homepage that evening.",
        [
            "That's lovely to hear. Bring the new version next time!",
            "Same here, honestly. It's the best hour of my month.",
        ],
    ),
]


def sizes_for(members: int, groups: int) -> tuple[int, int]:
    """Group sizes for a large network: each member in about two and a half groups."""
    average = round(2.5 * members / groups) if groups else 0
    return (10, max(40, 2 * average - 10))


def table(count: int) -> list[DemoGroup]:
    """The first `count` demo groups: the twelve above, then a town and a theme each."""
    wanted = list(GROUPS[:count])
    n = 0
    while len(wanted) < count:
        town = TOWNS[n % len(TOWNS)]
        theme = THEMES[(n // len(TOWNS)) % len(THEMES)]
        round_ = n // (len(TOWNS) * len(THEMES))
        suffix = f" {round_ + 1}" if round_ else ""
        wanted.append(
            DemoGroup(
                name=f"{town} {theme.name}{suffix}",
                city=town,
                interests=theme.interests,
                summary=theme.summary,
                meeting=Meeting(
                    venue=theme.venue,
                    street=f"High Street, {town}",
                    weekday=theme.weekday,
                    hour=theme.hour,
                    minute=theme.minute,
                    minutes=theme.minutes,
                    event_title=theme.event_title,
                    event_description=theme.event_description,
                ),
            )
        )
        n += 1
    return wanted


def by_slug(count: int) -> dict[str, DemoGroup]:
    """The first `count` demo groups by slug (the events' demo dates and places them)."""
    return {group.slug: group for group in table(count)}


def seed(
    *,
    count: int,
    rng: random.Random,
    stdout,
    pool_size: int | None = MEMBER_POOL,
    sizes: tuple[int, int] = (6, 40),
    cast: bool = False,
    exclude: Collection[int] = (),
) -> int:
    """Create up to `count` demo groups (skipping existing slugs); returns how many are new.

    Members come from the first `pool_size` demo members (all of them when None) but not
    those in `exclude` (ids), between `sizes[0]` and `sizes[1]` a group. One of them
    organises it, unless `cast`: then its organisers are the table's (`DemoGroup.organisers`,
    by demo member number), member000001 belongs to `HOME_GROUPS`, and the organiser opens a
    conversation about the next meeting.
    """
    wanted = table(count)
    existing = set(
        Group.objects.filter(slug__in=[g.slug for g in wanted]).values_list("slug", flat=True)
    )
    missing = [g for g in wanted if g.slug not in existing]
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
    excluded = set(exclude)
    pool = [
        pk for pk in (members if pool_size is None else members[:pool_size]) if pk not in excluded
    ]
    numbered: dict[int, int] = {}
    if cast and pool:
        wanted_numbers = {n for g in missing for n in g.organisers} | {HOME_MEMBER}
        emails = {f"member{n:06d}@example.com": n for n in wanted_numbers}
        allowed = set(pool)
        numbered = {
            emails[email]: pk
            for pk, email in User.objects.filter(email__in=emails).values_list("pk", "email")
            if pk in allowed
        }
    for start in range(0, len(missing), BATCH):
        _seed_batch(missing[start : start + BATCH], interests, pool, rng, sizes, numbered, cast)
    if not pool:
        stdout.write("No demo members yet: the demo groups have no members or discussion.")
    return len(missing)


@transaction.atomic
def _seed_batch(
    batch: list[DemoGroup],
    interests: dict,
    pool: list[int],
    rng,
    sizes: tuple[int, int],
    numbered: dict[int, int],
    cast: bool,
) -> None:
    now = timezone.now()
    Group.objects.bulk_create(
        [
            Group(name=g.name, slug=g.slug, summary=g.summary, details=g.details, city=g.city)
            for g in batch
        ]
    )
    groups = {group.slug: group for group in Group.objects.filter(slug__in=[g.slug for g in batch])}
    plans = {g.slug: g for g in batch}
    through = Group.interests.through
    through.objects.bulk_create(
        [
            through(group_id=groups[g.slug].pk, interest_id=interests[name])
            for g in batch
            for name in g.interests
            if name in interests
        ]
    )
    if not pool:
        return
    memberships: list[GroupMembership] = []
    people: dict[int, list[int]] = {}
    organisers: dict[int, list[int]] = {}
    for group in groups.values():
        chosen = rng.sample(pool, k=min(len(pool), rng.randint(*sizes)))
        leads = [numbered[n] for n in plans[group.slug].organisers if n in numbered] if cast else []
        leads = leads or chosen[:1]
        extra = (
            [numbered[HOME_MEMBER]]
            if cast and group.slug in HOME_GROUPS and HOME_MEMBER in numbered
            else []
        )
        chosen = list(dict.fromkeys([*leads, *extra, *chosen]))
        people[group.pk], organisers[group.pk] = chosen, leads
        memberships.extend(
            GroupMembership(
                group=group,
                user_id=user_id,
                role=GroupMembership.Role.ORGANISER
                if user_id in leads
                else GroupMembership.Role.MEMBER,
                joined_at=now - timedelta(days=rng.randint(1, 300)),
            )
            for user_id in chosen
        )
    GroupMembership.objects.bulk_create(memberships)
    meetings = {group.pk: plans[group.slug].meeting for group in groups.values()} if cast else {}
    latest = _seed_discussion(groups.values(), people, organisers, meetings, rng, now)
    for group in groups.values():
        group.member_count = len(people[group.pk])
        group.last_activity_at = latest.get(group.pk)
    Group.objects.bulk_update(groups.values(), ["member_count", "last_activity_at"])


def _meeting_conversation(meeting: Meeting) -> tuple[str, str, list[str]]:
    return (
        f"This {meeting.day}: who's coming?",
        f"Same as ever: {meeting.day}, {meeting.times}, at {meeting.venue} "
        f"({meeting.street}). Say yes on the event page so I know how many to expect. New "
        "faces very welcome.",
        [
            "I'll be there, probably a few minutes early.",
            "Can't make this one, sorry. Save me a seat next time!",
            "Coming, and bringing a friend who's thinking of joining.",
        ],
    )


def _seed_discussion(groups, people, organisers, meetings, rng, now) -> dict:
    """Two conversations a group, with replies (and, with `meetings`, the organiser's about
    the next meeting); returns each group's latest post time."""
    threads, openings = [], []
    replies: list[tuple[Thread, Post]] = []
    for group in groups:
        conversations = [
            (rng.choice(people[group.pk]), conversation)
            for conversation in rng.sample(CONVERSATIONS, k=2)
        ]
        if group.pk in meetings:
            conversations.append(
                (organisers[group.pk][0], _meeting_conversation(meetings[group.pk]))
            )
        for author, (title, body, answers) in conversations:
            started = now - timedelta(days=rng.randint(2, 40), hours=rng.randint(0, 12))
            thread = Thread(group=group, author_id=author, title=title, created_at=started)
            times = sorted(
                started + timedelta(hours=rng.randint(1, 36))
                for _ in range(rng.randint(1, len(answers)))
            )
            thread.last_post_at = min(times[-1], now)
            threads.append(thread)
            openings.append((thread, Post(author_id=author, body=body, created_at=started)))
            others = [pk for pk in people[group.pk] if pk != author] or people[group.pk]
            replies.extend(
                (thread, Post(author_id=rng.choice(others), body=text, created_at=min(at, now)))
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
