"""Demo partners and offers for `seed_demo`: this month's and next month's, idempotent; and
codes the demo members have already claimed (`seed_redemptions`)."""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction

from discounts.models import Code, Offer, Partner, end_of_next_month, site_today
from discounts.services import RedemptionError, offer_redeem, partner_code_use
from members.models import Interest, User

POOL_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

PARTNERS = [
    ("The Hive Coworking", "the-hive-coworking", "https://thehive.example.co.uk/"),
    ("Ledgerly", "ledgerly", "https://ledgerly.example.co.uk/"),
    ("Northern Bean Roasters", "northern-bean-roasters", "https://northernbean.example.co.uk/"),
    ("Ironworks Gym", "ironworks-gym", "https://ironworksgym.example.co.uk/"),
    ("Inkwell Print Co.", "inkwell-print", "https://inkwellprint.example.co.uk/"),
    ("Pedal & Spoke", "pedal-and-spoke", "https://pedalandspoke.example.co.uk/"),
]


@dataclass(frozen=True)
class Template:
    partner: str
    slug: str
    title: str
    description: str
    terms: str
    interests: tuple[str, ...]
    method: str = Offer.Method.GENERATED
    shared_code: str = ""
    per_member_limit: int = 1
    total_cap: int | None = None
    featured: bool = False
    pool_prefix: str = ""


TEMPLATES = [
    Template(
        partner="the-hive-coworking",
        slug="hive-day-pass",
        title="A free day pass at the Hive",
        description=(
            "Spend a day working from the Hive's bright, quiet floor in town: a hot desk, "
            "fast Wi-Fi, bottomless tea and coffee, and a meeting room for an hour if you "
            "book ahead. A good way to meet other people who run their own thing."
        ),
        terms=(
            "One free day pass per member. Book at least a day ahead on the Hive's website "
            "and give your code at reception. Weekdays 8am to 6pm."
        ),
        interests=("freelancing", "start-ups", "work-life-balance"),
        method=Offer.Method.POOL,
        featured=True,
        pool_prefix="HIVE",
    ),
    Template(
        partner="ledgerly",
        slug="ledgerly-three-months",
        title="Three months of Ledgerly at half price",
        description=(
            "Ledgerly is simple accountancy software for sole traders and small limited "
            "companies: invoices, bank feeds, receipts from your phone and Making Tax "
            "Digital VAT returns in a few clicks."
        ),
        terms=(
            "50% off the first three months of any monthly plan for new Ledgerly customers. "
            "Enter the code at checkout. Cancel any time."
        ),
        interests=("finance-and-bookkeeping", "start-ups", "technology-for-small-business"),
        total_cap=200,
    ),
    Template(
        partner="northern-bean-roasters",
        slug="northern-bean-coffee",
        title="20% off freshly roasted coffee",
        description=(
            "Small-batch speciality coffee roasted in Leeds every Tuesday, posted the same "
            "day in plastic-free packaging. Beans or ground for any brewer."
        ),
        terms="20% off your order at northernbean.example.co.uk. Not valid on subscriptions.",
        interests=("family-business", "sustainability-in-business"),
        method=Offer.Method.SHARED,
        shared_code="MUTUAL20",
    ),
    Template(
        partner="ironworks-gym",
        slug="ironworks-first-month",
        title="Your first month at Ironworks for £10",
        description=(
            "A friendly, independent gym with free weights, a rowing corner and small "
            "classes before and after work. Staff will set you up with a plan on day one."
        ),
        terms=(
            "First calendar month of membership for £10, then the usual rate. New members "
            "only; show your code at the front desk when you join."
        ),
        interests=("fitness", "running", "mental-health"),
        total_cap=40,
        featured=True,
    ),
    Template(
        partner="inkwell-print",
        slug="inkwell-business-cards",
        title="500 business cards for half price",
        description=(
            "Thick, uncoated business cards printed in Bristol on recycled board, with a "
            "free proof check by a real person before anything goes to press."
        ),
        terms="Half price on 500 standard business cards. One order per code. UK delivery only.",
        interests=("marketing", "branding-and-design"),
        method=Offer.Method.POOL,
        pool_prefix="INK",
    ),
    Template(
        partner="pedal-and-spoke",
        slug="pedal-and-spoke-service",
        title="A full bike service for £45",
        description=(
            "Pedal & Spoke's mechanics strip, clean and adjust gears, brakes and bearings, "
            "and tell you honestly what needs replacing and what can wait."
        ),
        terms="A full service for £45 (usually £70). Parts extra. Book by phone or in the shop.",
        interests=("cycling", "walking-and-hiking"),
        per_member_limit=2,
    ),
    Template(
        partner="the-hive-coworking",
        slug="hive-meeting-room",
        title="Two hours in a meeting room, on us",
        description=(
            "Need somewhere quiet to meet a client or run a workshop? The Hive's meeting "
            "rooms seat eight, with a screen and a whiteboard."
        ),
        terms="Two free hours once per member. Subject to availability; book online.",
        interests=("freelancing", "public-speaking"),
        total_cap=25,
    ),
    Template(
        partner="ledgerly",
        slug="ledgerly-year-end-check",
        title="A free year-end health check",
        description=(
            "Twenty minutes with one of Ledgerly's qualified bookkeepers to look over your "
            "books before your year end, whichever software you use."
        ),
        terms="One free call per member, booked through Ledgerly's website with your code.",
        interests=("finance-and-bookkeeping", "law-and-contracts"),
        method=Offer.Method.POOL,
        pool_prefix="LEDG",
    ),
    Template(
        partner="northern-bean-roasters",
        slug="northern-bean-office",
        title="A free bag with your first office order",
        description=(
            "Keep a small team going with a monthly office delivery of two or more kilos. "
            "Your first order comes with an extra 250 g bag of the roaster's choice."
        ),
        terms="First office order only. The code can be used once.",
        interests=("family-business", "hiring-and-people"),
    ),
    Template(
        partner="ironworks-gym",
        slug="ironworks-yoga-class",
        title="A free drop-in yoga class",
        description=(
            "Gentle, unhurried yoga on Wednesday evenings and Saturday mornings, good for "
            "backs that spend all week at a desk. Mats provided."
        ),
        terms="One free class per member. Turn up ten minutes early and show your code.",
        interests=("yoga", "mindfulness", "sleep"),
        method=Offer.Method.SHARED,
        shared_code="MUTUALYOGA",
    ),
]


