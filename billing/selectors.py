"""Reads about membership that several apps need."""

from __future__ import annotations

from typing import TYPE_CHECKING

from billing.models import Membership

if TYPE_CHECKING:
    # The type only: at run time this app reaches the (swappable) user model through
    # `get_user_model()` and `settings.AUTH_USER_MODEL`, never by importing `members`.
    from members.models import User


def membership_of(user: User) -> Membership | None:
    """The user's membership row, if they ever started one (cached on the user object)."""
    if not user.is_authenticated:
        return None
    try:
        return user.membership
    except Membership.DoesNotExist:
        return None


def member_is_active(user: User) -> bool:
    """The one answer to "is this person a paying member right now?" (see the contract)."""
    membership = membership_of(user)
    return membership is not None and membership.is_active()
