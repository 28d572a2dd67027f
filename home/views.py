"""The signed-in home, and the newcomer's suggested-groups step."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from groups.models import Group
from groups.services import group_join
from home import selectors, services
from members.decorators import member_required
from members.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A request from someone signed in: every view here is reached only signed in."""

    user: User


def signed_in_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """`/` for someone signed in (config.views.home sends visitors the public page): a
    member's "what's on for me", or a newcomer's checklist. Never cached anywhere."""
    progress = selectors.progress_of(request.user)
    if progress.is_member:
        response = render(
            request,
            "home/member_home.html",
            {"home": selectors.member_home(request.user), "progress": progress},
        )
    else:
        response = render(request, "home/checklist.html", {"progress": progress})
    patch_cache_control(response, private=True, no_cache=True)
    return response


@login_required
def suggested_groups(request: AuthenticatedHttpRequest) -> HttpResponse:
    progress = selectors.progress_of(request.user)
    return render(
        request,
        "home/suggested_groups.html",
        {"suggestions": selectors.group_suggestions(request.user), "progress": progress},
    )


@login_required
@require_POST
def group_choose(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """A member joins the group at once; a newcomer keeps it for when they have joined."""
    group = get_object_or_404(Group.objects.published(), slug=slug)
    if selectors.progress_of(request.user).is_member:
        if group_join(group=group, user=request.user):
            messages.success(request, _("Welcome to %(group)s!") % {"group": group.name})
        else:
            messages.info(request, _("You're already in %(group)s.") % {"group": group.name})
    elif services.group_pick(user=request.user, group=group):
        messages.success(
            request,
            _("%(group)s is on your list: you'll join it in one click once you're a member.")
            % {"group": group.name},
        )
    else:
        messages.info(request, _("%(group)s is already on your list.") % {"group": group.name})
    return redirect("home:groups")


@login_required
@require_POST
def group_unchoose(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    group = get_object_or_404(Group, slug=slug)
    if services.group_unpick(user=request.user, group=group):
        messages.success(request, _("%(group)s is off your list.") % {"group": group.name})
    return redirect("home:groups")


@member_required
@require_POST
def picks_join(request: AuthenticatedHttpRequest) -> HttpResponse:
    """After paying: join every group picked on the way, in one press."""
    joined = services.picked_groups_join(user=request.user)
    if joined:
        messages.success(
            request,
            _("You've joined %(groups)s. Say hello in their conversations!")
            % {"groups": ", ".join(group.name for group in joined)},
        )
    else:
        messages.info(request, _("You're in those groups already."))
    return redirect("home")
