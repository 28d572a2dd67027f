"""Reads about members that several apps need."""

from members.models import Membership, User


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
