"""Replies to events: places, guests and the strictly first-come waitlist.

Places are scarce, so every change follows pretix's rule: lock what you count before counting
it. The event row is locked (`select_for_update`) for the whole reply; `confirmed_places`
moves with `F()`; the CHECK constraint `event_within_capacity` and the unique (event, member)
pair refuse anything that slips past the lock, and the reply is then simply tried again.

The waitlist is strictly first come, first served: each member who joins it takes the next
ticket from the event's counter, and nothing else (membership history, attendance, who you
know) ever changes the order. When places free up (a cancellation, fewer guests, more
places), `waitlist_promote` moves people in from the head of the queue in the same
transaction, each with one "you're in" email. If the person at the head brings guests and
their party doesn't fit in the places free, promotion stops there: nobody behind them jumps
ahead, and they go in as soon as enough places free up (or they reduce their guests).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from billing.selectors import member_is_active
from core import faults
from events.models import RSVP, Event
from mail.services import email_queue
from members.models import User

ATTEMPTS = 3
CHECK_IN_OPENS = timedelta(hours=3)  # before the start: people arrive early


class RsvpError(Exception):
    """A reply the rules refuse; `message` says why, in words for the member."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class CheckInNotOpen(RsvpError):
    """Too early: check-in opens `CHECK_IN_OPENS` before the start."""


@dataclass
class RsvpResult:
    rsvp: RSVP
    changed: bool
    message: str
    promoted: list[RSVP] = field(default_factory=list)


def rsvp_respond(
    *,
    event: Event,
    member: User,
    response: str,
    guests: int | None = None,
    share_contact: bool | None = None,
    now: datetime | None = None,
) -> RsvpResult:
    """Say yes or no to `event`: confirms, joins the waitlist, changes guests, or cancels.

    Idempotent: saying what was already said changes nothing and sends nothing. Saying yes
    needs an active membership; saying no (giving a place back) never does. Taking a place
    (yes, or more guests) closes at the reply deadline; giving places back (no, or fewer
    guests) works until the event starts, so the waitlist can still move. Raises `RsvpError`
    with a message for the member when the rules refuse.
    """
    if response not in ("yes", "no"):
        raise RsvpError(_("Please choose yes or no."))
    if response == "yes" and not member_is_active(member):
        raise RsvpError(_("Only members with an active membership can say yes to events."))
    for attempt in range(ATTEMPTS):
        try:
            with transaction.atomic():
                return _respond_locked(
                    event_id=event.pk,
                    member=member,
                    response=response,
                    guests=guests,
                    share_contact=share_contact,
                    now=now or timezone.now(),
                )
        except IntegrityError:
            # Only reachable if the lock was bypassed: a constraint refused the write (the
            # capacity check, or a second reply from the same member). Try again on the
            # committed state, which now shows what the other request did.
            if attempt == ATTEMPTS - 1:
                raise RsvpError(
                    _("A lot of people are replying at once. Please try again in a moment.")
                ) from None
    raise AssertionError("unreachable")


def _lock_event(event_id: int) -> Event:
    return faults.locked(Event.objects).get(pk=event_id)


def _respond_locked(
    *,
    event_id: int,
    member: User,
    response: str,
    guests: int | None,
    share_contact: bool | None,
    now: datetime,
) -> RsvpResult:
    event = _lock_event(event_id)
    rsvp = RSVP.objects.filter(event=event, member=member).first()
    if response == "no":
        return _release(event=event, rsvp=rsvp, member=member, now=now)
    holding = rsvp is not None and rsvp.status in (RSVP.Status.CONFIRMED, RSVP.Status.WAITLISTED)
    # Without a number, someone going or waiting keeps theirs; a new reply brings nobody.
    wanted_guests = (rsvp.guests if rsvp and holding else 0) if guests is None else guests
    if rsvp and holding and wanted_guests <= rsvp.guests:
        # Fewer guests (or just the sharing choice) takes no place: fine until the start.
        _check_not_over(event, now)
    else:
        _check_taking_replies(event, now)
    _check_guests(event, wanted_guests)
    if rsvp is not None and rsvp.status == RSVP.Status.CONFIRMED:
        return _change_guests(
            event=event, rsvp=rsvp, guests=wanted_guests, share_contact=share_contact, now=now
        )
    if rsvp is not None and rsvp.status == RSVP.Status.WAITLISTED:
        changed = _update_details(rsvp, guests=wanted_guests, share_contact=share_contact, now=now)
        promoted = waitlist_promote(event=event, now=now)
        rsvp.refresh_from_db()
        if rsvp.status == RSVP.Status.CONFIRMED:
            return RsvpResult(rsvp, True, _("Good news: you're going."), promoted)
        return RsvpResult(rsvp, changed, _waiting_message(rsvp), promoted)
    return _join(
        event=event, rsvp=rsvp, member=member, guests=wanted_guests, share=share_contact, now=now
    )


