"""Demo experts for `seed_demo`: made-up people with credible, made-up credentials.

The first eight are written by hand; any beyond that are put together from parts. Idempotent:
an expert whose slug exists is left alone. Everything is inserted in bulk. `seed_requests`
adds demo members' requests for experts, one in each state, with their histories.
"""

import datetime
import importlib
import random
from dataclasses import dataclass, field

from django.apps import apps as django_apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from experts.models import Credential, Expert, ExpertRequest, ExpertRequestStatusChange, Region
from members.models import Interest, User

BATCH = 500


@dataclass(frozen=True)
class DemoExpert:
    name: str
    headline: str
    bio: str
    interests: list[str]
    regions: list[str]
    credentials: list[tuple[str, str, int | None, str]]  # kind, title, year, url
    availability: str = ""
    featured: bool = False
    slug: str = field(default="")


EXPERTS = [
    DemoExpert(
        name="Dr Helen Okafor",
        headline="Author of “Lead Quietly” and former hospital trust chief executive",
        bio=(
            "Helen ran a hospital trust of 6,000 people for nine years before turning to "
            "writing and teaching. Her work is about the unglamorous parts of leadership: "
            "the Thursday meeting, the awkward one-to-one, the decision nobody wants to make.\n\n"
            "She speaks to owner-managers about building teams that stay, and about leading "
            "without having to be the loudest person in the room."
        ),
        interests=["Leadership", "Hiring and people", "Public speaking"],
        regions=["london", "south-east", "online"],
        credentials=[
            ("book", "Lead Quietly: Building Teams That Stay", 2019, ""),
            ("book", "The Thursday Meeting", 2023, ""),
            ("affiliation", "Visiting Fellow in Leadership, Northbridge Business School", None, ""),
            ("award", "Women in Leadership Lifetime Achievement Award", 2022, ""),
            ("link", "Helen's talks and writing", None, "https://example.com/helen-okafor"),
        ],
        availability="Breakfast and lunchtime talks on weekdays. Six weeks' notice, please.",
        featured=True,
    ),
    DemoExpert(
        name="Gareth Pryce",
        headline="Built and sold two Welsh manufacturers; mentor to first-time founders",
        bio=(
            "Gareth started his first business in a shed in Bridgend and sold his second, a "
            "precision engineering firm, to its employees in 2018.\n\n"
            "He is blunt, funny and generous with the mistakes he made along the way, "
            "especially about cash flow and the first hires."
        ),
        interests=["Start-ups", "Family business", "Finance and bookkeeping", "Leadership"],
        regions=["wales", "south-west", "west-midlands"],
        credentials=[
            ("book", "From Shed to Shop Floor", 2018, ""),
            ("affiliation", "Entrepreneur in Residence, Cardiff Enterprise Hub", None, ""),
            ("award", "Wales Business Founder of the Year", 2016, ""),
        ],
        availability="Evenings and weekends. Happy to travel anywhere in Wales.",
        featured=True,
    ),
    DemoExpert(
        name="Priya Raman",
        headline="Brand strategist behind some of Britain's best-loved food brands",
        bio=(
            "Priya has spent twenty years helping small food and drink makers sound as good "
            "as they taste. She now advises independents on brand, packaging and the "
            "first marketing hire.\n\n"
            "Her sessions are practical: bring your packaging and your website, and leave "
            "with three things to change on Monday."
        ),
        interests=["Marketing", "Branding and design", "Social media", "Writing and copywriting"],
        regions=["london", "online"],
        credentials=[
            ("book", "Small Brand, Loud Voice", 2021, ""),
            ("affiliation", "Fellow of the Guild of Brand Strategists", None, ""),
            ("award", "Independent Food Marketer of the Year", 2020, ""),
            ("link", "The Loud Voice podcast", None, "https://example.com/loud-voice"),
        ],
        availability="Workshops for up to 40 people; online sessions any weekday.",
        featured=True,
    ),
    DemoExpert(
        name="Dr Callum Baird",
        headline="Sleep scientist and author of “The Rested Founder”",
        bio=(
            "Callum researches sleep and shift work, and has spent the last five years "
            "translating the science for people who run their own businesses.\n\n"
            "Expect evidence, not wellness slogans, and a few changes that cost nothing."
        ),
        interests=["Sleep", "Mental health", "Work-life balance"],
        regions=["scotland", "north-east", "online"],
        credentials=[
            ("book", "The Rested Founder", 2020, ""),
            ("affiliation", "Honorary Research Fellow, Caledonian Sleep Institute", None, ""),
            ("award", "Public Engagement Award, Scottish Science Society", 2021, ""),
        ],
        availability="Evening talks. Travels within Scotland and the North East; online anywhere.",
    ),
    DemoExpert(
        name="Margaret Ellison OBE",
        headline="Negotiation adviser who led trade talks for British exporters",
        bio=(
            "Margaret spent three decades negotiating on behalf of British exporters, from "
            "single-product makers to national trade bodies.\n\n"
            "She teaches small firms how to prepare for a negotiation, when to walk away, and "
            "how to say no to a large customer without losing them."
        ),
        interests=["Negotiation", "Exporting", "Law and contracts"],
        regions=["anywhere-in-the-uk"],
        credentials=[
            ("award", "OBE for services to international trade", 2015, ""),
            ("book", "Yes, And: Negotiating for Small Firms", 2017, ""),
            ("affiliation", "Former Chair, Association of British Exporters", None, ""),
        ],
        availability="Travels anywhere in the UK with eight weeks' notice.",
    ),
    DemoExpert(
        name="Tom Achebe-Walsh",
        headline="Ultra-runner and coach on resilience at work",
        bio=(
            "Tom ran a design agency for twelve years and ultra-marathons for most of them. "
            "He now coaches founders on pacing themselves for the long run.\n\n"
            "His talks mix stories from the fells with a simple weekly routine that works for "
            "busy people."
        ),
        interests=["Running", "Coaching", "Mental health", "Leadership"],
        regions=["north-west", "yorkshire-and-the-humber", "online"],
        credentials=[
            ("award", "Fellside 100 course record", 2019, ""),
            ("book", "Miles to Think", 2022, ""),
            ("affiliation", "Accredited coach, UK Coaching Register", None, ""),
        ],
        availability="Morning sessions, including walk-and-talk formats.",
    ),
    DemoExpert(
        name="Aisha Farouk",
        headline="Employment lawyer and author of “Hiring Your First Five”",
        bio=(
            "Aisha advises small employers on hiring, contracts and the conversations "
            "nobody enjoys. She wrote her book after answering the same ten questions at "
            "every networking event for a decade.\n\n"
            "Her talks are plain English, with time for your questions."
        ),
        interests=["Law and contracts", "Hiring and people", "Leadership"],
        regions=["west-midlands", "east-midlands", "london"],
        credentials=[
            ("affiliation", "Partner, Farouk & Lane Solicitors", None, ""),
            ("book", "Hiring Your First Five", 2020, ""),
            ("award", "Legal Adviser of the Year, Midlands Business Awards", 2023, ""),
        ],
        availability="Lunchtime talks; Q&A sessions of up to 90 minutes.",
    ),
    DemoExpert(
        name="Siobhán Kearney",
        headline="Sustainability consultant for independent retailers",
        bio=(
            "Siobhán helps independent shops cut waste and cost at the same time, from "
            "packaging to returns.\n\n"
            "She brings real numbers from the shops she works with, and a checklist you can "
            "start on the next day."
        ),
        interests=["Sustainability in business", "E-commerce", "Marketing"],
        regions=["northern-ireland", "scotland", "online"],
        credentials=[
            ("book", "The Circular Shop", 2024, ""),
            ("affiliation", "Board member, Retail Green Alliance", None, ""),
            ("award", "Green Business Champion, Belfast Chamber Awards", 2021, ""),
        ],
        availability="Weekday afternoons and evenings.",
    ),
]

