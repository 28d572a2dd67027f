"""Writes for members: profiles and interests."""

import re
import secrets

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from members.models import Interest, Profile, User, handle_validator


class InterestCountError(ValueError):
    """The member picked too few or too many interests."""


def handle_suggest(*, seed: str) -> str:
    """A free handle derived from `seed` (a name or the local part of an email)."""
    base = slugify(re.sub(r"[._+]+", "-", seed)).strip("-")[:24].strip("-") or "member"
    if len(base) < 3:
        base = f"{base}-member"
    candidate = base
    for _attempt in range(20):
        if not Profile.objects.filter(handle=candidate).exists():
            return candidate
        candidate = f"{base}-{secrets.randbelow(9000) + 1000}"
    return f"{base}-{secrets.token_hex(3)}"


def profile_create(*, user: User, display_name: str = "") -> Profile:
    """Give a new account its profile, with a free handle and a name taken from the email."""
    local_part = user.email.split("@", 1)[0]
    name = display_name or local_part.replace(".", " ").replace("_", " ").title()[:80]
    for _attempt in range(5):
        handle = handle_suggest(seed=local_part)
        handle_validator(handle)
        try:
            with transaction.atomic():
                return Profile.objects.create(user=user, display_name=name, handle=handle)
        except IntegrityError:
            # Someone took the same handle between our check and our insert; try another.
            continue
    raise IntegrityError("Could not find a free handle for the new profile.")


@transaction.atomic
def profile_set_interests(*, profile: Profile, interests: list[Interest]) -> Profile:
    """Replace the member's interests; the count must be within the allowed range."""
    count = len(set(interests))
    if not Profile.MIN_INTERESTS <= count <= Profile.MAX_INTERESTS:
        raise InterestCountError(
            f"Pick between {Profile.MIN_INTERESTS} and {Profile.MAX_INTERESTS} interests "
            f"(you picked {count})."
        )
    profile.interests.set(interests)
    return profile