def _check_not_over(event: Event, now: datetime) -> None:
    if not event.is_published:
        raise RsvpError(_("This event isn't open for replies."))
    if event.is_cancelled:
        raise RsvpError(_("This event has been cancelled, so it isn't taking replies."))
    if event.has_started(now=now):
        raise RsvpError(_("This event has already started, so replies are closed."))


def _check_taking_replies(event: Event, now: datetime) -> None:
    _check_not_over(event, now)
    if now >= event.replies_close_at:
        raise RsvpError(
            _("Replies closed on %(date)s.")
            % {"date": date_format(timezone.localtime(event.replies_close_at), "j F, H:i")}
        )


def _check_guests(event: Event, guests: int) -> None:
    if guests < 0:
        raise RsvpError(_("The number of guests can't be negative."))
    if guests > event.guests_allowed:
        if event.guests_allowed == 0:
            raise RsvpError(_("This event is for members only, so guests can't come."))
        raise RsvpError(
            ngettext(
                "You can bring at most %(n)d guest to this event.",
                "You can bring at most %(n)d guests to this event.",
                event.guests_allowed,
            )
            % {"n": event.guests_allowed}
        )
    if event.capacity is not None and 1 + guests > event.capacity:
        if event.capacity == 1:
            raise RsvpError(_("This event has 1 place in all, so there's no room for guests."))
        raise RsvpError(
            ngettext(
                "This event has %(n)d places in all, so you can bring at most %(most)d guest.",
                "This event has %(n)d places in all, so you can bring at most %(most)d guests.",
                event.capacity - 1,
            )
            % {"n": event.capacity, "most": event.capacity - 1}
        )


def _update_details(rsvp: RSVP, *, guests: int, share_contact: bool | None, now: datetime) -> bool:
    fields = []
    if guests != rsvp.guests:
        rsvp.guests = guests
        fields.append("guests")
    if share_contact is not None and share_contact != rsvp.share_contact:
        rsvp.share_contact = share_contact
        fields.append("share_contact")
    if fields:
        rsvp.updated_at = now
        rsvp.save(update_fields=[*fields, "updated_at"])
    return bool(fields)


def _join(
    *,
    event: Event,
    rsvp: RSVP | None,
    member: User,
    guests: int,
    share: bool | None,
    now: datetime,
) -> RsvpResult:
    places = 1 + guests
    someone_waiting = RSVP.objects.filter(event=event, status=RSVP.Status.WAITLISTED).exists()
    fits = event.capacity is None or event.confirmed_places + places <= event.capacity
    faults.checked()
    if rsvp is None:
        rsvp = RSVP(event=event, member=member, created_at=now)
    rsvp.guests = guests
    if share is not None:
        rsvp.share_contact = share
    rsvp.updated_at = now
    rsvp.attended = None
    rsvp.checked_in_at = None
    # Nobody jumps the queue: while anyone is waiting, a new reply waits behind them.
    if fits and not someone_waiting:
        Event.objects.filter(pk=event.pk).update(confirmed_places=F("confirmed_places") + places)
        event.confirmed_places += places
        rsvp.status = RSVP.Status.CONFIRMED
        rsvp.confirmed_at = now
        rsvp.waitlist_ticket = None
        rsvp.waitlisted_at = None
        rsvp.save()
        email_queue(
            kind="events_rsvp_confirmed",
            to_email=member.email,
            user=member,
            dedupe_key=f"events_confirmed:{rsvp.pk}:{now.timestamp():.6f}",
            payload={"rsvp": rsvp.pk},
        )
        return RsvpResult(rsvp, True, _("You're going. We've emailed you the details."))
    rsvp.status = RSVP.Status.WAITLISTED
    rsvp.waitlist_ticket = _next_ticket(event)
    rsvp.waitlisted_at = now
    rsvp.confirmed_at = None
    rsvp.save()
    email_queue(
        kind="events_waitlisted",
        to_email=member.email,
        user=member,
        dedupe_key=f"events_waitlisted:{rsvp.pk}:{rsvp.waitlist_ticket}",
        payload={"rsvp": rsvp.pk},
    )
    return RsvpResult(rsvp, True, _waiting_message(rsvp))


