"""The events app's email, sent through the members outbox.

Transactional (about the member's own reply, no stream): the RSVP confirmation, the waitlist
receipt, "you're in" after a promotion, organisers' messages about changes, and cancellation
notices. Stream mail: the day-before reminder (`event_reminders`) and organisers' invitations
(`event_invites`), which get the list headers and the unsubscribe footer from the outbox.

Renderers run at send time, so a reply changed or an event cancelled after the email was
queued sends nothing out of date.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core import signing
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from events.models import RSVP, Event, EventInvite, EventMessage
from groups.selectors import display_name
from mail.emails import EmailContent, absolute_url, email_kind

if TYPE_CHECKING:
    from mail.models import EmailDelivery

RELEASE_SALT = "events.release"
INVITE_SALT = "events.invite"


# --- Tokens for links in email ------------------------------------------------------------


def release_token(rsvp: RSVP) -> str:
    """The "I can't come any more" link's token: this member's reply to this event."""
    return signing.Signer(salt=RELEASE_SALT).sign_object([rsvp.pk, rsvp.member_id])


def release_token_read(token: str) -> tuple[int, int]:
    """(rsvp id, member id); raises `signing.BadSignature` if tampered with."""
    rsvp_id, member_id = signing.Signer(salt=RELEASE_SALT).unsign_object(token)
    return int(rsvp_id), int(member_id)


def invite_token(invite_id: int) -> str:
    return signing.Signer(salt=INVITE_SALT).sign_object(invite_id)


def invite_token_read(token: str) -> int:
    return int(signing.Signer(salt=INVITE_SALT).unsign_object(token))


# --- Shared context -----------------------------------------------------------------------


def event_when(event: Event) -> str:
    """ "Tuesday 3 March 2026, 18:30 to 20:00" in the site's time zone."""
    start = timezone.localtime(event.starts_at)
    end = timezone.localtime(event.ends_at)
    if start.date() == end.date():
        return _("%(day)s, %(start)s to %(end)s") % {
            "day": date_format(start, "l j F Y"),
            "start": date_format(start, "H:i"),
            "end": date_format(end, "H:i"),
        }
    return _("%(start)s to %(end)s") % {
        "start": date_format(start, "l j F Y, H:i"),
        "end": date_format(end, "l j F Y, H:i"),
    }


def _event_context(event: Event, *, rsvp: RSVP | None = None, online: bool = False) -> dict:
    context = {
        "event": event,
        "when": event_when(event),
        "event_url": absolute_url("events:detail", slug=event.slug),
        "ics_url": absolute_url("events:ics", slug=event.slug),
        "map_url": event.map_url,
        "online_url": event.online_url if online else "",
        "group_name": event.group.name if event.group else "",
    }
    if rsvp is not None:
        context["rsvp"] = rsvp
        context["release_url"] = absolute_url("events:release", token=release_token(rsvp))
    return context


def _rsvp(delivery: EmailDelivery, *statuses: str) -> RSVP | None:
    return (
        RSVP.objects.select_related("event__group", "member__profile")
        .filter(
            pk=delivery.payload.get("rsvp"),
            status__in=statuses,
            event__is_published=True,
            event__is_cancelled=False,
        )
        .first()
    )


def _short(title: str) -> str:
    return Truncator(" ".join(title.split())).chars(80)


# --- Transactional ------------------------------------------------------------------------


@email_kind("events_rsvp_confirmed")
def _confirmed(delivery: EmailDelivery) -> EmailContent | None:
    rsvp = _rsvp(delivery, RSVP.Status.CONFIRMED)
    if rsvp is None or rsvp.event.has_started():
        return None  # they changed their mind before we got to it
    return EmailContent(
        subject=_("You're going: %(title)s") % {"title": _short(rsvp.event.title)},
        template="events/email/rsvp_confirmed",
        context=_event_context(rsvp.event, rsvp=rsvp, online=True),
    )


