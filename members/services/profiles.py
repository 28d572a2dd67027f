"""Writes for members: profiles and interests."""

import re
import secrets

from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext

from members.models import Interest, Profile, User, handle_validator


class InterestCountError(ValueError):
    """The member picked too few or too many interests."""


def handle_suggest(*, seed: str = "") -> str:
    """A free handle made from `seed` (the member's chosen name), or a random one.

    Never pass anything taken from the email address: the handle is public.
    """
    base = slugify(re.sub(r"[._+]+", "-", seed)).strip("-")[:24].strip("-")
    if not base:
        return f"member-{secrets.token_hex(3)}"
    if len(base) < 3:
        base = f"{base}-member"
    candidate = base
    for _attempt in range(20):
        if not Profile.objects.filter(handle=candidate).exists():
            return candidate
        candidate = f"{base}-{secrets.randbelow(9000) + 1000}"
    return f"{base}-{secrets.token_hex(3)}"


def profile_create(*, user: User, display_name: str = "") -> Profile:
    """Give an account its profile: the name the member chose and a handle made from it.

    Nothing public comes from the email address. Accounts made outside sign-up
    (createsuperuser, the shell) have chosen no name yet: they get a neutral one and a random
    handle, both changeable in profile settings. The profile starts out of the directory.
    """
    name = " ".join(display_name.split())[:80]
    for _attempt in range(5):
        handle = handle_suggest(seed=name)
        handle_validator(handle)
        try:
            with transaction.atomic():
                return Profile.objects.create(
                    user=user, display_name=name or gettext("New member"), handle=handle
                )
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
