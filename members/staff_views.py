"""Pages for staff accounts setting up their second factor from the mailed one-time link."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from members.models import StaffEnrolment
from members.services.staff import staff_enrolment_redeem, staff_enrolment_send
from members.staff import enrolment_from_token, enrolment_session_start, needs_enrolment_link


def staff_enrolment_required(request):
    """In place of allauth's "activate TOTP" for staff who haven't opened their link.

    A POST (an attempt to activate) is refused with the same page, changing nothing.
    """
    link_sent = StaffEnrolment.objects.filter(user=request.user).usable().exists()
    return render(
        request,
        "members/staff_enrolment_required.html",
        {"address_hint": _masked(request.user.email), "link_sent": link_sent},
        status=200 if request.method == "GET" else 403,
    )


@login_required
@require_http_methods(["GET", "POST"])
def staff_enrol(request, token: str):
    """GET shows a button (mail scanners only GET); POST uses the link, once, for this session."""
    enrolment = enrolment_from_token(token)
    if enrolment is None or enrolment.user_id != request.user.pk:
        raise Http404("No such link.")  # another account's link is not there for this one
    usable = StaffEnrolment.objects.usable().filter(pk=enrolment.pk).exists()
    if request.method == "POST" and usable:
        if staff_enrolment_redeem(enrolment=enrolment, user=request.user):
            enrolment_session_start(request, request.user)
            messages.success(request, _("Now scan the code with your authenticator app."))
            return redirect("mfa_activate_totp")
        usable = False
    return render(
        request,
        "members/staff_enrol.html",
        {"token": token, "usable": usable and request.user.is_staff},
        status=200 if usable or request.method == "GET" else 410,
    )


@login_required
@require_POST
def staff_enrolment_resend(request):
    """Mail a fresh link to the account's own address (a few minutes apart at most)."""
    if not needs_enrolment_link(request, request.user):
        return redirect("mfa_activate_totp")
    sent = staff_enrolment_send(user=request.user, reason=StaffEnrolment.Reason.REQUESTED)
    if sent is None:
        messages.info(request, _("We sent you a link a few minutes ago. Please check your inbox."))
    else:
        messages.success(request, _("We've sent a new link to your email address."))
    return redirect("mfa_activate_totp")


def _masked(email: str) -> str:
    """j•••@example.org: enough for the owner to recognise, nothing for anyone else."""
    local, _at, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}" if domain else ""