def _next_ticket(event: Event) -> int:
    """The next ticket from the event's counter; the UPDATE holds the row until commit."""
    Event.objects.filter(pk=event.pk).update(
        waitlist_tickets_issued=F("waitlist_tickets_issued") + 1
    )
    ticket = Event.objects.filter(pk=event.pk).values_list("waitlist_tickets_issued", flat=True)
    event.waitlist_tickets_issued = ticket.get()
    return event.waitlist_tickets_issued


def waitlist_position(rsvp: RSVP) -> int | None:
    """1 for the head of the queue: one more than the number of people ahead."""
    if rsvp.status != RSVP.Status.WAITLISTED or rsvp.waitlist_ticket is None:
        return None
    ahead = RSVP.objects.filter(
        event_id=rsvp.event_id,
        status=RSVP.Status.WAITLISTED,
        waitlist_ticket__lt=rsvp.waitlist_ticket,
    ).count()
    return ahead + 1


def _waiting_message(rsvp: RSVP) -> str:
    return _(
        "The event is full, so you're on the waitlist at number %(position)d. If a place "
        "frees up you'll be moved in automatically and we'll email you."
    ) % {"position": waitlist_position(rsvp)}


def _change_guests(
    *, event: Event, rsvp: RSVP, guests: int, share_contact: bool | None, now: datetime
) -> RsvpResult:
    delta = guests - rsvp.guests
    if delta > 0:
        if RSVP.objects.filter(event=event, status=RSVP.Status.WAITLISTED).exists():
            raise RsvpError(
                _("People are waiting for places, so guests can't be added now. Sorry!")
            )
        if event.capacity is not None and event.confirmed_places + delta > event.capacity:
            raise RsvpError(
                ngettext(
                    "There's only %(n)d place left, so you can't add that many guests.",
                    "There are only %(n)d places left, so you can't add that many guests.",
                    event.places_left or 0,
                )
                % {"n": event.places_left}
            )
    if delta:
        Event.objects.filter(pk=event.pk).update(confirmed_places=F("confirmed_places") + delta)
        event.confirmed_places += delta
    changed = _update_details(rsvp, guests=guests, share_contact=share_contact, now=now)
    promoted = waitlist_promote(event=event, now=now) if delta < 0 else []
    if not changed:
        return RsvpResult(rsvp, False, _("You're already going."))
    if delta:
        message = ngettext(
            "Done: you're going with %(n)d guest.", "Done: you're going with %(n)d guests.", guests
        ) % {"n": guests}
        if not guests:
            message = _("Done: you're going on your own.")
        return RsvpResult(rsvp, True, message, promoted)
    return RsvpResult(rsvp, True, _("Saved."), promoted)


def _release(*, event: Event, rsvp: RSVP | None, member: User, now: datetime) -> RsvpResult:
    if rsvp is None:
        rsvp = RSVP.objects.create(
            event=event, member=member, status=RSVP.Status.DECLINED, created_at=now, updated_at=now
        )
        return RsvpResult(rsvp, True, _("Thanks for letting us know you can't come."))
    if rsvp.status in (RSVP.Status.DECLINED, RSVP.Status.CANCELLED):
        return RsvpResult(rsvp, False, _("You've already said you can't come."))
    if event.has_started(now=now):
        raise RsvpError(_("This event has already started, so your reply can't change now."))
    was_going = rsvp.status == RSVP.Status.CONFIRMED
    if was_going:
        Event.objects.filter(pk=event.pk).update(
            confirmed_places=F("confirmed_places") - rsvp.places
        )
        event.confirmed_places -= rsvp.places
    rsvp.status = RSVP.Status.CANCELLED
    rsvp.waitlist_ticket = None
    rsvp.updated_at = now
    rsvp.save(update_fields=["status", "waitlist_ticket", "updated_at"])
    promoted = waitlist_promote(event=event, now=now)
    if was_going:
        message = _("Thanks for letting us know: your place has gone to someone else.")
        if not promoted:
            message = _("Thanks for letting us know: your place is free for someone else.")
    else:
        message = _("You've left the waitlist.")
    return RsvpResult(rsvp, True, message, promoted)


