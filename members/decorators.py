from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from billing.selectors import member_is_active


def member_required(view):
    """The one gate for member-only pages and actions.

    Anonymous visitors are sent to sign in; signed-in people without an active membership are
    sent to /join/ with a message saying why.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not member_is_active(request.user):
            messages.info(
                request,
                _(
                    "That's for paying members. Join Mutual to take part: "
                    "it's one small monthly fee."
                ),
            )
            return redirect("billing:join")
        return view(request, *args, **kwargs)

    return wrapper
