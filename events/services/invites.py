"""Organisers inviting people to an event, without ever spamming anyone.

The same plan serves the preview and the send: who would be invited, and how many are
skipped and why. Nobody is invited twice to the same event (a unique (event, address) row),
members who haven't opted in to event invitations are skipped, as is any address that
unsubscribed or bounced, and one organiser sends at most `DAILY_CAP` invitations a day (their
user row is locked while they send, so two tabs can't both spend the same allowance). The
outbox checks consent and suppression once more at send time.

Pasted addresses are told apart from nobody: the preview and the result count each one as
an invitation sent, whether it belongs to a member, to someone who declined invitations or
replied already, or to a stranger; those the rules skip are skipped silently, and still count
against the organiser's daily limit, so the "sent today" figure gives nothing away either.
Reasons are counted only for the group's members and interest matches, people the organiser
can already see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from billing.models import Membership
from events.models import RSVP, Event, EventInvite
from events.services.organising import EventError
from groups.models import GroupMembership
from mail.models import AddressOptOut, SuppressedAddress
from mail.selectors import users_receiving
from mail.services import email_queue_many
from mail.streams import Stream
from members.models import Profile, User

DAILY_CAP = 200
MAX_PASTED = 500
NOTE_MAX = 500
WITHHELD_KEPT_SECONDS = 2 * 24 * 60 * 60  # longer than the day they count for

REASONS = {
    "invited": _("already invited to this event or already replied"),
    "no_consent": _("haven't agreed to event invitations by email, or unsubscribed"),
    "bounced": _("email bounced or was reported, so we no longer write to it"),
    "over_cap": _("over your daily limit of %(cap)d invitations") % {"cap": DAILY_CAP},
    "yourself": _("that's you"),
}


class InvitesClosed(EventError):
    """Invitations go out only for published events that aren't cancelled and haven't started."""


def invites_check_open(*, event: Event, now: datetime | None = None) -> None:
    """Raise `InvitesClosed` unless invitations may go out for `event` now."""
    if event.is_cancelled or not event.is_published or event.has_started(now=now):
        raise InvitesClosed(
            gettext("Invitations can only go out for published events that haven't started.")
        )


@dataclass
class Candidate:
    email: str
    member_id: int | None
    source: str


@dataclass
class InvitePlan:
    """`recipients` are who really gets an email; `announced` is what the organiser is told
    will be (and was) sent: the eligible members plus every pasted address within the limit."""

    recipients: list[Candidate] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    invalid: list[str] = field(default_factory=list)
    sent_today: int = 0
    announced: int = 0

    @property
    def remaining_today(self) -> int:
        return max(DAILY_CAP - self.sent_today, 0)

    @property
    def withheld(self) -> int:
        """Pasted addresses announced as sent but skipped silently (they count as sent)."""
        return max(self.announced - len(self.recipients), 0)

    @property
    def skipped_reasons(self) -> list[tuple[str, int]]:
        """(reason in words, count), in a fixed order, for the preview."""
        return [(str(REASONS[key]), n) for key, n in self.skipped.items() if n]

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def parse_addresses(text: str) -> tuple[list[str], list[str]]:
    """Valid addresses (lower-cased, de-duplicated, in order) and the entries that aren't."""
    valid: list[str] = []
    invalid: list[str] = []
    seen: set[str] = set()
    for entry in re.split(r"[\s,;]+", text or ""):
        entry = entry.strip().strip("<>").lower()
        if not entry or entry in seen:
            continue
        seen.add(entry)
        try:
            validate_email(entry)
        except ValidationError:
            invalid.append(entry)
        else:
            valid.append(entry)
    return valid, invalid


def _day_start(now: datetime) -> datetime:
    """Midnight today in the site's time zone: the daily limit resets then."""
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _withheld_key(*, sender: User, now: datetime) -> str:
    return f"events:invites-withheld:{sender.pk}:{_day_start(now).date().isoformat()}"


def sent_today(*, sender: User, now: datetime | None = None) -> int:
    """Invitations this organiser sent today, counting the pasted addresses skipped silently
    (kept in the cache for the day): the figure must not reveal which addresses those were."""
    now = now or timezone.now()
    recorded = EventInvite.objects.filter(
        invited_by=sender, created_at__gte=_day_start(now)
    ).count()
    return recorded + int(cache.get(_withheld_key(sender=sender, now=now), 0))


def _withheld_add(*, sender: User, now: datetime, count: int) -> None:
    key = _withheld_key(sender=sender, now=now)
    cache.add(key, 0, timeout=WITHHELD_KEPT_SECONDS)
    try:
        cache.incr(key, count)
    except ValueError:  # expired between the two calls
        cache.set(key, count, timeout=WITHHELD_KEPT_SECONDS)


