from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from members.forms import InterestsForm, ProfileForm
from members.models import Profile
from members.services import InterestCountError, profile_create, profile_set_interests


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
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, _("Your profile is saved."))
            if profile.interests.count() < Profile.MIN_INTERESTS:
                messages.info(request, _("Next, pick your interests so we can match you."))
                return redirect("members:interests")
            return redirect("members:profile")
        messages.error(request, _("Please correct the highlighted fields."))
    return render(request, "members/profile_form.html", {"form": form, "profile": profile})


@login_required
@require_http_methods(["GET", "POST"])
def interests_edit(request):
    profile = _own_profile(request)
    initial = {"interests": list(profile.interests.values_list("pk", flat=True))}
    form = InterestsForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                profile_set_interests(profile=profile, interests=form.cleaned_data["interests"])
            except InterestCountError as error:
                form.add_error("interests", str(error))
            else:
                messages.success(request, _("Your interests are saved."))
                return redirect("members:interests")
        messages.error(request, _("Your interests were not saved: see the message below."))
    return render(request, "members/interests_form.html", {"form": form, "profile": profile})


@login_required
def profile_detail(request, handle: str):
    profile = get_object_or_404(
        Profile.objects.select_related("user").prefetch_related("interests"),
        handle=handle,
        user__is_active=True,
    )
    if not profile.in_directory and profile.user_id != request.user.pk:
        return render(request, "members/profile_hidden.html", status=404)
    return render(request, "members/profile_detail.html", {"profile": profile})
