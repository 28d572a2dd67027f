import csv
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from billing.selectors import member_is_active
from core.ratelimit import rate_limited
from events import selectors, services
from events.emails import release_token_read
from events.forms import CancelForm, EventFilterForm, EventForm, InviteForm, MessageForm, RSVPForm
from events.ics import calendar_bytes, site_host
from events.models import RSVP, CalendarFeed, Event
from events.services.invites import DAILY_CAP, sent_today
from members.decorators import join_redirect
from members.staff import acts_as_staff

PAGE_SIZE = 24


def organiser_required(view):
    """The group's organisers (with an active membership) and staff; loads the event.

    Anonymous visitors are sent to sign in; anyone else who may not manage it gets a 403.
    """

    @wraps(view)
    def wrapper(request, slug: str, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        event = get_object_or_404(Event.objects.for_listing(), slug=slug)
        if not selectors.can_manage(user=request.user, event=event):
            if not event.is_published:
                raise Http404("No such event.")  # a draft's address must not confirm it exists
            raise PermissionDenied(_("Only this event's organisers can do that."))
        if not acts_as_staff(request.user) and not member_is_active(request.user):
            return join_redirect(request)
        return view(request, event, *args, **kwargs)

    return wrapper


def _visible_event(request, slug: str) -> Event:
    """Published events for everyone; organisers and staff may preview a draft."""
    event = get_object_or_404(Event.objects.for_listing(), slug=slug)
    if not event.is_published and not selectors.can_manage(user=request.user, event=event):
        raise Http404("No such event.")
    return event


# --- Browsing ---------------------------------------------------------------------------


def event_list(request):
    user = request.user
    groups = selectors.filter_groups(viewer=user, slug=request.GET.get("group", "")[:100])
    form = EventFilterForm(request.GET or None, cities=selectors.event_cities(), groups=groups)
    filters = form.filters()
    for_you = user.is_authenticated and request.GET.get("order") == "for-you"
    events = selectors.event_list(viewer=user, filters=filters, for_you=for_you)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "events/event_list.html",
        {
            "form": form,
            "page": page,
            "events": page.object_list,
            "filtered": bool(filters),
            "for_you": for_you,
            "can_organise": selectors.can_organise(user),
            "show_group_filter": bool(groups),
        },
    )


def event_detail(request, slug: str):
    event = _visible_event(request, slug)
    user = request.user
    reply = selectors.viewer_reply(event=event, user=user)
    manage = selectors.can_manage(user=user, event=event)
    token = request.GET.get("invite")
    invited_by = selectors.inviter_name(event=event, token=token) if token else None
    now = timezone.now()
    return render(
        request,
        "events/event_detail.html",
        {
            "event": event,
            "speakers": event.speaker_list,
            "interests": list(event.interests.all()),
            "organisers": selectors.event_organisers(event),
            "reply": reply,
            "is_active_member": member_is_active(user),
            "can_manage": manage,
            "open_for_replies": event.is_open_for_replies(now=now),
            "has_started": event.has_started(now=now),
            "show_online": bool(event.online_url) and (reply.status == "confirmed" or manage),
            "guest_range": range(event.guests_allowed + 1),
            "invited_by": invited_by,
            "waitlist_count": selectors.waitlist_count(event) if event.is_full else 0,
            "whos_going": selectors.whos_going(event=event, viewer=user),
        },
    )


@require_POST
@rate_limited("rsvp")
def event_rsvp(request, slug: str):
    """Yes or no. Saying yes needs an active membership; giving a place back never does."""
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("events:detail", kwargs={"slug": slug}))
    event = _visible_event(request, slug)
    form = RSVPForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            # The stubs say ValidationError too; an ErrorList yields its messages (strings).
            for error in errors:
                messages.error(request, error)  # type: ignore[arg-type]
        return redirect(event)
    response = form.cleaned_data["response"]
    if response == "yes" and not member_is_active(request.user):
        return join_redirect(request)
    share = form.cleaned_data["share_contact"] if "share_shown" in request.POST else None
    try:
        result = services.rsvp_respond(
            event=event,
            member=request.user,
            response=response,
            guests=form.cleaned_data["guests"],
            share_contact=share,
        )
    except services.RsvpError as error:
        messages.error(request, error.message)
    else:
        if result.rsvp.status == RSVP.Status.CONFIRMED:
            messages.success(request, result.message)
        else:
            messages.info(request, result.message)
    return redirect(event)


