import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from core.pagination import page_number
from core.ratelimit import rate_limited
from members import emails, stripe_api
from members.decorators import member_required
from members.email_streams import STREAMS, Stream
from members.forms import (
    DirectoryFilterForm,
    EmailPreferencesForm,
    InterestsForm,
    IntroAcceptForm,
    IntroRequestForm,
    ProfileForm,
)
from members.models import ConsentEvent, IntroRequest, Membership, Profile, User
from members.selectors import (
    directory_page,
    email_preferences,
    membership_of,
    stream_is_on,
)
from members.services import (
    InterestCountError,
    billing,
    intros,
    profile_create,
    profile_set_interests,
)
from members.services import email as email_services
from members.stripe_api import StripeUnavailable

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
    form = ProfileForm(request.POST if request.method == "POST" else None, instance=profile)
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
    # Bound on every POST, even one with nothing ticked, so "pick at least 3" is shown.
    form = InterestsForm(request.POST if request.method == "POST" else None, initial=initial)
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


@member_required
def profile_detail(request, handle: str):
    profile = get_object_or_404(
        Profile.objects.select_related("user").prefetch_related("interests"),
        handle=handle,
        user__is_active=True,
    )
    if not profile.in_directory and profile.user_id != request.user.pk:
        return render(request, "members/profile_hidden.html", status=404)
    return render(request, "members/profile_detail.html", {"profile": profile})


# --- Membership and billing ------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def join(request):
    membership = membership_of(request.user)
    if request.method == "POST":
        try:
            checkout_url = billing.checkout_start(
                user=request.user,
                success_url=request.build_absolute_uri(reverse("members:join_success"))
                + "?session_id={CHECKOUT_SESSION_ID}",
                cancel_url=request.build_absolute_uri(reverse("members:join")) + "?cancelled=1",
            )
        except billing.AlreadyMember:
            messages.info(request, _("You're already a member: here are your details."))
            return redirect("members:billing")
        except StripeUnavailable:
            return render(request, "members/payment_unavailable.html", status=503)
        return redirect_303(checkout_url)
    if request.GET.get("cancelled"):
        messages.info(request, _("No payment was taken. You can join whenever you're ready."))
    return render(
        request,
        "members/join.html",
        {"membership": membership, "is_member": bool(membership and membership.is_active())},
    )


@login_required
def join_success(request):
    membership = membership_of(request.user)
    return render(
        request,
        "members/join_success.html",
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


@login_required
def billing_detail(request):
    membership = membership_of(request.user)
    return render(
        request,
        "members/billing.html",
        {"membership": membership, "is_member": bool(membership and membership.is_active())},
    )


@login_required
@require_POST
def billing_portal(request):
    try:
        portal_url = billing.portal_start(
            user=request.user, return_url=request.build_absolute_uri(reverse("members:billing"))
        )
    except Membership.DoesNotExist:
        messages.info(request, _("You haven't joined yet, so there is nothing to manage."))
        return redirect("members:join")
    except StripeUnavailable:
        return render(request, "members/payment_unavailable.html", status=503)
    return redirect_303(portal_url)


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


# --- Email preferences, double opt-in and one-click unsubscribe ---------------------------


@login_required
@require_http_methods(["GET", "POST"])
def email_settings(request):
    preferences = email_preferences(request.user)
    form = EmailPreferencesForm(
        request.POST if request.method == "POST" else None, preferences=preferences
    )
    if request.method == "POST" and form.is_valid():
        email_services.preferences_save(
            user=request.user,
            wanted=form.wanted(),
            frequency=form.cleaned_data["frequency"],
            source=ConsentEvent.Source.SETTINGS,
        )
        if form.wanted().get(Stream.DIGEST) and not stream_is_on(request.user, Stream.DIGEST):
            messages.info(
                request,
                _("Nearly there: we've emailed you a link to confirm the digest."),
            )
        messages.success(request, _("Your email choices are saved."))
        return redirect("members:email_settings")
    history = ConsentEvent.objects.filter(user=request.user)[:50]
    return render(
        request,
        "members/email_settings.html",
        {"form": form, "preferences": preferences, "history": history},
    )


@require_http_methods(["GET", "POST"])
def stream_confirm(request, token: str):
    """Double opt-in: the link in the confirmation email. GET shows a button; POST confirms."""
    try:
        user_id, stream = emails.confirm_token_read(token)
    except signing.SignatureExpired:
        return render(request, "members/stream_confirm.html", {"expired": True}, status=410)
    except signing.BadSignature as error:
        raise Http404 from error
    user = get_object_or_404(User, pk=user_id, is_active=True)
    confirmed = False
    if request.method == "POST":
        confirmed = email_services.stream_confirm(user=user, stream=stream)
    return render(
        request,
        "members/stream_confirm.html",
        {
            "stream_label": STREAMS[stream].stream.label,
            "wording": STREAMS[stream].wording,
            "confirmed": confirmed or stream_is_on(user, stream),
            "token": token,
        },
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """One-click unsubscribe (RFC 8058): no login, no cookie, no CSRF token, no redirect.

    GET shows what will stop and a button; POST (the button, or a mail client's
    `List-Unsubscribe=One-Click`) stops it. Repeating it changes nothing.
    """
    try:
        user_id, stream, guest_email = emails.unsubscribe_token_read(token)
    except signing.BadSignature as error:
        raise Http404 from error
    user = get_object_or_404(User, pk=user_id) if user_id else None
    done = False
    if request.method == "POST" and user is None:
        email_services.address_opt_out(email=guest_email, stream=stream)
        done = True
    elif request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        email_services.stream_set(
            user=user,
            stream=stream,
            on=False,
            source=ConsentEvent.Source.ONE_CLICK
            if one_click
            else ConsentEvent.Source.UNSUBSCRIBE_PAGE,
        )
        done = True
    return render(
        request,
        "members/unsubscribe.html",
        {
            "done": done,
            "stream_label": STREAMS[stream].stream.label,
            "wording": STREAMS[stream].wording,
            "token": token,
        },
    )


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
