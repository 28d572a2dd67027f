from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseBase
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from billing.selectors import Standing, standing_of


def join_redirect(request, standing: Standing | None = None):
    """Send a signed-in non-member to /join/, saying why in words that fit their standing:
    "rejoin" for someone whose membership ended, "join" for someone who never joined."""
    if standing is None:
        standing = standing_of(request.user)
    if standing == Standing.LAPSED:
        text = _("That's for paying members. Your membership has ended: rejoin to take part again.")
    else:
        text = _("That's for paying members. Join Mutual to take part: it's one small monthly fee.")
    messages.info(request, text)
    return redirect("billing:join")


def member_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """The one gate for member-only pages and actions: `standing_of(user)` is MEMBER.

    Anonymous visitors are sent to sign in; signed-in people who are not members (staff
    included: see `billing.selectors.standing_of`) are sent to /join/ with a message saying
    why (`join_redirect`).
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        standing = standing_of(request.user)
        if standing != Standing.MEMBER:
            return join_redirect(request, standing)
        return view(request, *args, **kwargs)

    return wrapper
