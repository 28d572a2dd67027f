"""Demo members for `seed_demo`: the staff login (DEBUG only) and member000001@example.com …
with profiles and interests, in bulk. Idempotent: members already there are left alone."""

import random
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction

from members.models import OPEN_TO_FIELDS, Interest, Profile, User
from members.services import profile_create

DEMO_PASSWORD = "demo-password-123"  # noqa: S105 - the published demo login, DEBUG only
ADMIN_PASSWORD = "admin-password-123"  # noqa: S105 - the contract's demo staff login
BATCH = 2000

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


@transaction.atomic
def ensure_demo_admin(*, stdout) -> None:
    admin, created = User.objects.get_or_create(
        email=settings.DEMO_ADMIN_EMAIL, defaults={"is_staff": True, "is_superuser": True}
    )
    if created:
        admin.set_password(ADMIN_PASSWORD)
        admin.save(update_fields=["password"])
        profile_create(user=admin, display_name="Mutual staff")
        stdout.write(f"Staff login: {settings.DEMO_ADMIN_EMAIL} / {ADMIN_PASSWORD}")
    EmailAddress.objects.get_or_create(
        user=admin, email=admin.email, defaults={"verified": True, "primary": True}
    )


def seed(count: int, rng: random.Random) -> int:
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
                [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users]
            )
            profiles = Profile.objects.bulk_create([build_profile(user, rng) for user in users])
            if not profiles or profiles[0].pk is None:
                profiles = list(Profile.objects.filter(user__in=users))
            links: list[Any] = []  # rows of the auto-created through model (no name to import)
            for profile in profiles:
                picks = rng.sample(interest_ids, k=min(len(interest_ids), rng.randint(3, 7)))
                links.extend(through(profile_id=profile.pk, interest_id=i) for i in picks)
            through.objects.bulk_create(links)
    return len(missing)


def build_profile(user: User, rng: random.Random) -> Profile:
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