@email_kind("events_waitlisted")
def _waitlisted(delivery: EmailDelivery) -> EmailContent | None:
    from events.services.rsvp import waitlist_position

    rsvp = _rsvp(delivery, RSVP.Status.WAITLISTED)
    if rsvp is None:
        return None  # already moved in (that email says so), or they left the waitlist
    return EmailContent(
        subject=_("You're on the waitlist: %(title)s") % {"title": _short(rsvp.event.title)},
        template="events/email/waitlisted",
        context={
            **_event_context(rsvp.event, rsvp=rsvp),
            "position": waitlist_position(rsvp),
        },
    )


@email_kind("events_promoted")
def _promoted(delivery: EmailDelivery) -> EmailContent | None:
    rsvp = _rsvp(delivery, RSVP.Status.CONFIRMED)
    if rsvp is None or rsvp.event.has_started():
        return None
    return EmailContent(
        subject=_("A place came free. You're in: %(title)s") % {"title": _short(rsvp.event.title)},
        template="events/email/promoted",
        context=_event_context(rsvp.event, rsvp=rsvp, online=True),
    )


@email_kind("events_message")
def _message(delivery: EmailDelivery) -> EmailContent | None:
    message = (
        EventMessage.objects.select_related("event__group", "sender__profile")
        .filter(pk=delivery.payload.get("message"))
        .first()
    )
    if message is None:
        return None
    rsvp = RSVP.objects.filter(
        event=message.event, member_id=delivery.user_id, status=RSVP.Status.CONFIRMED
    ).first()
    if rsvp is None:
        return None  # they're no longer going
    return EmailContent(
        subject=_("%(title)s: %(subject)s")
        % {"title": _short(message.event.title), "subject": message.subject},
        template="events/email/message",
        context={
            **_event_context(message.event, rsvp=rsvp, online=True),
            "message": message,
            "sender_name": display_name(message.sender),
        },
    )


@email_kind("events_cancelled")
def _cancelled(delivery: EmailDelivery) -> EmailContent | None:
    event = (
        Event.objects.select_related("group")
        .filter(pk=delivery.payload.get("event"), is_cancelled=True)
        .first()
    )
    if event is None:
        return None
    return EmailContent(
        subject=_("Cancelled: %(title)s") % {"title": _short(event.title)},
        template="events/email/cancelled",
        context={**_event_context(event), "events_url": absolute_url("events:list")},
    )


# --- Streams ------------------------------------------------------------------------------


@email_kind("events_reminder")
def _reminder(delivery: EmailDelivery) -> EmailContent | None:
    rsvp = _rsvp(delivery, RSVP.Status.CONFIRMED)
    if rsvp is None or rsvp.event.has_started():
        return None
    return EmailContent(
        subject=_("Tomorrow: %(title)s") % {"title": _short(rsvp.event.title)},
        template="events/email/reminder",
        context=_event_context(rsvp.event, rsvp=rsvp, online=True),
    )


@email_kind("events_invite")
def _invite(delivery: EmailDelivery) -> EmailContent | None:
    invite = (
        EventInvite.objects.select_related("event__group", "invited_by__profile")
        .filter(pk=delivery.payload.get("invite"))
        .first()
    )
    if invite is None:
        return None
    event = invite.event
    if not event.is_published or event.is_cancelled or event.has_started():
        return None
    event_path = event.get_absolute_url()
    personal_url = (
        absolute_url("events:detail", slug=event.slug)
        + "?"
        + urlencode({"invite": invite_token(invite.pk)})
    )
    inviter = display_name(invite.invited_by)
    return EmailContent(
        subject=_("%(name)s invites you: %(title)s")
        % {"name": inviter, "title": _short(event.title)},
        template="events/email/invite",
        context={
            **_event_context(event),
            "inviter": inviter,
            "note": delivery.payload.get("note", ""),
            "personal_url": personal_url,
            "is_member": bool(invite.member_id),
            "join_url": absolute_url("account_signup") + "?" + urlencode({"next": event_path}),
        },
    )