def waitlist_promote(*, event: Event, now: datetime | None = None) -> list[RSVP]:
    """Move people in from the head of the waitlist while their party fits; returns them.

    Call inside the transaction that holds the event's row lock, after anything that frees
    places. Strictly FIFO: it stops at the first person whose party doesn't fit. Each
    promotion queues one email, keyed by the waitlist ticket, so it is sent exactly once.
    """
    now = now or timezone.now()
    if event.is_cancelled or not event.is_published or event.has_started(now=now):
        return []
    free = None if event.capacity is None else event.capacity - event.confirmed_places
    if free is not None and free <= 0:
        return []
    promoted: list[RSVP] = []
    taken = 0
    for rsvp in RSVP.objects.filter(event=event).in_queue_order().select_related("member"):
        if free is not None and rsvp.places > free - taken:
            break
        ticket = rsvp.waitlist_ticket
        rsvp.status = RSVP.Status.CONFIRMED
        rsvp.waitlist_ticket = None
        rsvp.confirmed_at = now
        rsvp.promoted_at = now
        rsvp.updated_at = now
        rsvp.save(
            update_fields=["status", "waitlist_ticket", "confirmed_at", "promoted_at", "updated_at"]
        )
        taken += rsvp.places
        promoted.append(rsvp)
        email_queue(
            kind="events_promoted",
            to_email=rsvp.member.email,
            user=rsvp.member,
            dedupe_key=f"events_promoted:{rsvp.pk}:{ticket}",
            payload={"rsvp": rsvp.pk},
        )
    if taken:
        Event.objects.filter(pk=event.pk).update(confirmed_places=F("confirmed_places") + taken)
        event.confirmed_places += taken
    return promoted


def check_in_is_open(*, event: Event, now: datetime | None = None) -> bool:
    """Check-in opens `CHECK_IN_OPENS` before the start, and stays open from then on."""
    return (now or timezone.now()) >= event.starts_at - CHECK_IN_OPENS


@transaction.atomic(durable=True)
def rsvp_check_in(*, rsvp: RSVP, attended: bool | None, now: datetime | None = None) -> RSVP:
    """Mark a confirmed member as there (True), a no-show (False), or undo (None).

    Raises `CheckInNotOpen` before check-in opens (`CHECK_IN_OPENS` before the start), and
    `RsvpError` for anyone who isn't going.
    """
    now = now or timezone.now()
    rsvp = RSVP.objects.select_for_update(of=("self",)).select_related("event").get(pk=rsvp.pk)
    if not check_in_is_open(event=rsvp.event, now=now):
        raise CheckInNotOpen(_("Check-in opens three hours before the start."))
    if rsvp.status != RSVP.Status.CONFIRMED:
        raise RsvpError(_("Only people who are going can be checked in."))
    rsvp.attended = attended
    rsvp.checked_in_at = now if attended else None
    rsvp.updated_at = now
    rsvp.save(update_fields=["attended", "checked_in_at", "updated_at"])
    return rsvp


def member_rsvps_release(*, member: User) -> int:
    """Give back the places of a member who is leaving (their account is being deleted)."""
    now = timezone.now()
    count = 0
    open_replies = RSVP.objects.filter(
        member=member,
        status__in=[RSVP.Status.CONFIRMED, RSVP.Status.WAITLISTED],
        event__starts_at__gt=now,
    ).select_related("event")
    for rsvp in open_replies:
        rsvp_respond(event=rsvp.event, member=member, response="no", now=now)
        count += 1
    return count
