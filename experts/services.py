"""Writes for experts: staff's edits to experts, members' requests for one, and their statuses.

Experts are curated by staff in the admin, whose saves go through `expert_save` (each
change is written to the audit log). Every change to a request is recorded in its own
history, and its emails are queued in the members outbox in the same transaction.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from audit import services as audit
from audit.models import Action, ActorKind
from billing.selectors import member_is_active
from core import faults
from experts.emails import MEMBER_KIND, STAFF_KIND
from experts.models import Expert, ExpertRequest, ExpertRequestStatusChange
from experts.validators import validate_future_event_date
from mail.services import email_queue, email_queue_many
from members.models import User
from members.staff import acts_as_staff

Status = ExpertRequest.Status


class InvalidStatusTransition(ValueError):
    """The request cannot move from its current status to the one asked for."""

    def __init__(self, request: ExpertRequest, status: str):
        self.request = request
        self.status = status
        super().__init__(
            _("A request that is “%(current)s” can't become “%(new)s”.")
            % {
                "current": request.get_status_display().lower(),
                "new": Status(status).label.lower(),
            }
        )


# What the audit log compares before and after staff edit an expert.
AUDITED_EXPERT_FIELDS = (
    "name",
    "slug",
    "headline",
    "bio",
    "photo",
    "availability",
    "is_published",
    "is_featured",
)


@transaction.atomic
def expert_save(*, expert: Expert, by: User | None = None) -> Expert:
    """Create or update an expert from staff's form (the change page or the list's
    published and featured boxes), leaving one audit entry for the change, as `by`.

    Created; else published or unpublished when that changed; else changed, with the
    fields that did. A save that changes nothing leaves none. Not durable: the admin calls
    it inside the transaction Django opens for the form.
    """
    current = Expert.objects.select_for_update().filter(pk=expert.pk).first() if expert.pk else None
    expert.save()
    after = audit.snapshot(expert, AUDITED_EXPERT_FIELDS)
    if current is None:
        action, was, now_is = Action.EXPERT_CREATED, None, after
    else:
        was, now_is = audit.changes(audit.snapshot(current, AUDITED_EXPERT_FIELDS), after)
        if not now_is:
            return expert
        action = Action.EXPERT_CHANGED
        if "is_published" in now_is:
            published = now_is["is_published"]
            action = Action.EXPERT_PUBLISHED if published else Action.EXPERT_UNPUBLISHED
    audit.record(
        actor=by,
        actor_kind=ActorKind.SYSTEM if by is None else ActorKind.STAFF,
        action=action,
        target=expert,
        target_repr=f"expert “{expert.name}”",
        before=was,
        after=now_is,
    )
    return expert


@transaction.atomic(durable=True)
def expert_request_create(
    *,
    member: User,
    expert: Expert,
    event_name: str,
    event_date: datetime.date,
    town: str,
    audience: int,
    topic: str,
    message: str,
) -> ExpertRequest:
    """File an active member's request for `expert`, and tell staff and the member.

    Raises `PermissionDenied` for anyone who is not an active member, and `ValidationError`
    (with a message to show) for a bad field, an unpublished expert, a duplicate, or a member
    who already has `MAX_OPEN_PER_MEMBER` open requests. The member's user row is locked
    while their open requests are counted, so concurrent submissions cannot pass the limit.
    """
    if not member_is_active(member):
        raise PermissionDenied("Only active members can ask for an expert.")
    if not expert.is_published:
        raise ValidationError(_("This expert isn't taking requests at the moment."))
    validate_future_event_date(event_date)

    User.objects.select_for_update().filter(pk=member.pk).values_list("pk", flat=True).get()
    open_count = ExpertRequest.objects.filter(member=member).open().count()
    if open_count >= ExpertRequest.MAX_OPEN_PER_MEMBER:
        raise ValidationError(
            _(
                "You already have %(count)d open requests, which is the most at any one time. "
                "Withdraw one, or wait until we have answered one, then ask again."
            )
            % {"count": open_count},
            code="open_limit",
        )
    faults.checked()  # a test holds the first of two racers here, inside the lock

    expert_request = ExpertRequest(
        member=member,
        expert=expert,
        event_name=event_name.strip(),
        event_date=event_date,
        town=town.strip(),
        audience=audience,
        topic=topic.strip(),
        message=message.strip(),
    )
    expert_request.full_clean()
    try:
        with transaction.atomic():
            expert_request.save()
    except IntegrityError as error:
        # Only a duplicate can get here: the member's own submissions are serialised above.
        raise ValidationError(
            _("You have already asked this expert to an event on that date; see your requests."),
            code="duplicate",
        ) from error
    _record_change(expert_request=expert_request, from_status="", to_status=Status.NEW, by=member)
    return expert_request


@transaction.atomic
def expert_request_set_status(
    *, request: ExpertRequest, status: str, by: User, note: str = ""
) -> ExpertRequest:
    """Move a request to `status`, record who did it and when, and email the member.

    Staff may make any allowed move; a member may only withdraw their own request. Setting the
    status it already has does nothing (so a repeated click is harmless). Declined and
    withdrawn are final: moving away from them raises `InvalidStatusTransition`.
    """
    status = Status(status)
    is_own_withdrawal = status == Status.WITHDRAWN and by.pk == request.member_id
    if not (acts_as_staff(by) or is_own_withdrawal):
        raise PermissionDenied("Only staff can change the status of a request.")

    locked = ExpertRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status == status:
        _refresh(request, locked)
        return request
    if not locked.can_become(status):
        raise InvalidStatusTransition(locked, status)
    from_status = locked.status
    locked.status = status
    locked.save(update_fields=["status", "updated_at"])
    _record_change(
        expert_request=locked, from_status=from_status, to_status=status, by=by, note=note
    )
    _refresh(request, locked)
    return request


def expert_request_withdraw(*, request: ExpertRequest, member: User) -> ExpertRequest:
    """The member withdraws their own request (open or accepted)."""
    if request.member_id != member.pk:
        raise PermissionDenied("Members can only withdraw their own requests.")
    return expert_request_set_status(request=request, status=Status.WITHDRAWN, by=member)


def _refresh(request: ExpertRequest, locked: ExpertRequest) -> None:
    request.status = locked.status
    request.updated_at = locked.updated_at


def _record_change(
    *, expert_request: ExpertRequest, from_status: str, to_status: str, by: User, note: str = ""
) -> ExpertRequestStatusChange:
    """Append the change to the request's history and queue its emails.

    The member hears about every change to their request, including a receipt when they make
    it. Staff hear about new requests and withdrawals: those need someone to act.
    """
    change = ExpertRequestStatusChange.objects.create(
        request=expert_request,
        from_status=from_status,
        to_status=to_status,
        changed_by=by,
        note=note.strip(),
    )
    member = expert_request.member
    email_queue(
        kind=MEMBER_KIND,
        to_email=member.email,
        user=member,
        dedupe_key=f"expert_request:{change.pk}:member",
        payload={"change": change.pk},
    )
    if to_status in (Status.NEW, Status.WITHDRAWN):
        email_queue_many(
            [
                {
                    "kind": STAFF_KIND,
                    "to_email": person.email,
                    "user": person,
                    "dedupe_key": f"expert_request:{change.pk}:staff:{person.pk}",
                    "payload": {"change": change.pk},
                }
                for person in User.objects.filter(is_staff=True, is_active=True).order_by("pk")
            ]
        )
    return change