def invite_plan(
    *,
    event: Event,
    sender: User,
    group_members: bool = False,
    interest_matches: bool = False,
    addresses: str = "",
    now: datetime | None = None,
) -> InvitePlan:
    """Who would be invited now, and how many are skipped for each reason (a handful of
    set-based queries, whatever the audience size). Raises `InvitesClosed` for an event that
    isn't published, is cancelled or has started."""
    now = now or timezone.now()
    invites_check_open(event=event, now=now)
    plan = InvitePlan(sent_today=sent_today(sender=sender, now=now))
    pasted, plan.invalid = parse_addresses(addresses)
    # The group's members and interest matches, who the organiser can already see.
    candidates: dict[str, Candidate] = {}
    active = Membership.objects.active(now=now).values("user_id")
    if group_members and event.group_id:
        rows = (
            User.objects.filter(
                is_active=True,
                pk__in=GroupMembership.objects.filter(group_id=event.group_id).values("user_id"),
            )
            .filter(pk__in=active)
            .order_by("pk")
            .values_list("email", "pk")
        )
        for email, pk in rows:
            candidates.setdefault(email.lower(), Candidate(email.lower(), pk, "group"))
    if interest_matches:
        sharing = Profile.interests.through.objects.filter(
            interest__in=event.interests.values("pk")
        ).values("profile__user_id")
        rows = (
            User.objects.filter(is_active=True, pk__in=sharing)
            .filter(pk__in=active)
            .order_by("pk")
            .values_list("email", "pk")
        )
        for email, pk in rows:
            candidates.setdefault(email.lower(), Candidate(email.lower(), pk, "interests"))

    members_by_email = dict(
        User.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=pasted, is_active=True)
        .values_list("email_lower", "pk")
    )
    guests = [
        Candidate(email, members_by_email.get(email), EventInvite.Source.ADDRESS)
        for email in pasted
    ]

    everyone = [*candidates.values(), *guests]
    emails = list({c.email for c in everyone})
    member_ids = list({c.member_id for c in everyone if c.member_id})
    invited = set(
        EventInvite.objects.filter(event=event, email__in=emails).values_list("email", flat=True)
    )
    replied = set(
        RSVP.objects.filter(event=event, member_id__in=member_ids).values_list(
            "member_id", flat=True
        )
    )
    consenting = set(
        users_receiving(Stream.EVENT_INVITES).filter(pk__in=member_ids).values_list("pk", flat=True)
    )
    suppressed = {
        e.lower()
        for e in SuppressedAddress.objects.filter(email__in=emails).values_list("email", flat=True)
    }
    opted_out = {
        e.lower()
        for e in AddressOptOut.objects.filter(
            email__in=emails, stream=Stream.EVENT_INVITES
        ).values_list("email", flat=True)
    }

    def reason_to_skip(candidate: Candidate) -> str | None:
        if candidate.email in invited or candidate.member_id in replied:
            return "invited"
        if candidate.email in suppressed:
            return "bounced"
        if (
            candidate.member_id not in consenting
            if candidate.member_id
            else (candidate.email in opted_out)
        ):
            return "no_consent"
        return None

    def yourself(candidate: Candidate) -> bool:
        return candidate.member_id == sender.pk or candidate.email == sender.email.lower()

    for candidate in candidates.values():
        if yourself(candidate):
            plan.skip("yourself")
        elif reason := reason_to_skip(candidate):
            plan.skip(reason)
        elif plan.announced >= plan.remaining_today:
            plan.skip("over_cap")
        else:
            plan.recipients.append(candidate)
            plan.announced += 1
    # Pasted addresses: each one within the limit is announced as sent, whatever it is.
    chosen = {c.email for c in plan.recipients}
    for guest in guests:
        if yourself(guest):
            plan.skip("yourself")
        elif plan.announced >= plan.remaining_today:
            plan.skip("over_cap")
        else:
            plan.announced += 1
            if guest.email not in chosen and reason_to_skip(guest) is None:
                plan.recipients.append(guest)
                chosen.add(guest.email)
    return plan


@transaction.atomic(durable=True)
def invites_send(
    *,
    event: Event,
    sender: User,
    group_members: bool = False,
    interest_matches: bool = False,
    addresses: str = "",
    note: str = "",
    now: datetime | None = None,
) -> InvitePlan:
    """Record and queue the invitations the plan allows; returns the plan that was sent.

    Raises `InvitesClosed`, sending nothing, for an event that isn't published, is cancelled
    or has started (read again under its row lock, so a cancellation that is committing
    right now is seen).
    """
    now = now or timezone.now()
    # One organiser's sends run one at a time, so the daily limit can't be overspent.
    User.objects.select_for_update().filter(pk=sender.pk).first()
    event = Event.objects.select_for_update().get(pk=event.pk)
    plan = invite_plan(
        event=event,
        sender=sender,
        group_members=group_members,
        interest_matches=interest_matches,
        addresses=addresses,
        now=now,
    )
    if plan.recipients:
        _record_and_queue(event=event, sender=sender, plan=plan, note=note, now=now)
    if withheld := plan.withheld:
        transaction.on_commit(lambda: _withheld_add(sender=sender, now=now, count=withheld))
    return plan


def _record_and_queue(
    *, event: Event, sender: User, plan: InvitePlan, note: str, now: datetime
) -> None:
    EventInvite.objects.bulk_create(
        [
            EventInvite(
                event=event,
                email=c.email,
                member_id=c.member_id,
                invited_by=sender,
                source=c.source,
                created_at=now,
            )
            for c in plan.recipients
        ],
        # Another organiser inviting the same address this instant: theirs stands.
        ignore_conflicts=True,
    )
    ours = dict(
        EventInvite.objects.filter(
            event=event,
            invited_by=sender,
            created_at=now,
            email__in=[c.email for c in plan.recipients],
        ).values_list("email", "pk")
    )
    plan.recipients = [c for c in plan.recipients if c.email in ours]
    note = note.strip()[:NOTE_MAX]
    email_queue_many(
        [
            {
                "kind": "events_invite",
                "to_email": c.email,
                "user_id": c.member_id,
                "stream": Stream.EVENT_INVITES,
                "dedupe_key": f"events_invite:{event.pk}:{c.email}",
                "payload": {"invite": ours[c.email], "note": note},
            }
            for c in plan.recipients
        ]
    )
