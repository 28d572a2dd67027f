"""Demo experts for `seed_demo`: made-up people with credible, made-up credentials.

The first eight are written by hand; any beyond that are put together from parts. Idempotent:
an expert whose slug exists is left alone. Everything is inserted in bulk.
"""

import importlib
import random
from dataclasses import dataclass, field

from django.apps import apps as django_apps
from django.db import transaction
from django.utils.text import slugify

from experts.models import Credential, Expert, Region
from members.models import Interest

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
