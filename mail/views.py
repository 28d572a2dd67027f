from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from mail import emails
from mail import services as email_services
from mail.forms import EmailPreferencesForm
from mail.models import ConsentEvent
from mail.selectors import email_preferences, stream_is_on
from mail.streams import STREAMS, Stream


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
        return redirect("mail:settings")
    history = ConsentEvent.objects.filter(user=request.user)[:50]
    return render(
        request,
        "mail/email_settings.html",
        {"form": form, "preferences": preferences, "history": history},
    )


@require_http_methods(["GET", "POST"])
def stream_confirm(request, token: str):
    """Double opt-in: the link in the confirmation email. GET shows a button; POST confirms."""
    try:
        user_id, stream = emails.confirm_token_read(token)
    except signing.SignatureExpired:
        return render(request, "mail/stream_confirm.html", {"expired": True}, status=410)
    except signing.BadSignature as error:
        raise Http404 from error
    user = get_object_or_404(get_user_model(), pk=user_id, is_active=True)
    confirmed = False
    if request.method == "POST":
        confirmed = email_services.stream_confirm(user=user, stream=stream)
    return render(
        request,
        "mail/stream_confirm.html",
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
    user = get_object_or_404(get_user_model(), pk=user_id) if user_id else None
    done = False
    if request.method == "POST" and user is None:
        email_services.address_opt_out(email=guest_email, stream=stream)
        done = True
    elif request.method == "POST" and user is not None:
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
        "mail/unsubscribe.html",
        {
            "done": done,
            "stream_label": STREAMS[stream].stream.label,
            "wording": STREAMS[stream].wording,
            "token": token,
        },
    )
