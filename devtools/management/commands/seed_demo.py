"""Realistic, idempotent demo data: each app contributes its own part (its `demo.py`), and
this command, at the top of the house, runs them in order (members, their memberships,
groups, offers, experts, events, then what members have done: introductions, claimed codes,
expert requests, digest opt-ins).

The small demo (`make run`) has a cast, the same on every run, so each standing and role can
be tried by signing in as the right demo member (the README's "Demo accounts" table): most
are paying members, whose memberships carry Stripe ids the offline stand-in puts back when
it starts; a few have lapsed or never joined, and are left out of groups and events; each
group has organisers among the members; member000001 has an introduction waiting.

Small by default; `--members 100000` finishes in minutes because every table is filled with
`bulk_create` in batches and the one demo password is hashed once. Running it again adds only
what is missing.

`--scale large` is the benchmark's dataset (100,000 members, 2,000 groups, 20,000 events with
about 1,000,000 replies, 500 offers, 300 experts; see bench/). Giving `--rsvps` (which the
preset does) spreads groups and replies over all the demo members instead of the first few
thousand, and `--paying` gives that share of them an active membership.
"""

import random

from django.conf import settings
from django.core.management.base import BaseCommand

from billing import demo as billing_demo
from discounts import demo as discounts_demo
from events import demo as events_demo
from experts import demo as experts_demo
from groups import demo as groups_demo
from mail import demo as mail_demo
from members import demo as members_demo
from members.models import Interest, Profile

# The demo logins, for whoever reads this command first.
DEMO_PASSWORD = members_demo.DEMO_PASSWORD
ADMIN_PASSWORD = members_demo.ADMIN_PASSWORD

# What each `--scale` means; an option given on the command line overrides its preset.
SCALES = {
    "demo": {
        "members": 40,
        "groups": 12,
        "events": 24,
        "rsvps": None,
        "discounts": 8,
        "experts": 8,
        "paying": 1.0,  # everyone but the cast's lapsed and never-joined members
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
            help="Share of the demo members (0 to 1) given an active membership (default: "
            "all but the demo's lapsed and never-joined members; 0.9 with --scale large).",
        )
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (repeatable).")
        parser.add_argument(
            "--no-images",
            action="store_true",
            help="Skip drawing the demo's covers and logos (a few seconds; the tests skip them).",
        )

    def handle(self, *args, **options):
        for name, value in SCALES[options["scale"]].items():
            if options.get(name) is None:
                options[name] = value
        rng = random.Random(options["seed"])
        if settings.DEBUG:
            members_demo.ensure_demo_admin(stdout=self.stdout)
        created = members_demo.seed(options["members"], rng)
        # Spread mode (`--rsvps`, the benchmark's): a share pays, and groups and replies draw
        # on every demo member. Otherwise the demo's cast (billing.demo.CAST) stands.
        spread = options["rsvps"] is not None
        if spread:
            paying = billing_demo.seed(options["paying"])
            groups_demo.seed(
                count=options["groups"],
                rng=rng,
                stdout=self.stdout,
                pool_size=None,
                sizes=groups_demo.sizes_for(options["members"], options["groups"]),
            )
        else:
            paying = billing_demo.seed_cast(share=options["paying"])
            outsiders = billing_demo.without_access()
            groups_demo.seed(
                count=options["groups"],
                rng=rng,
                stdout=self.stdout,
                cast=True,
                exclude=outsiders,
            )
        discounts_demo.seed(count=options["discounts"], rng=rng, stdout=self.stdout)
        experts_demo.seed(count=options["experts"], rng=rng, stdout=self.stdout)
        if spread:
            events_demo.seed(
                count=options["events"],
                rng=rng,
                stdout=self.stdout,
                pool_size=None,
                rsvps=options["rsvps"],
            )
        else:
            events_demo.seed(
                count=options["events"],
                rng=rng,
                stdout=self.stdout,
                cast=True,
                exclude=outsiders,
            )
            members_demo.seed_intros()
            discounts_demo.seed_redemptions(stdout=self.stdout)
            experts_demo.seed_requests(stdout=self.stdout)
            mail_demo.seed_digest_optins(members=options["members"])
            # Covers and logos, drawn once (idempotent): the demo's pages show faces of places.
            if not options["no_images"]:
                events_demo.seed_images(stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {created} new members "
                f"({Profile.objects.count()} profiles, {Interest.objects.count()} interests"
                + (f", {paying} new memberships" if paying else "")
                + ")."
            )
        )
