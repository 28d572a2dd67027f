"""Organisers' writes: creating, editing, publishing, cancelling, duplicating and messaging.

Every save goes through `event_save`, from the site's form and the admin alike: it locks the
event row, keeps the counters the RSVP services own, refuses fewer places than are taken,
and promotes from the waitlist when places were added.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from audit import services as audit
from audit.models import Action
from events.models import RESERVED_SLUGS, RSVP, Event, EventMessage, EventSpeaker
from events.services.rsvp import waitlist_promote
from experts.models import Expert
from mail.services import email_queue_many
from members.models import Interest, User
from members.staff import actor_kind_of

# Fields whose change makes calendars (RFC 5545 SEQUENCE) and attendees need to hear of it.
WHEN_AND_WHERE = ("starts_at", "ends_at", "venue_name", "venue_address", "city", "online_url")
# What the audit log compares before and after a save (the counters are the RSVPs' own).
AUDITED_FIELDS = (
    "title",
    "slug",
    "group",
    "description",
    "cover",
    *WHEN_AND_WHERE,
    "rsvp_deadline",
    "capacity",
    "guests_allowed",
    "is_published",
)


class EventError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def event_slug_for(*, title: str, starts_at: datetime) -> str:
    """A readable, unused address: the title and the local date, numbered if taken."""
    base = slugify(title)[:120].strip("-") or "event"
    base = f"{base}-{timezone.localtime(starts_at):%Y-%m-%d}"
    slug, n = base, 2
    while slug in RESERVED_SLUGS or Event.objects.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


def event_save(
    *,
    event: Event,
    by: User | None = None,
    interests: Iterable[Interest] | None = None,
    speakers: Iterable[Expert] | None = None,
) -> tuple[Event, list[str]]:
    """Create or update `event`; returns it and the names of the when-and-where fields changed.

    Raises `ValidationError` (on `capacity`) if fewer places than are already taken are
    asked for. More places promote people from the waitlist at once. Each save that changes
    something leaves one audit entry, as `by` (staff or the group's organiser; None: the
    system). Not durable: the admin's form and `event_duplicate` call it inside their own
    transaction.
    """
    for attempt in range(3):
        try:
            with transaction.atomic():
                return _save_locked(event=event, by=by, interests=interests, speakers=speakers)
        except IntegrityError:
            if event.pk or attempt == 2:  # only a new event's slug can collide
                raise
            event.slug = ""
    raise AssertionError("unreachable")


def _save_locked(
    *,
    event: Event,
    by: User | None,
    interests: Iterable[Interest] | None,
    speakers: Iterable[Expert] | None,
) -> tuple[Event, list[str]]:
    changed: list[str] = []
    before: dict[str, Any] | None = None
    if event.pk:
        current = Event.objects.select_for_update().get(pk=event.pk)
        before = _audit_snapshot(current)
        # The RSVP services own these: never write back what a form loaded minutes ago.
        for name in ("confirmed_places", "waitlist_tickets_issued", "sequence"):
            setattr(event, name, getattr(current, name))
        event.is_cancelled, event.cancelled_at = current.is_cancelled, current.cancelled_at
        if event.capacity is not None and event.capacity < current.confirmed_places:
            raise ValidationError(
                {
                    "capacity": _(
                        "%(taken)s places are already taken, so there must be at least %(taken)s."
                    )
                    % {"taken": current.confirmed_places}
                }
            )
        changed = [
            name for name in WHEN_AND_WHERE if getattr(event, name) != getattr(current, name)
        ]
        if changed:
            event.sequence += 1
        event.save()
    else:
        if not event.slug:
            event.slug = event_slug_for(title=event.title, starts_at=event.starts_at)
        if by is not None and event.created_by_id is None:
            event.created_by = by
        event.save()
    if interests is not None:
        event.interests.set(interests)
    if speakers is not None:
        event_set_speakers(event=event, experts=speakers)
    _audit_save(event=event, by=by, before=before)
    waitlist_promote(event=event)
    return event, changed


def _audit_snapshot(event: Event) -> dict[str, Any]:
    return {
        **audit.snapshot(event, AUDITED_FIELDS),
        "interests": sorted(event.interests.values_list("pk", flat=True)),
        "speakers": list(event.speaker_links.order_by("position").values_list("expert", flat=True)),
    }


def _audit_save(*, event: Event, by: User | None, before: dict[str, Any] | None) -> None:
    """One entry per save: created; else published or unpublished if that changed; else
    changed, with only the fields that did. A save that changes nothing leaves none."""
    after = _audit_snapshot(event)
    if before is None:
        action, was, now_is = Action.EVENT_CREATED, None, after
    else:
        was, now_is = audit.changes(before, after)
        if not now_is:
            return
        action = Action.EVENT_CHANGED
        if "is_published" in now_is:
            published = now_is["is_published"]
            action = Action.EVENT_PUBLISHED if published else Action.EVENT_UNPUBLISHED
    _audit(event=event, by=by, action=action, before=was, after=now_is)


def _audit(
    *,
    event: Event,
    by: User | None,
    action: Action,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    reason: str = "",
) -> None:
    audit.record(
        actor=by,
        # Only staff and the group's organisers reach these services (`can_manage`).
        actor_kind=actor_kind_of(by),
        action=action,
        target=event,
        target_repr=f"event “{event.title}” ({timezone.localtime(event.starts_at):%Y-%m-%d})",
        before=before,
        after=after,
        reason=reason,
    )


def event_set_speakers(*, event: Event, experts: Iterable[Expert]) -> None:
    """Make `experts` the event's speakers, in the given order."""
    experts = list(experts)
    EventSpeaker.objects.filter(event=event).exclude(expert__in=experts).delete()
    existing = {link.expert_id: link for link in EventSpeaker.objects.filter(event=event)}
    for position, expert in enumerate(experts):
        link = existing.get(expert.pk)
        if link is None:
            EventSpeaker.objects.create(event=event, expert=expert, position=position)
        elif link.position != position:
            link.position = position
            link.save(update_fields=["position"])


