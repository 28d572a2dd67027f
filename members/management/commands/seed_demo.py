"""Realistic, idempotent demo data.

Small by default; `--members 100000` finishes in minutes because every table is filled with
`bulk_create` in batches and the one demo password is hashed once. Running it again adds only
what is missing.

`--scale large` is the benchmark's dataset (100,000 members, 2,000 groups, 20,000 events with
about 1,000,000 replies, 500 offers, 300 experts; see bench/). Giving `--rsvps` (which the
preset does) spreads groups and replies over all the demo members instead of the first few
thousand, and `--paying` gives that share of them an active membership.
"""

import random
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from members.models import OPEN_TO_FIELDS, Interest, Membership, Profile, User
from members.services import profile_create

DEMO_PASSWORD = "demo-password-123"  # noqa: S105 - the published demo login, DEBUG only
ADMIN_PASSWORD = "admin-password-123"  # noqa: S105 - the contract's demo staff login
BATCH = 2000

# What each `--scale` means; an option given on the command line overrides its preset.
SCALES = {
    "demo": {
        "members": 40,
        "groups": 12,
        "events": 24,
        "rsvps": None,
        "discounts": 8,
        "experts": 8,
        "paying": 0.0,
    },
    "large": {
        "members": 100_000,
        "groups": 2_000,
        "events": 20_000,
        "rsvps": 1_000_000,
        "discounts": 500,
        "experts": 300,
        "paying": 0.9,
    },
}

FIRST_NAMES = [
    "Amara", "Ben", "Chloe", "Dev", "Ella", "Farid", "Grace", "Hamish", "Isla", "Jonah",
    "Kiran", "Lucy", "Marcus", "Nadia", "Owen", "Priya", "Quentin", "Rosa", "Sami", "Tara",
    "Umar", "Violet", "Wes", "Xena", "Yusuf", "Zoe", "Aled", "Bronwen", "Ciaran", "Deepa",
]  # fmt: skip
LAST_NAMES = [
    "Adeyemi", "Brown", "Campbell", "Davies", "Evans", "Fletcher", "Green", "Hughes", "Iqbal",
    "Jones", "Khan", "Lewis", "Morgan", "Nowak", "O'Brien", "Patel", "Quinn", "Roberts",
    "Singh", "Taylor", "Usman", "Vaughan", "Walsh", "Young",
]  # fmt: skip
CITIES = [
    "London", "Manchester", "Bristol", "Leeds", "Birmingham", "Cardiff", "Glasgow",
    "Edinburgh", "Norwich", "Brighton", "York", "Nottingham",
]  # fmt: skip
HEADLINES = [
    "Bookkeeper for small charities",
    "Runs a family bakery",
    "Freelance brand designer",
    "Yoga teacher and studio owner",
    "Accountant helping start-ups",
    "Independent bookshop owner",
    "Web developer for local firms",
    "Career coach",
    "Copywriter for food and drink brands",
    "Physiotherapist with a private practice",
    "Employment lawyer",
    "Co-founder of a cycling café",
    "Photographer for weddings and events",
    "Marketing consultant",
    "Nutritionist",
]
BIOS = [
    "I like meeting people who are building something of their own. Happy to swap notes "
    "over coffee.",
    "Ten years in a big firm, two on my own. Still learning every week.",
    "Here to meet people, not to sell: ask me about anything but spreadsheets.",
    "Keen walker and reluctant public speaker, working on both.",
    "",
]


