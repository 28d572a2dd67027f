from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from billing.selectors import member_is_active
from core.ratelimit import rate_limited
from experts import selectors, services
from experts.forms import ExpertFilterForm, ExpertRequestForm
from experts.models import Credential, Expert, ExpertRequest
from members.decorators import member_required
from members.staff import acts_as_staff

PAGE_SIZE = 24


def expert_list(request):
    form = ExpertFilterForm(request.GET or None)
    filters = form.filters() if request.GET else {}
    experts = selectors.expert_list(interest=filters.get("interest"), region=filters.get("region"))
    page = Paginator(experts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "experts/expert_list.html",
        {
            "form": form,
            "page": page,
            "experts": page.object_list,
            "interest": filters.get("interest"),
            "region": filters.get("region"),
            "filtered": bool(filters),
        },
    )


def _visible_expert(request, slug: str) -> Expert:
    """Published experts for everyone; staff may preview an unpublished one."""
    expert = get_object_or_404(Expert.objects.for_detail(), slug=slug)
    if not expert.is_published and not acts_as_staff(request.user):
        raise Http404("No such expert.")
    return expert


def expert_detail(request, slug: str):
    expert = _visible_expert(request, slug)
    appearances = selectors.expert_appearances(expert=expert)
    credentials = list(expert.credentials.all())
    user = request.user
    return render(
        request,
        "experts/expert_detail.html",
        {
            "expert": expert,
            "credentials": credentials,
            "credential_groups": _group_credentials(credentials),
            "upcoming": appearances.upcoming,
            "past": appearances.past,
            "can_request": expert.is_published and member_is_active(user),
            "existing_request": selectors.open_request_for(member=user, expert=expert),
        },
    )


def _group_credentials(credentials: list[Credential]) -> list[tuple[str, str, list[Credential]]]:
    """Affiliations, books, awards, then links, each in the order staff gave them."""
    groups = []
    labels = {
        "affiliation": _("Affiliations"),
        "book": _("Books"),
        "award": _("Awards"),
        "link": _("Elsewhere"),
    }
    for kind, label in labels.items():
        items = [c for c in credentials if c.kind == kind]
        if items:
            groups.append((kind, label, items))
    return groups


@member_required
@require_http_methods(["GET", "POST"])
@rate_limited("expert_request")
def expert_request_create(request, slug: str):
    # With where they go: the form warns when the event is somewhere they don't.
    expert = get_object_or_404(Expert.objects.published().prefetch_related("regions"), slug=slug)
    form = ExpertRequestForm(request.POST or None, expert=expert)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.expert_request_create(
                    member=request.user, expert=expert, **form.request_fields()
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    _(
                        "Thank you: your request for %(expert)s is with our team. We'll email "
                        "you as soon as there's news."
                    )
                    % {"expert": expert.name},
                )
                return redirect("experts:requests")
        messages.error(request, _("Your request wasn't sent: please see the messages below."))
    open_count = selectors.open_request_count(member=request.user)
    return render(
        request,
        "experts/expertrequest_form.html",
        {
            "expert": expert,
            "form": form,
            "open_count": open_count,
            "max_open": ExpertRequest.MAX_OPEN_PER_MEMBER,
            "at_limit": open_count >= ExpertRequest.MAX_OPEN_PER_MEMBER,
        },
    )


@login_required
def expert_request_list(request):
    """The member's own requests. Lapsed members still see, and may withdraw, theirs."""
    expert_requests = list(selectors.expert_requests_of(member=request.user))
    return render(
        request,
        "experts/expertrequest_list.html",
        {
            "expert_requests": expert_requests,
            "can_request": member_is_active(request.user),
            "max_open": ExpertRequest.MAX_OPEN_PER_MEMBER,
        },
    )


@login_required
@require_POST
def expert_request_withdraw(request, pk: int):
    expert_request = get_object_or_404(
        ExpertRequest.objects.select_related("expert"), pk=pk, member=request.user
    )
    try:
        services.expert_request_withdraw(request=expert_request, member=request.user)
    except services.InvalidStatusTransition as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("You withdrew your request for %(expert)s. We've let our team know.")
            % {"expert": expert_request.expert.name},
        )
    return redirect("experts:requests")
