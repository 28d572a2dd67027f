"""Writes for members, split by sub-domain: profiles and interests, billing."""

from members.services.profiles import (
    InterestCountError,
    handle_suggest,
    profile_create,
    profile_set_interests,
)

__all__ = [
    "InterestCountError",
    "billing",
    "handle_suggest",
    "profile_create",
    "profile_set_interests",
]
