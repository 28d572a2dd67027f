import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from billing import services as billing
from billing import stripe_api
from billing.models import Membership
from billing.selectors import membership_of
from billing.stripe_api import StripeUnavailable

logger = logging.getLogger(__name__)


@login_required
@require_http_methods(["GET", "POST"])
def join(request):
    membership = membership_of(request.user)
    if request.method == "POST":
        try:
            checkout_url = billing.checkout_start(
                user=request.user,
                success_url=request.build_absolute_uri(reverse("billing:join_success"))
                + "?session_id={CHECKOUT_SESSION_ID}",
                cancel_url=request.build_absolute_uri(reverse("billing:join")) + "?cancelled=1",
            )
        except billing.AlreadyMember:
            messages.info(request, _("You're already a member: here are your details."))
            return redirect("billing:detail")
        except StripeUnavailable:
            return render(request, "billing/payment_unavailable.html", status=503)
        return redirect_303(checkout_url)
    if request.GET.get("cancelled"):
        messages.info(request, _("No payment was taken. You can join whenever you're ready."))
    return render(
        request,
        "billing/join.html",
        {"membership": membership, "is_member": bool(membership and membership.is_active())},
    )


@login_required
def join_success(request):
    membership = membership_of(request.user)
    return render(
        request,
        "billing/join_success.html",
        {"membership": membership, "is_member": bool(membership and membership.is_active())},
    )


@login_required
def membership_status(request):
    """What the "confirming your payment" page polls until the webhook has landed."""
    membership = membership_of(request.user)
    return JsonResponse(
        {
            "active": bool(membership and membership.is_active()),
            "status": membership.status if membership else "",
        },
        headers={"Cache-Control": "no-store"},
    )


# The portal sends the member back here with this marker: then Stripe is asked at once.
PORTAL_RETURN_MARKER = "portal"


@login_required
def billing_detail(request):
    if request.GET.get("from") == PORTAL_RETURN_MARKER:
        try:
            billing.membership_refresh_after_portal(user=request.user)
        except StripeUnavailable:
            messages.warning(
                request,
                _(
                    "We couldn't check with Stripe just now, so a change you made there may "
                    "take a few minutes to show here."
                ),
            )
        # A reload of the page then shows the row without asking Stripe again.
        return redirect("billing:detail")
    membership = membership_of(request.user)
    return render(
        request,
        "billing/billing.html",
        {"membership": membership, "is_member": bool(membership and membership.is_active())},
    )


@login_required
@require_POST
def billing_portal(request):
    try:
        portal_url = billing.portal_start(
            user=request.user,
            return_url=request.build_absolute_uri(reverse("billing:detail"))
            + f"?from={PORTAL_RETURN_MARKER}",
        )
    except Membership.DoesNotExist:
        messages.info(request, _("You haven't joined yet, so there is nothing to manage."))
        return redirect("billing:join")
    except StripeUnavailable:
        return render(request, "billing/payment_unavailable.html", status=503)
    return redirect_303(portal_url)


@login_required
@require_POST
def billing_resume(request):
    """Keep a membership that was cancelled at the end of its period."""
    try:
        membership = billing.membership_resume(user=request.user)
    except billing.NothingToResume:
        messages.info(
            request, _("There's no running membership to resume: you can join again any time.")
        )
        return redirect("billing:detail")
    except StripeUnavailable:
        return render(request, "billing/payment_unavailable.html", status=503)
    if membership.current_period_end:
        messages.success(
            request,
            _("Your membership carries on: it renews on %(date)s.")
            % {"date": date_format(timezone.localtime(membership.current_period_end), "j F Y")},
        )
    else:
        messages.success(request, _("Your membership carries on."))
    return redirect("billing:detail")


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's signed events: 400 if the signature fails, 500 only when Stripe should retry."""
    try:
        event = stripe_api.construct_event(
            payload=request.body,
            signature=request.headers.get("Stripe-Signature"),
            secret=settings.STRIPE_WEBHOOK_SECRET,
        )
    except stripe_api.StripeSignatureError:
        return HttpResponseBadRequest("Bad signature.")
    try:
        result = billing.webhook_process(event=event)
    except Exception:
        logger.exception("Stripe webhook failed", extra={"event": event.id, "type": event.type})
        # Nothing was written; a 500 makes Stripe deliver it again later.
        return JsonResponse({"error": "processing failed"}, status=500)
    return JsonResponse({"result": result.outcome})


def redirect_303(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response