def _month_bounds(first: date) -> tuple[date, date]:
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def seed(*, count: int, rng: random.Random, stdout) -> int:
    """Create `count` demo offers (about two thirds this month, the rest next month).

    Offers are keyed by slug and month, so running it again adds nothing, and running it
    in a new month adds that month's offers. Returns how many offers were created.
    """
    if count <= 0:
        return 0
    today = site_today()
    this_month = _month_bounds(today.replace(day=1))
    next_month = _month_bounds(end_of_next_month(today).replace(day=1))
    interests = {i.slug: i for i in Interest.objects.all()}

    with transaction.atomic():
        partners = _ensure_partners()
        planned: list[tuple[Template, str, tuple[date, date]]] = []
        for index in range(count):
            template = TEMPLATES[index % len(TEMPLATES)]
            round_ = index // len(TEMPLATES)
            month = next_month if index % 3 == 2 else this_month
            slug = f"{template.slug}-{month[0]:%Y-%m}" + (f"-{round_ + 1}" if round_ else "")
            planned.append((template, slug, month))
        existing = set(
            Offer.objects.filter(slug__in=[slug for _t, slug, _m in planned]).values_list(
                "slug", flat=True
            )
        )
        new = [(t, slug, month) for t, slug, month in planned if slug not in existing]
        if not new:
            return 0
        Offer.objects.bulk_create(
            [
                Offer(
                    partner=partners[t.partner],
                    title=t.title,
                    slug=slug,
                    description=t.description,
                    terms=t.terms,
                    valid_from=month[0],
                    valid_until=month[1],
                    featured=t.featured,
                    method=t.method,
                    shared_code=t.shared_code,
                    per_member_limit=t.per_member_limit,
                    total_cap=t.total_cap,
                )
                for t, slug, month in new
            ]
        )
        offers = {o.slug: o for o in Offer.objects.filter(slug__in=[s for _t, s, _m in new])}
        through = Offer.interests.through
        links: list[Any] = []  # rows of the auto-created through model (no name to import)
        codes: list[Code] = []
        for template, slug, _month in new:
            offer = offers[slug]
            links.extend(
                through(offer_id=offer.pk, interest_id=interests[name].pk)
                for name in template.interests
                if name in interests
            )
            if template.method == Offer.Method.POOL:
                codes.extend(
                    Code(offer=offer, code=code)
                    for code in _pool(template.pool_prefix, rng.randint(25, 60), rng)
                )
        through.objects.bulk_create(links)
        Code.objects.bulk_create(codes, batch_size=2000)
    stdout.write(f"Discounts: {len(new)} new offers from {len(partners)} partners.")
    return len(new)


def _ensure_partners() -> dict[str, Partner]:
    existing = {p.slug: p for p in Partner.objects.filter(slug__in=[s for _n, s, _w in PARTNERS])}
    missing = [
        Partner(name=name, slug=slug, website=website)
        for name, slug, website in PARTNERS
        if slug not in existing
    ]
    if missing:
        Partner.objects.bulk_create(missing)
        existing = {
            p.slug: p for p in Partner.objects.filter(slug__in=[s for _n, s, _w in PARTNERS])
        }
    return existing


def _pool(prefix: str, size: int, rng: random.Random) -> list[str]:
    codes: set[str] = set()
    while len(codes) < size:
        codes.add(f"{prefix}-" + "".join(rng.choice(POOL_ALPHABET) for _ in range(6)))
    return sorted(codes)


HOME_MEMBER = 1  # the README's first demo account: two codes, one used at the till
CLAIMING = range(2, 21)  # demo members who have claimed one code each


def seed_redemptions(*, stdout) -> int:
    """Codes claimed by demo members through the members' own service (`offer_redeem`, so
    every counter and pool agrees), from this month's offers; member000001's first code is
    already used at the partner's till. Idempotent: a member's existing code is given back,
    not another. Members who aren't paying members get nothing. Returns how many are new."""
    offers = list(Offer.objects.current().select_related("partner").order_by("slug"))
    if not offers:
        return 0
    numbers = [HOME_MEMBER, *CLAIMING]
    users = {
        int(user.email[6:12]): user
        for user in User.objects.filter(email__in=[f"member{n:06d}@example.com" for n in numbers])
    }
    claims = [(HOME_MEMBER, offers[0]), (HOME_MEMBER, offers[1 % len(offers)])]
    claims += [(n, offers[n % len(offers)]) for n in CLAIMING]
    made = 0
    for index, (number, offer) in enumerate(claims):
        if number not in users:
            continue
        try:
            redemption, created = offer_redeem(offer=offer, member=users[number])
        except RedemptionError:
            continue  # lapsed, never joined, or the offer's codes are all claimed
        made += created
        if index == 0 and created and redemption.code_id:
            partner_code_use(partner=offer.partner, code=redemption.code_text)
    if made:
        stdout.write(f"Discounts: {made} codes claimed by demo members.")
    return made
