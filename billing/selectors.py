"""Reads about membership that several apps need."""

from __future__ import annotations

from typing import TYPE_CHECKING

from billing.models import Membership, Standing

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    # The type only: at run time this app reaches the (swappable) user model through
    # `get_user_model()` and `settings.AUTH_USER_MODEL`, never by importing `members`.
    from members.models import User

__all__ = ["Standing", "member_is_active", "membership_of", "standing_of"]


def membership_of(user: User | AnonymousUser) -> Membership | None:
    """The user's membership row, if they ever started one (cached on the user object)."""
    if not user.is_authenticated:
        return None
    try:
        return user.membership
    except Membership.DoesNotExist:
        return None


def standing_of(user: User | AnonymousUser | None) -> Standing:
    """The one answer to "is this person a member?": MEMBER, LAPSED or NEVER_JOINED.

    A visitor who isn't signed in, and an account that never started Checkout (no membership
    row), have NEVER_JOINED. Everyone else has their membership's `standing`: MEMBER while it
    gives access (grace period included), LAPSED if it once did and no longer does, and
    NEVER_JOINED if its first payment never went through (see `Membership.standing` for how
    "paid before" is read from what Stripe tells us).

    Staff count like everyone else: by their own membership. Standing is about paying, and it
    is read where there is no request at all (emails, digests, the directory's listing,
    services), while staff privilege exists only in a request that used its second factor
    (`members.staff.staff_powers`). So staff powers are a separate question, asked by the
    staff tools themselves (the admin, organiser tools, moderation, previews of unpublished
    pages) through `acts_as_staff`; they never make someone a member, never open a member-only
    page, and a member's page never changes because its viewer is on the staff.
    """
    if user is None:
        return Standing.NEVER_JOINED
    membership = membership_of(user)
    if membership is None:
        return Standing.NEVER_JOINED
    return membership.standing


def member_is_active(user: User | AnonymousUser | None) -> bool:
    """May this person use member-only pages and actions right now? (`standing_of` is MEMBER.)"""
    return standing_of(user) == Standing.MEMBER