def event_ics(request, slug: str):
    event = _visible_event(request, slug)
    online = {event.pk} if selectors.sees_online_link(event=event, user=request.user) else set()
    body = calendar_bytes(
        [event], name=event.title, uid=f"event-{event.pk}-file@{site_host()}", online_for=online
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{event.slug}.ics"'
    return response


def calendar_feed(request, token: str):
    """A member's private feed: whoever has the address sees their confirmed events."""
    feed = get_object_or_404(
        CalendarFeed.objects.select_related("user"), token=token, user__is_active=True
    )
    events = selectors.feed_events(feed.user)
    body = calendar_bytes(
        events,
        name=_("My Mutual events"),
        uid=f"feed-{feed.pk}@{site_host()}",
        online_for={e.pk for e in events},
        feed=True,
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=900"
    response["X-Robots-Tag"] = "noindex"
    return response


# --- The member's own events ------------------------------------------------------------


@login_required
def my_events(request):
    mine = selectors.member_events(user=request.user)
    feed = selectors.calendar_feed_of(request.user)
    return render(
        request,
        "events/my_events.html",
        {
            "upcoming": mine["upcoming"],
            "history": mine["history"],
            "organised": selectors.organised_events(request.user),
            "feed_url": request.build_absolute_uri(feed.get_absolute_url()) if feed else "",
        },
    )


@login_required
@require_POST
def calendar_create(request):
    services.calendar_feed_create(user=request.user)
    messages.success(request, _("Your private calendar address is ready."))
    return redirect(reverse("events:mine") + "#calendar")


@login_required
@require_POST
def calendar_reset(request):
    services.calendar_feed_reset(user=request.user)
    messages.success(
        request,
        _(
            "Your calendar address has changed and the old one no longer works. Subscribe "
            "again with the new one."
        ),
    )
    return redirect(reverse("events:mine") + "#calendar")


@require_http_methods(["GET", "POST"])
def release(request, token: str):
    """The "I can't come any more" link from emails: no sign-in needed, one button.

    GET only shows the button (mail scanners open links); POST gives the place back.
    """
    try:
        rsvp_id, member_id = release_token_read(token)
    except signing.BadSignature:
        raise Http404("No such reply.") from None
    rsvp = get_object_or_404(
        RSVP.objects.select_related("event", "member"), pk=rsvp_id, member_id=member_id
    )
    event = rsvp.event
    done = False
    if request.method == "POST":
        try:
            result = services.rsvp_respond(event=event, member=rsvp.member, response="no")
        except services.RsvpError as error:
            messages.error(request, error.message)
        else:
            done = True
            messages.success(request, result.message)
        rsvp.refresh_from_db()
    return render(
        request,
        "events/release.html",
        {
            "event": event,
            "rsvp": rsvp,
            "done": done,
            "holding": rsvp.status in (RSVP.Status.CONFIRMED, RSVP.Status.WAITLISTED),
            "has_started": event.has_started(),
        },
    )


# --- Organisers ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def event_create(request):
    if not selectors.can_organise(request.user):
        raise PermissionDenied(_("Only group organisers can create events."))
    if not acts_as_staff(request.user) and not member_is_active(request.user):
        return join_redirect(request)
    initial = {}
    # "New event" on a group's page names the group: chosen already, if theirs to organise.
    slug = request.GET.get("group", "")[:100] if request.method == "GET" else ""
    if slug and (group := selectors.organised_groups(request.user).filter(slug=slug).first()):
        initial = {"group": group.pk, "city": group.city}
    form = EventForm(
        request.POST or None, request.FILES or None, user=request.user, initial=initial
    )
    if request.method == "POST":
        if form.is_valid():
            event, _changed = services.event_save(
                event=form.save(commit=False),
                by=request.user,
                interests=form.cleaned_data["interests"],
                speakers=form.cleaned_data["speaker_choices"],
            )
            if event.is_published:
                messages.success(request, _("Your event is published."))
            else:
                messages.success(
                    request, _("Your event is saved as a draft: only organisers can see it.")
                )
            return redirect(event)
        messages.error(request, _("The event wasn't saved: please see the messages below."))
    return render(request, "events/event_form.html", {"form": form, "event": None})


@organiser_required
@require_http_methods(["GET", "POST"])
def event_edit(request, event: Event):
    if event.is_cancelled:
        messages.info(request, _("This event is cancelled, so it can't be changed."))
        return redirect(event)
    form = EventForm(request.POST or None, request.FILES or None, instance=event, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            try:
                event, changed = services.event_save(
                    event=form.save(commit=False),
                    by=request.user,
                    interests=form.cleaned_data["interests"],
                    speakers=form.cleaned_data["speaker_choices"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Saved."))
                if changed and selectors.has_people_going(event):
                    messages.info(
                        request,
                        _(
                            "You changed when or where it is. Let the people going know with "
                            "a message."
                        ),
                    )
                    return redirect("events:message", slug=event.slug)
                return redirect(event)
        messages.error(request, _("The event wasn't saved: please see the messages below."))
    return render(request, "events/event_form.html", {"form": form, "event": event})


@organiser_required
@require_POST
def event_publish(request, event: Event):
    try:
        published = services.event_publish(event=event, by=request.user)
    except services.EventError as error:
        messages.error(request, error.message)
    else:
        if published:
            messages.success(request, _("Your event is published."))
    return redirect(event)


@organiser_required
@require_http_methods(["GET", "POST"])
def event_cancel(request, event: Event):
    if event.is_cancelled:
        messages.info(request, _("This event is already cancelled."))
        return redirect(event)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        told = services.event_cancel(
            event=event, by=request.user, reason=form.cleaned_data["reason"]
        )
        messages.success(
            request,
            _("The event is cancelled. We're emailing the %(n)d people who were going or waiting.")
            % {"n": told},
        )
        return redirect(event)
    counts = selectors.reply_counts(event)
    return render(
        request, "events/event_cancel.html", {"event": event, "form": form, "counts": counts}
    )


@organiser_required
def event_attendees(request, event: Event):
    people = selectors.attendees(event)
    return render(
        request,
        "events/event_attendees.html",
        {
            "event": event,
            "going": people["going"],
            "waiting": people["waiting"],
            "counts": selectors.reply_counts(event),
        },
    )


def _csv_safe(value) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas: make them plain text."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@organiser_required
def event_attendees_csv(request, event: Event):
    """Names and what each person chose to share: never their account's email address."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{event.slug}-attendees.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Name"),
            _("Profile"),
            _("Headline"),
            _("Town"),
            _("Status"),
            _("Waitlist position"),
            _("Guests"),
            _("Attended"),
            _("Contact details they chose to share"),
        ]
    )
    people = selectors.attendees(event)
    attended = {True: _("yes"), False: _("no-show"), None: ""}
    for rsvp in [*people["going"], *people["waiting"]]:
        profile = getattr(rsvp.member, "profile", None)
        writer.writerow(
            _csv_safe(cell)
            for cell in (
                profile.display_name if profile else _("A member"),
                profile.handle if profile else "",
                profile.headline if profile else "",
                profile.city if profile else "",
                rsvp.get_status_display(),
                getattr(rsvp, "position", "") if rsvp.is_waiting else "",
                rsvp.guests,
                attended[rsvp.attended] if rsvp.is_going else "",
                profile.contact_details if profile and rsvp.share_contact else "",
            )
        )
    return response


@organiser_required
def event_checkin(request, event: Event):
    now = timezone.now()
    people = selectors.attendees(event)
    return render(
        request,
        "events/event_checkin.html",
        {
            "event": event,
            "going": people["going"],
            "counts": selectors.reply_counts(event),
            "is_open": services.check_in_is_open(event=event, now=now),
        },
    )


@organiser_required
@require_POST
def event_checkin_mark(request, event: Event, rsvp_id: int):
    rsvp = get_object_or_404(RSVP, pk=rsvp_id, event=event)
    marks = {"attended": True, "no_show": False, "undo": None}
    mark = request.POST.get("mark")
    if mark not in marks:
        messages.error(request, _("Choose attended or no-show."))
    else:
        try:
            services.rsvp_check_in(rsvp=rsvp, attended=marks[mark])
        except services.CheckInNotOpen as error:
            messages.error(request, error.message)
            return redirect("events:checkin", slug=event.slug)
        except services.RsvpError as error:
            messages.error(request, error.message)
    return redirect(reverse("events:checkin", kwargs={"slug": event.slug}) + f"#rsvp-{rsvp.pk}")


@organiser_required
@require_http_methods(["GET", "POST"])
def event_message(request, event: Event):
    form = MessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            message = services.event_message_send(
                event=event,
                sender=request.user,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
            )
        except services.EventError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Your message is on its way to the %(n)d people going.")
                % {"n": message.recipient_count},
            )
            return redirect(event)
    return render(
        request,
        "events/event_message.html",
        {"event": event, "form": form, "going": selectors.reply_counts(event)["going"]},
    )


@organiser_required
@require_http_methods(["GET", "POST"])
@rate_limited("invite")
def event_invite(request, event: Event):
    """Choose who, preview who'd get it (and who's skipped, and why), then send."""
    plan = None
    try:
        services.invites_check_open(event=event)
        form = InviteForm(request.POST or None, event=event)
        if request.method == "POST" and form.is_valid():
            options = {
                "group_members": form.cleaned_data.get("group_members", False),
                "interest_matches": form.cleaned_data.get("interest_matches", False),
                "addresses": form.cleaned_data["addresses"],
            }
            if request.POST.get("action") == "send":
                sent = services.invites_send(
                    event=event, sender=request.user, note=form.cleaned_data["note"], **options
                )
                messages.success(
                    request,
                    # The count the preview announced: it never tells who was skipped silently.
                    _("%(n)d invitations are on their way.") % {"n": sent.announced}
                    if sent.announced
                    else _("Nobody new to invite: no invitations were sent."),
                )
                return redirect("events:invite", slug=event.slug)
            plan = services.invite_plan(event=event, sender=request.user, **options)
    except services.InvitesClosed as error:
        messages.error(request, error.message)
        return redirect(event)
    return render(
        request,
        "events/event_invite.html",
        {
            "event": event,
            "form": form,
            "plan": plan,
            "daily_cap": DAILY_CAP,
            "sent_today": plan.sent_today if plan else sent_today(sender=request.user),
            "note": form.cleaned_data.get("note", "") if plan else "",
            "inviter": getattr(getattr(request.user, "profile", None), "display_name", ""),
        },
    )
