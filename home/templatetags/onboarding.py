"""The newcomer's path on the pages it runs through (profile, interests, groups, join, and
the "what's next" page after paying), which live in the apps below this one: their
templates load these tags, so none of those apps imports this one."""

from typing import Any

from django import template
from django.template.context import Context

from home.models import GroupPick
from home.selectors import progress_of
from members.models import User

register = template.Library()


def _user(context: Context) -> User | None:
    request = context.get("request")
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


@register.inclusion_tag("includes/_onboarding_steps.html", takes_context=True)
def onboarding_steps(context: Context, current: str) -> dict[str, Any]:
    """The step indicator, with `current` ("profile", "interests", "groups", "join" or
    "welcome") marked. Shown while someone is on their way to membership, and on the
    "what's next" page (`current="welcome"`) once they have arrived; nothing for members
    elsewhere."""
    user = _user(context)
    if user is None:
        return {"steps": []}
    progress = progress_of(user)
    if progress.is_member and current != "welcome":
        return {"steps": []}
    return {"steps": progress.steps, "current": current}


@register.inclusion_tag("home/includes/_whats_next.html", takes_context=True)
def whats_next(context: Context) -> dict[str, Any]:
    """After paying: what is done already, and the few things worth doing next."""
    user = _user(context)
    if user is None:
        return {}
    progress = progress_of(user)
    picks = list(GroupPick.objects.of(user).select_related("group")) if progress.pick_count else []
    return {
        "progress": progress,
        "picks": picks,
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }
