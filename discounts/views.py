from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from billing.selectors import member_is_active
from core.ratelimit import over_limit, rate_limited
from discounts import services
from discounts.forms import CodeCheckForm
from discounts.models import Offer, Partner, site_today
from discounts.selectors import catalogue, member_redemptions, offer_state
from members.decorators import member_required


@require_GET
def offer_list(request):
    data = catalogue(
        viewer=request.user,
        interest_slug=request.GET.get("interest", "")[:60],
        page_number=request.GET.get("page"),
    )
    return render(
        request,
        "discounts/offer_list.html",
        {"catalogue": data, "page": data.page},
    )


@require_GET
def offer_detail(request, slug: str):
    offer = get_object_or_404(Offer.objects.for_listing(), slug=slug)
    redemptions = member_redemptions(member=request.user, offer=offer)
    # "Rejoin" or "join" for non-members: the template reads `standing` (context processor).
    is_member = member_is_active(request.user)
    state = offer_state(offer=offer)
    context = {
        "offer": offer,
        "state": state,
        "redemptions": redemptions,
        "can_redeem": is_member and state == "open" and not redemptions,
        "can_redeem_another": (
            is_member and state == "open" and 0 < len(redemptions) < offer.per_member_limit
        ),
    }
    return render(request, "discounts/offer_detail.html", context)


@member_required
@require_http_methods(["GET", "POST"])
@rate_limited("redeem")
def offer_redeem(request, slug: str):
    offer = get_object_or_404(Offer, slug=slug)
    if request.method != "POST":
        # Someone sent to sign in from the Redeem button comes back here: show the offer.
        return redirect(offer)
    try:
        redemption, created = services.offer_redeem(
            offer=offer, member=request.user, another=request.POST.get("another") == "1"
        )
    except services.RedemptionError as error:
        messages.warning(request, error.message)
        return redirect(offer)
    if created:
        messages.success(request, _("Here's your code. Show it at the till or use it online."))
    else:
        messages.info(request, _("You already have a code for this offer: here it is again."))
    return redirect(f"{offer.get_absolute_url()}#code-{redemption.pk}")


@login_required
@require_GET
def my_codes(request):
    # Signed in is enough: a member whose membership lapsed keeps the codes they were given.
    redemptions = member_redemptions(member=request.user)
    return render(request, "discounts/my_codes.html", {"redemptions": redemptions})


@never_cache
@require_http_methods(["GET", "POST"])
def partner_verify(request, token: str):
    """The partner's secret page: is this code valid, for which offer, used yet? No names."""
    partner = get_object_or_404(Partner, verification_token=token)
    form = CodeCheckForm(request.POST or None)
    check = None
    marked = False
    status = 200
    if request.method == "POST":
        # Per link and client, under a ceiling per link: whoever else holds the link cannot
        # lock out the partner's own till (RATE_LIMITS["partner_check"]).
        if over_limit(request, "partner_check", scope=f"partner:{partner.pk}"):
            status = 429
            form = CodeCheckForm()
        elif form.is_valid():
            code = form.cleaned_data["code"]
            if request.POST.get("action") == "use":
                check, marked = services.partner_code_use(partner=partner, code=code)
            else:
                check = services.partner_code_check(partner=partner, code=code)
    response = render(
        request,
        "discounts/partner_verify.html",
        {
            "partner": partner,
            "form": form,
            "check": check,
            "verdict": check.verdict(today=site_today()) if check else "",
            "marked": marked,
            "rate_limited": status == 429,
        },
        status=status,
    )
    # The token is in the address: keep it out of other sites' Referer headers and out of
    # search engines. ("no-referrer" would also blank the Origin of the page's own form
    # posts, which Django's CSRF check then refuses.)
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
