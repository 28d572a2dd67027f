"""Organisers inviting people to an event, without ever spamming anyone.

The same plan serves the preview and the send: who would be invited, and how many are
skipped and why. Nobody is invited twice to the same event (a unique (event, address) row),
members who haven't opted in to event invitations are skipped, as is any address that
unsubscribed or bounced, and one organiser sends at most `DAILY_CAP` invitations a day (their
user row is locked while they send, so two tabs can't both spend the same allowance). The
outbox checks consent and suppression once more at send time.

The preview never tells an organiser whether a pasted address belongs to a member: the
reasons it gives are the same for members and non-members.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.models import RSVP, Event, EventInvite
from groups.models import GroupMembership
from members.email_streams import Stream
from members.models import AddressOptOut, Membership, Profile, SuppressedAddress, User
from members.selectors import users_receiving
from members.services.email import email_queue_many

DAILY_CAP = 200
MAX_PASTED = 500
NOTE_MAX = 500

REASONS = {
    "invited": _("already invited to this event or already replied"),
    "no_consent": _("haven't agreed to event invitations by email, or unsubscribed"),
    "bounced": _("email bounced or was reported, so we no longer write to it"),
    "over_cap": _("over your daily limit of %(cap)d invitations") % {"cap": DAILY_CAP},
    "yourself": _("that's you"),
}


@dataclass
class Candidate:
    email: str
    member_id: int | None
    source: str


@dataclass
class InvitePlan:
    recipients: list[Candidate] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    invalid: list[str] = field(default_factory=list)
    sent_today: int = 0

    @property
    def remaining_today(self) -> int:
        return max(DAILY_CAP - self.sent_today, 0)

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


def sent_today(*, sender: User, now: datetime | None = None) -> int:
    now = now or timezone.now()
    return EventInvite.objects.filter(invited_by=sender, created_at__gte=_day_start(now)).count()


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
    set-based queries, whatever the audience size)."""
    now = now or timezone.now()
    plan = InvitePlan(sent_today=sent_today(sender=sender, now=now))
    pasted, plan.invalid = parse_addresses(addresses)
    candidates: dict[str, Candidate] = {}

    members_by_email = dict(
        User.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=pasted, is_active=True)
        .values_list("email_lower", "pk")
    )
    for email in pasted:
        candidates.setdefault(
            email, Candidate(email, members_by_email.get(email), EventInvite.Source.ADDRESS)
        )
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

    emails = list(candidates)
    member_ids = [c.member_id for c in candidates.values() if c.member_id]
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

    for candidate in candidates.values():
        if candidate.member_id == sender.pk or candidate.email == sender.email.lower():
            plan.skip("yourself")
        elif candidate.email in invited or candidate.member_id in replied:
            plan.skip("invited")
        elif candidate.email in suppressed:
            plan.skip("bounced")
        elif (
            candidate.member_id not in consenting
            if candidate.member_id
            else candidate.email in opted_out
        ):
            plan.skip("no_consent")
        elif len(plan.recipients) >= plan.remaining_today:
            plan.skip("over_cap")
        else:
            plan.recipients.append(candidate)
    return plan


@transaction.atomic
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
    """Record and queue the invitations the plan allows; returns the plan that was sent."""
    now = now or timezone.now()
    # One organiser's sends run one at a time, so the daily limit can't be overspent.
    User.objects.select_for_update().filter(pk=sender.pk).first()
    plan = invite_plan(
        event=event,
        sender=sender,
        group_members=group_members,
        interest_matches=interest_matches,
        addresses=addresses,
        now=now,
    )
    if not plan.recipients:
        return plan
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
    return plan
