"""Demo members for `seed_demo`: the staff login (DEBUG only) and member000001@example.com …
with profiles and interests, in bulk, and a few introductions between them (`seed_intros`).
Idempotent: members and introductions already there are left alone."""

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from members.models import OPEN_TO_FIELDS, Interest, IntroRequest, Profile, User
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
    "Started on my own after twelve years in-house. I love a problem that needs a "
    "spreadsheet and a chat.",
    "Parent of two, owner of one small business and far too many houseplants.",
    "Here for the people who are a few years ahead of me and the ones a few years behind.",
    "Happiest with a notebook and a good coffee. Ask me about finding your first clients.",
    "",
]
# Demo members who left "show me in the directory" off, as some real members do.
UNLISTED = frozenset({17, 24, 31, 33})


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
    first, last = demo_name(number)
    profile = Profile(
        user=user,
        display_name=f"{first} {last}",
        handle=f"{first.lower()}-{number}",
        headline=rng.choice(HEADLINES),
        bio=rng.choice(BIOS),
        city=rng.choice(CITIES),
        contact_details=_contact(number),
        # Most members choose to be listed; the directory's default is off (privacy).
        in_directory=number not in UNLISTED and (number <= 40 or rng.random() > 0.1),
    )
    for field in OPEN_TO_FIELDS:
        setattr(profile, field, rng.random() > 0.5)
    return profile


def demo_name(number: int) -> tuple[str, str]:
    """The demo member's first and last name: no two alike among the first 720, and
    neighbours don't share a surname (the last name steps 7 on for each number)."""
    first = FIRST_NAMES[number % len(FIRST_NAMES)]
    last = LAST_NAMES[(7 * number + number // len(FIRST_NAMES)) % len(LAST_NAMES)]
    return first, last


@dataclass(frozen=True)
class DemoIntro:
    sender: int  # demo member numbers
    recipient: int
    status: str
    days_ago: int
    note: str


HOME_MEMBER = 1  # the README's first demo account: an introduction waits for them
INTROS = [
    DemoIntro(
        7,
        HOME_MEMBER,
        IntroRequest.Status.PENDING,
        1,
        "Hello {recipient}, I'm {sender}. We're both in groups up north and I'd love to hear "
        "how you found your first few clients. Coffee some time?",
    ),
    DemoIntro(
        22,
        HOME_MEMBER,
        IntroRequest.Status.ACCEPTED,
        12,
        "Hi {recipient}, {sender} here. I'm putting on a small workshop in the spring and "
        "would value ten minutes of your advice on pricing it.",
    ),
    DemoIntro(
        HOME_MEMBER,
        12,
        IntroRequest.Status.PENDING,
        3,
        "Hi {recipient}, I'm {sender}. I saw you help small firms with their tech, and I'm "
        "about to choose a booking system. Could I buy you a coffee and pick your brains?",
    ),
    DemoIntro(
        HOME_MEMBER,
        26,
        IntroRequest.Status.DECLINED,
        30,
        "Hello {recipient}, {sender} here. Would you be open to a chat about sharing a stand "
        "at the autumn trade fair?",
    ),
    DemoIntro(
        15,
        2,
        IntroRequest.Status.PENDING,
        2,
        "Hi {recipient}, I'm {sender}. I'd like to start a breakfast group like yours in my "
        "town. Could you spare half an hour to tell me what you've learnt?",
    ),
    DemoIntro(
        4,
        9,
        IntroRequest.Status.ACCEPTED,
        20,
        "Hello {recipient}, {sender} here. I'm trying to make my studio greener and your "
        "network keeps coming up. Could we talk?",
    ),
]


def _contact(number: int) -> str:
    first, last = demo_name(number)
    handle = f"{first}.{last}".lower().replace("'", "")
    return f"{handle}@example.com or 07700 900{number % 1000:03d}"


@transaction.atomic
def seed_intros() -> int:
    """The demo introductions (`INTROS`) between members who are there; returns how many
    are new. A pair that already has an introduction is left alone."""
    numbers = {n for intro in INTROS for n in (intro.sender, intro.recipient)}
    people = {
        int(email[6:12]): (pk, name)
        for pk, email, name in User.objects.filter(
            email__in=[f"member{n:06d}@example.com" for n in numbers]
        ).values_list("pk", "email", "profile__display_name")
    }
    existing = set(
        IntroRequest.objects.filter(sender__in=[pk for pk, _name in people.values()]).values_list(
            "sender", "recipient"
        )
    )
    now = timezone.now()
    rows = []
    for intro in INTROS:
        if intro.sender not in people or intro.recipient not in people:
            continue
        (sender, sender_name), (recipient, recipient_name) = (
            people[intro.sender],
            people[intro.recipient],
        )
        if (sender, recipient) in existing:
            continue
        asked = now - timedelta(days=intro.days_ago, hours=3)
        answered = intro.status != IntroRequest.Status.PENDING
        rows.append(
            IntroRequest(
                sender_id=sender,
                recipient_id=recipient,
                note=intro.note.format(
                    sender=(sender_name or "").split(" ")[0],
                    recipient=(recipient_name or "").split(" ")[0],
                ),
                sender_contact=_contact(intro.sender),
                recipient_contact=_contact(intro.recipient)
                if intro.status == IntroRequest.Status.ACCEPTED
                else "",
                status=intro.status,
                created_at=asked,
                responded_at=asked + timedelta(hours=20) if answered else None,
            )
        )
    IntroRequest.objects.bulk_create(rows)
    return len(rows)
