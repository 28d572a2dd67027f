import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from billing.selectors import member_is_active
from core.pagination import page_number
from core.ratelimit import rate_limited
from members.decorators import member_required
from members.forms import (
    DirectoryFilterForm,
    InterestsForm,
    IntroAcceptForm,
    IntroRequestForm,
    ProfileForm,
)
from members.models import IntroRequest, Profile
from members.selectors import directory_page, intro_offer
from members.services import (
    InterestCountError,
    intros,
    profile_create,
    profile_set_interests,
)

logger = logging.getLogger(__name__)


def _own_contact_details(user) -> str:
    profile = getattr(user, "profile", None)  # accounts made outside sign-up may have none
    return profile.contact_details if profile else ""


def _own_profile(request) -> Profile:
    try:
        return request.user.profile
    except Profile.DoesNotExist:
        # Accounts made outside sign-up (createsuperuser, the shell) get one on first visit.
        return profile_create(user=request.user)


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request):
    profile = _own_profile(request)
    posted = request.method == "POST"
    form = ProfileForm(
        request.POST if posted else None, request.FILES if posted else None, instance=profile
    )
    if posted:
        if form.is_valid():
            form.save()
            messages.success(request, _("Your profile is saved."))
            # On the way in, each step leads to the next: interests, then groups to choose.
            if profile.interests.count() < Profile.MIN_INTERESTS:
                messages.info(request, _("Next, pick your interests so we can match you."))
                return redirect("members:interests")
            if not member_is_active(request.user):
                return redirect("home:groups")
            return redirect("members:profile")
        messages.error(request, _("Please correct the highlighted fields."))
    return render(request, "members/profile_form.html", {"form": form, "profile": profile})


@login_required
@require_http_methods(["GET", "POST"])
def interests_edit(request):
    profile = _own_profile(request)
    onboarding = not member_is_active(request.user)  # on the way in: saving leads to groups
    initial = {"interests": list(profile.interests.values_list("pk", flat=True))}
    # Bound on every POST, even one with nothing ticked, so "pick at least 3" is shown.
    form = InterestsForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                profile_set_interests(profile=profile, interests=form.cleaned_data["interests"])
            except InterestCountError as error:
                form.add_error("interests", str(error))
            else:
                if onboarding:
                    messages.success(
                        request,
                        _("Your interests are saved. Next: the groups that share them."),
                    )
                    return redirect("home:groups")
                messages.success(
                    request,
                    _("Your interests are saved. See what matches them now: just below."),
                )
                return redirect(reverse("members:interests") + "#next")
        messages.error(request, _("Your interests were not saved: see the message below."))
    return render(
        request,
        "members/interests_form.html",
        {"form": form, "profile": profile, "onboarding": onboarding},
    )


@member_required
def profile_detail(request, handle: str):
    profile = get_object_or_404(
        # With their membership: whether they take introductions depends on it.
        Profile.objects.select_related("user__membership").prefetch_related("interests"),
        handle=handle,
        user__is_active=True,
    )
    if not profile.in_directory and profile.user_id != request.user.pk:
        return render(request, "members/profile_hidden.html", status=404)
    own = profile.user_id == request.user.pk
    # The button, or why there is none: the rule the request itself is checked by.
    offer = None if own else intro_offer(sender=request.user, recipient=profile.user)
    return render(request, "members/profile_detail.html", {"profile": profile, "offer": offer})


# --- Directory and introductions ------------------------------------------------------------


@member_required
def directory(request):
    form = DirectoryFilterForm(request.GET or None)
    filters = {}
    if form.is_valid():
        filters = {
            "q": form.cleaned_data["q"].strip(),
            "interest": form.cleaned_data["interest"].slug if form.cleaned_data["interest"] else "",
            "city": form.cleaned_data["city"].strip(),
            "open_to": form.cleaned_data["open_to"],
        }
    own = getattr(request.user, "profile", None)
    mine = list(own.interests.values_list("pk", flat=True)) if own else []
    number = page_number(request.GET.get("page"))
    page = directory_page(viewer=request.user, mine=mine, number=number, **filters)
    return render(
        request,
        "members/directory.html",
        {
            "form": form,
            "page": page,
            "filtered": any(filters.values()),
            # Listing is an opt-in: someone not listed is told how, whatever the page shows.
            "listed": bool(own and own.in_directory),
        },
    )


@member_required
@require_http_methods(["GET", "POST"])
@rate_limited("intro")
def intro_request(request, handle: str):
    # The service checks the recipient's membership: load it with them.
    profile = get_object_or_404(
        Profile.objects.in_directory().select_related("user__membership"), handle=handle
    )
    if request.method == "GET":
        # Say so before they write a note, not after.
        offer = intro_offer(sender=request.user, recipient=profile.user)
        if offer.pending is not None:
            messages.info(
                request,
                _("You've already asked %(name)s: your request is waiting for their answer.")
                % {"name": profile.display_name},
            )
            return redirect("members:intros")
        if not offer.allowed:
            return render(
                request,
                "members/intro_request_form.html",
                {"form": None, "profile": profile, "refusal": offer.refusal},
            )
    form = IntroRequestForm(
        request.POST if request.method == "POST" else None,
        initial={"sender_contact": _own_contact_details(request.user)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            intros.intro_request_create(
                sender=request.user,
                recipient=profile.user,
                note=form.cleaned_data["note"],
                sender_contact=form.cleaned_data["sender_contact"],
            )
        except intros.IntroRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Your introduction request is on its way to %(name)s.")
                % {"name": profile.display_name},
            )
            return redirect("members:intros")
    return render(request, "members/intro_request_form.html", {"form": form, "profile": profile})


@login_required
def intro_list(request):
    """The member's own introductions: lapsed members can still read and answer them."""
    requests = IntroRequest.objects.involving(request.user).for_listing()
    return render(
        request,
        "members/intro_list.html",
        {
            "received": [r for r in requests if r.recipient_id == request.user.pk],
            "sent": [r for r in requests if r.sender_id == request.user.pk],
            "accept_form": IntroAcceptForm(
                initial={"recipient_contact": _own_contact_details(request.user)}
            ),
        },
    )


@login_required
@require_POST
def intro_answer(request, pk: int, answer: str):
    if answer not in ("accept", "decline"):
        raise Http404
    intro = get_object_or_404(IntroRequest, pk=pk, recipient=request.user)
    form = IntroAcceptForm(request.POST)
    if answer == "accept" and not form.is_valid():
        messages.error(request, _("Add the contact details you'd like to share, then accept."))
        return redirect("members:intros")
    try:
        intros.intro_request_answer(
            intro=intro,
            by=request.user,
            accept=answer == "accept",
            recipient_contact=form.cleaned_data.get("recipient_contact", "")
            if answer == "accept"
            else "",
        )
    except intros.IntroRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Accepted: you can now see each other's contact details.")
            if answer == "accept"
            else _("Declined. They won't be able to ask again for 90 days."),
        )
    return redirect("members:intros")


@login_required
@require_POST
def intro_withdraw(request, pk: int):
    intro = get_object_or_404(IntroRequest, pk=pk, sender=request.user)
    intros.intro_request_withdraw(intro=intro, by=request.user)
    messages.success(request, _("Your request is withdrawn."))
    return redirect("members:intros")