@transaction.atomic(durable=True)
def event_publish(*, event: Event, by: User | None = None) -> bool:
    """Publish a draft; returns False if it was already published.

    Raises `EventError` for a cancelled event, which stays as it is.
    """
    current = Event.objects.select_for_update().get(pk=event.pk)
    if current.is_cancelled:
        raise EventError(_("A cancelled event can't be published."))
    updated = Event.objects.filter(pk=event.pk, is_published=False).update(
        is_published=True, updated_at=timezone.now()
    )
    event.is_published = True
    if updated:
        _audit(
            event=current,
            by=by,
            action=Action.EVENT_PUBLISHED,
            before={"is_published": False},
            after={"is_published": True},
        )
    return bool(updated)


@transaction.atomic(durable=True)
def event_cancel(*, event: Event, by: User | None = None, reason: str = "") -> int:
    """Cancel the event and tell everyone who said yes or is waiting; returns how many.

    Idempotent: cancelling again does nothing. Replies are kept as they were, so members'
    histories and calendar feeds show the event as cancelled.
    """
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.is_cancelled:
        return 0
    now = timezone.now()
    event.is_cancelled = True
    event.cancelled_at = now
    event.cancel_reason = reason.strip()
    event.sequence += 1
    event.save(
        update_fields=["is_cancelled", "cancelled_at", "cancel_reason", "sequence", "updated_at"]
    )
    _audit(
        event=event,
        by=by,
        action=Action.EVENT_CANCELLED,
        before={"is_cancelled": False},
        after={"is_cancelled": True},
        reason=event.cancel_reason,
    )
    people = list(
        RSVP.objects.filter(
            event=event, status__in=[RSVP.Status.CONFIRMED, RSVP.Status.WAITLISTED]
        ).values_list("member_id", "member__email")
    )
    email_queue_many(
        [
            {
                "kind": "events_cancelled",
                "to_email": email,
                "user_id": member_id,
                "stream": "",
                "dedupe_key": f"events_cancelled:{event.pk}:{member_id}",
                "payload": {"event": event.pk},
            }
            for member_id, email in people
        ]
    )
    return len(people)


@transaction.atomic(durable=True)
def event_duplicate(
    *, event: Event, by: User | None = None, shift: timedelta | None = None
) -> Event:
    """An unpublished copy a week later (by default), with the same speakers and interests."""
    shift = timedelta(days=7) if shift is None else shift
    copy = Event(
        title=event.title,
        description=event.description,
        group=event.group,
        starts_at=event.starts_at + shift,
        ends_at=event.ends_at + shift,
        venue_name=event.venue_name,
        venue_address=event.venue_address,
        city=event.city,
        online_url=event.online_url,
        capacity=event.capacity,
        guests_allowed=event.guests_allowed,
        rsvp_deadline=event.rsvp_deadline + shift if event.rsvp_deadline else None,
        is_published=False,
        created_by=by,
    )
    copy, _changed = event_save(
        event=copy,
        by=by,
        interests=list(event.interests.all()),
        speakers=[link.expert for link in event.speaker_links.select_related("expert")],
    )
    return copy


@transaction.atomic(durable=True)
def event_message_send(*, event: Event, sender: User, subject: str, body: str) -> EventMessage:
    """Email everyone going about a change (transactional: it's about their own plans).

    At most `EventMessage.PER_EVENT_PER_DAY` a day per event, so attendees aren't flooded;
    the event row lock makes two organisers sending at once count correctly.
    """
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.is_cancelled:
        raise EventError(_("This event is cancelled; everyone going was told when it was."))
    since = timezone.now() - timedelta(days=1)
    if (
        EventMessage.objects.filter(event=event, created_at__gte=since).count()
        >= EventMessage.PER_EVENT_PER_DAY
    ):
        raise EventError(
            ngettext(
                "You can send %(n)d message a day about an event. Please try again tomorrow.",
                "You can send %(n)d messages a day about an event. Please try again tomorrow.",
                EventMessage.PER_EVENT_PER_DAY,
            )
            % {"n": EventMessage.PER_EVENT_PER_DAY}
        )
    people = list(
        RSVP.objects.filter(event=event, status=RSVP.Status.CONFIRMED).values_list(
            "member_id", "member__email"
        )
    )
    message = EventMessage.objects.create(
        event=event,
        sender=sender,
        subject=" ".join(subject.split()),
        body=body.strip(),
        recipient_count=len(people),
    )
    email_queue_many(
        [
            {
                "kind": "events_message",
                "to_email": email,
                "user_id": member_id,
                "stream": "",
                "dedupe_key": f"events_message:{message.pk}:{member_id}",
                "payload": {"message": message.pk},
            }
            for member_id, email in people
        ]
    )
    return message