class Command(BaseCommand):
    help = "Create realistic demo data. Idempotent: running it again adds only what is missing."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            choices=sorted(SCALES),
            default="demo",
            help="A preset: 'demo' (the default, small) or 'large' (the benchmark's dataset).",
        )
        parser.add_argument("--members", type=int)
        parser.add_argument("--groups", type=int)
        parser.add_argument("--events", type=int)
        parser.add_argument(
            "--rsvps",
            type=int,
            help="About this many replies in all, spread over all the demo members "
            "(without it, a dozen or so an event from the first 2,000 members).",
        )
        parser.add_argument("--discounts", type=int)
        parser.add_argument("--experts", type=int)
        parser.add_argument(
            "--paying",
            type=float,
            help="Share of the demo members (0 to 1) given an active membership (default 0).",
        )
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (repeatable).")

    def handle(self, *args, **options):
        for name, value in SCALES[options["scale"]].items():
            if options.get(name) is None:
                options[name] = value
        rng = random.Random(options["seed"])
        if settings.DEBUG:
            self.ensure_demo_admin()
        created = self.seed_members(options["members"], rng)
        paying = self.seed_memberships(options["paying"])
        # Spread mode (`--rsvps`): groups and replies draw on every demo member.
        spread = options["rsvps"] is not None
        from groups import demo as groups_demo

        if spread:
            groups_demo.seed(
                count=options["groups"],
                rng=rng,
                stdout=self.stdout,
                pool_size=None,
                sizes=groups_demo.sizes_for(options["members"], options["groups"]),
            )
        else:
            groups_demo.seed(count=options["groups"], rng=rng, stdout=self.stdout)
        from discounts import demo as discounts_demo

        discounts_demo.seed(count=options["discounts"], rng=rng, stdout=self.stdout)
        from experts import demo as experts_demo

        experts_demo.seed(count=options["experts"], rng=rng, stdout=self.stdout)
        from events import demo as events_demo

        if spread:
            events_demo.seed(
                count=options["events"],
                rng=rng,
                stdout=self.stdout,
                pool_size=None,
                rsvps=options["rsvps"],
            )
        else:
            events_demo.seed(count=options["events"], rng=rng, stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {created} new members "
                f"({Profile.objects.count()} profiles, {Interest.objects.count()} interests"
                + (f", {paying} new paying members" if paying else "")
                + ")."
            )
        )

    @transaction.atomic
    def ensure_demo_admin(self) -> None:
        admin, created = User.objects.get_or_create(
            email=settings.DEMO_ADMIN_EMAIL, defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            admin.set_password(ADMIN_PASSWORD)
            admin.save(update_fields=["password"])
            profile_create(user=admin, display_name="Mutual staff")
            self.stdout.write(f"Staff login: {settings.DEMO_ADMIN_EMAIL} / {ADMIN_PASSWORD}")
        EmailAddress.objects.get_or_create(
            user=admin, email=admin.email, defaults={"verified": True, "primary": True}
        )

    def seed_members(self, count: int, rng: random.Random) -> int:
        emails = [f"member{i:06d}@example.com" for i in range(1, count + 1)]
        existing: set[str] = set()
        for start in range(0, len(emails), 10_000):
            chunk = emails[start : start + 10_000]
            existing.update(User.objects.filter(email__in=chunk).values_list("email", flat=True))
        missing = [e for e in emails if e not in existing]
        if not missing:
            return 0
        password = make_password(DEMO_PASSWORD)
        interest_ids = list(Interest.objects.values_list("pk", flat=True))
        through = Profile.interests.through
        for start in range(0, len(missing), BATCH):
            batch = missing[start : start + BATCH]
            with transaction.atomic():
                users = User.objects.bulk_create(
                    [User(email=email, password=password) for email in batch]
                )
                if not users or users[0].pk is None:  # backends that return no ids
                    users = list(User.objects.filter(email__in=batch))
                EmailAddress.objects.bulk_create(
                    [
                        EmailAddress(user=u, email=u.email, verified=True, primary=True)
                        for u in users
                    ]
                )
                profiles = Profile.objects.bulk_create(
                    [self.build_profile(user, rng) for user in users]
                )
                if not profiles or profiles[0].pk is None:
                    profiles = list(Profile.objects.filter(user__in=users))
                links = []
                for profile in profiles:
                    picks = rng.sample(interest_ids, k=min(len(interest_ids), rng.randint(3, 7)))
                    links.extend(through(profile_id=profile.pk, interest_id=i) for i in picks)
                through.objects.bulk_create(links)
        return len(missing)

    def seed_memberships(self, share: float) -> int:
        """Active memberships (no Stripe ids) for about `share` of the demo members.

        Who pays is decided by the member's number, not the random generator, so running it
        again adds nothing, and members who already have a membership row are left alone.
        """
        if share <= 0:
            return 0
        threshold = round(min(share, 1.0) * 1000)
        now = timezone.now()
        unpaid = User.objects.filter(
            email__startswith="member", email__endswith="@example.com", membership__isnull=True
        ).values_list("pk", "email")
        rows = [
            Membership(
                user_id=pk,
                status=Membership.Status.ACTIVE,
                current_period_end=now + timedelta(days=30),
            )
            for pk, email in unpaid.iterator(chunk_size=BATCH)
            if email[6:12].isdigit() and (int(email[6:12]) * 7919) % 1000 < threshold
        ]
        Membership.objects.bulk_create(rows, batch_size=BATCH)
        return len(rows)

    def build_profile(self, user: User, rng: random.Random) -> Profile:
        number = int(user.email[len("member") : len("member") + 6])
        first = FIRST_NAMES[number % len(FIRST_NAMES)]
        last = LAST_NAMES[(number // len(FIRST_NAMES)) % len(LAST_NAMES)]
        profile = Profile(
            user=user,
            display_name=f"{first} {last}",
            handle=f"{first.lower()}-{number}",
            headline=rng.choice(HEADLINES),
            bio=rng.choice(BIOS),
            city=rng.choice(CITIES),
            in_directory=rng.random() > 0.1,
        )
        for field in OPEN_TO_FIELDS:
            setattr(profile, field, rng.random() > 0.5)
        return profile