FIRST = ["Alys", "Bernard", "Cerys", "Declan", "Esme", "Fergus", "Gwen", "Idris", "Jemima"]
LAST = ["Ashworth", "Brennan", "Cole", "Dunmore", "Ferris", "Hale", "Kerr", "Lyle", "Moss"]
FIELDS = [
    ("Leadership", "leadership coach to owner-managers", "The Small Team Handbook"),
    ("Marketing", "marketing adviser to independent brands", "Word of Mouth, On Purpose"),
    ("Finance and bookkeeping", "accountant and cash-flow writer", "Cash Is a Habit"),
    ("Mindfulness", "mindfulness teacher for busy professionals", "Ten Quiet Minutes"),
    ("Public speaking", "speaking coach and former broadcaster", "Say It Once"),
    ("Nutrition", "registered nutritionist and food writer", "Eat Like You Mean Business"),
]  # fmt: skip
PLACE_SLUGS = [
    "london", "south-east", "south-west", "east-of-england", "east-midlands", "west-midlands",
    "yorkshire-and-the-humber", "north-east", "north-west", "wales", "scotland",
    "northern-ireland",
]  # fmt: skip


def _generated(number: int, rng: random.Random) -> DemoExpert:
    first = FIRST[number % len(FIRST)]
    last = LAST[(number // len(FIRST)) % len(LAST)]
    interest, role, book = FIELDS[number % len(FIELDS)]
    year = rng.randint(2012, 2025)
    return DemoExpert(
        name=f"{first} {last}",
        slug=f"{first}-{last}-{number}".lower(),
        headline=f"{role[0].upper()}{role[1:]}; author of “{book}”",
        bio=(
            f"{first} has worked as a {role} for over fifteen years, and speaks to small "
            "groups about what actually works.\n\nTalks are informal, with plenty of time "
            "for questions."
        ),
        interests=[interest, rng.choice(["Coaching", "Start-ups", "Work-life balance"])],
        regions=[*rng.sample(PLACE_SLUGS, k=2), "online"],
        credentials=[
            ("book", book, year, ""),
            (
                "affiliation",
                f"Associate, {rng.choice(['Northbridge', 'Avon', 'Pennine'])} Business School",
                None,
                "",
            ),
        ],
        availability="Weekday evenings.",
    )


def _ensure_regions() -> None:
    # A flushed database (tests, `flush`) loses the migration's regions; put them back.
    if not Region.objects.exists():
        migration = importlib.import_module("experts.migrations.0002_seed_regions")
        migration.seed(django_apps, None)


def seed(*, count: int, rng: random.Random, stdout) -> int:
    """Create up to `count` demo experts, with credentials, interests and regions."""
    _ensure_regions()
    wanted = [EXPERTS[i] if i < len(EXPERTS) else _generated(i, rng) for i in range(max(count, 0))]
    by_slug = {(d.slug or slugify(d.name)): d for d in wanted}
    existing = set(Expert.objects.filter(slug__in=by_slug).values_list("slug", flat=True))
    missing = {slug: d for slug, d in by_slug.items() if slug not in existing}
    if not missing:
        stdout.write(f"Experts: nothing to add ({len(existing)} already there).")
        return 0

    interest_ids = dict(Interest.objects.values_list("name", "pk"))
    region_ids = dict(Region.objects.values_list("slug", "pk"))
    interest_link = Expert.interests.through
    region_link = Expert.regions.through
    slugs = list(missing)
    for start in range(0, len(slugs), BATCH):
        batch = slugs[start : start + BATCH]
        with transaction.atomic():
            Expert.objects.bulk_create(
                [
                    Expert(
                        name=missing[slug].name,
                        slug=slug,
                        headline=missing[slug].headline,
                        bio=missing[slug].bio,
                        availability=missing[slug].availability,
                        is_published=True,
                        is_featured=missing[slug].featured,
                    )
                    for slug in batch
                ]
            )
            # Fetched again: not every backend returns the new ids from a bulk insert.
            ids = dict(Expert.objects.filter(slug__in=batch).values_list("slug", "pk"))
            interests, regions, credentials = [], [], []
            for slug in batch:
                demo, expert_id = missing[slug], ids[slug]
                interests += [
                    interest_link(expert_id=expert_id, interest_id=interest_ids[name])
                    for name in dict.fromkeys(demo.interests)
                    if name in interest_ids
                ]
                regions += [
                    region_link(expert_id=expert_id, region_id=region_ids[region])
                    for region in dict.fromkeys(demo.regions)
                    if region in region_ids
                ]
                credentials += [
                    Credential(
                        expert_id=expert_id,
                        kind=kind,
                        title=title,
                        year=year,
                        url=url,
                        position=position,
                    )
                    for position, (kind, title, year, url) in enumerate(demo.credentials)
                ]
            interest_link.objects.bulk_create(interests)
            region_link.objects.bulk_create(regions)
            Credential.objects.bulk_create(credentials)
    stdout.write(f"Experts: {len(missing)} added, with their credentials.")
    return len(missing)


Status = ExpertRequest.Status


@dataclass(frozen=True)
class DemoRequest:
    member: int  # demo member number
    expert: str  # slug
    event_name: str
    weeks_ahead: int
    town: str
    audience: int
    topic: str
    message: str
    path: tuple[str, ...]  # the statuses it went through after "new"
    days_ago: int = 10


REQUESTS = [
    DemoRequest(
        1,
        "priya-raman",
        "Leeds Marketing Breakfast: spring special",
        7,
        "Leeds",
        30,
        "Packaging that sells itself",
        "We'd love Priya to lead a breakfast session on packaging and websites for small "
        "food businesses. Most of us sell at markets and online.",
        (),
        days_ago=2,
    ),
    DemoRequest(
        1,
        "dr-helen-okafor",
        "Manchester Freelancers' Lunch: leading when it's just you",
        10,
        "Manchester",
        20,
        "Leading without a team",
        "Many of us work alone but lead projects with other freelancers. We'd be grateful "
        "for Helen's take on leading quietly when you're nobody's boss.",
        (Status.IN_DISCUSSION, Status.ACCEPTED),
        days_ago=25,
    ),
    DemoRequest(
        2,
        "gareth-pryce",
        "Leeds Marketing Breakfast: cash flow morning",
        6,
        "Leeds",
        25,
        "Cash flow in the first three years",
        "A frank hour on cash flow and first hires for owners in their first few years, "
        "with plenty of time for questions.",
        (Status.IN_DISCUSSION,),
        days_ago=8,
    ),
    DemoRequest(
        6,
        "tom-achebe-walsh",
        "Cardiff Runners in Business: pacing the year",
        5,
        "Cardiff",
        15,
        "Pacing yourself for the long run",
        "Our running group would love a walk-and-talk session on resilience after our Saturday 5k.",
        (Status.DECLINED,),
        days_ago=40,
    ),
    DemoRequest(
        8,
        "dr-callum-baird",
        "Edinburgh Leaders' Book Club: The Rested Founder",
        8,
        "Edinburgh",
        18,
        "Sleep for founders",
        "We're reading The Rested Founder next month and it would be wonderful to have the "
        "author join the discussion.",
        (Status.WITHDRAWN,),
        days_ago=15,
    ),
]


@transaction.atomic
def seed_requests(*, stdout) -> int:
    """The demo requests (`REQUESTS`) whose member and expert are there, each with the
    history of how it got to its state (staff moves by the demo staff login, if any).
    Idempotent by member, expert and event name; returns how many are new."""
    experts = dict(
        Expert.objects.filter(slug__in={r.expert for r in REQUESTS}).values_list("slug", "pk")
    )
    members = {
        int(email[6:12]): pk
        for pk, email in User.objects.filter(
            email__in=[f"member{r.member:06d}@example.com" for r in REQUESTS]
        ).values_list("pk", "email")
    }
    staff = User.objects.filter(email=settings.DEMO_ADMIN_EMAIL).values_list("pk", flat=True)
    staff_id = staff.first()
    existing = set(
        ExpertRequest.objects.filter(member__in=members.values()).values_list(
            "member", "expert", "event_name"
        )
    )
    now = timezone.now()
    made = 0
    for demo in REQUESTS:
        member, expert = members.get(demo.member), experts.get(demo.expert)
        if member is None or expert is None or (member, expert, demo.event_name) in existing:
            continue
        asked = now - datetime.timedelta(days=demo.days_ago)
        request = ExpertRequest.objects.create(
            member_id=member,
            expert_id=expert,
            event_name=demo.event_name,
            event_date=(now + datetime.timedelta(weeks=demo.weeks_ahead)).date(),
            town=demo.town,
            audience=demo.audience,
            topic=demo.topic,
            message=demo.message,
            status=demo.path[-1] if demo.path else Status.NEW,
        )
        changes = [
            ExpertRequestStatusChange(
                request=request, to_status=Status.NEW, changed_by_id=member, at=asked
            )
        ]
        previous: str = Status.NEW
        for step, status in enumerate(demo.path, 1):
            by = member if status == Status.WITHDRAWN else staff_id
            changes.append(
                ExpertRequestStatusChange(
                    request=request,
                    from_status=previous,
                    to_status=status,
                    changed_by_id=by,
                    at=asked + datetime.timedelta(days=2 * step),
                )
            )
            previous = status
        ExpertRequestStatusChange.objects.bulk_create(changes)
        # Asked some days ago (the timestamps are set on insert): the list shows when.
        ExpertRequest.objects.filter(pk=request.pk).update(
            created_at=asked, updated_at=changes[-1].at
        )
        made += 1
    if made:
        stdout.write(f"Experts: {made} requests from demo members.")
    return made
