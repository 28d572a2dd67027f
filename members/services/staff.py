"""Writes for staff accounts: who holds which role, and the one-time links that let staff
enrol a second factor."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from audit import services as audit
from audit.models import Action, ActorKind
from mail.services import email_queue
from members.models import StaffEnrolment, User
from members.staff import enrolment_address

# An account's roles, as the audit log records their changes.
ROLES = ("is_active", "is_staff", "is_superuser")
# A new account's roles, against which the first save is compared.
NEW_ACCOUNT_ROLES = {"is_active": True, "is_staff": False, "is_superuser": False}
if TYPE_CHECKING:
    from allauth.mfa.models import Authenticator
    from django.http import HttpRequest

ENROLMENT_VALID_FOR = timedelta(days=3)
# A fresh link at most this often, however often someone presses "send me a new link".
ENROLMENT_RESEND_AFTER = timedelta(minutes=5)


@transaction.atomic
def account_save_by_staff(*, user: User, by: User) -> User:
    """Save staff's edit of an account (the admin). A change to its roles (active, staff,
    superuser) is written to the audit log; newly granted staff status mails the account
    the link to set up its second factor. Not durable: the admin's form holds a transaction.
    """
    current = User.objects.select_for_update().filter(pk=user.pk).values(*ROLES).first()
    before = current if current is not None else NEW_ACCOUNT_ROLES
    user.save()
    was, now_is = audit.changes(before, {role: getattr(user, role) for role in ROLES})
    if now_is:
        audit.record(
            actor=by,
            actor_kind=ActorKind.STAFF,
            action=Action.ACCOUNT_ROLES_CHANGED,
            target=user,
            # By number: `User.__str__` is the address, which the log must not keep.
            target_repr=f"account #{user.pk}",
            before=was,
            after=now_is,
        )
    if now_is.get("is_staff"):
        # Their second factor can only be set up from the one-time link this mails them.
        staff_enrolment_send(user=user, reason=StaffEnrolment.Reason.GRANTED, granted_by=by)
    return user


@transaction.atomic
def staff_enrolment_send(
    *, user: User, reason: str, granted_by: User | None = None
) -> StaffEnrolment | None:
    """Mail `user` a fresh one-time link to set up their second factor; older links stop working.

    Called when staff status is granted (the admin, `createsuperuser`) and when a staff account
    without a second factor asks for a new link. The link goes only to the account's own
    verified address, so asking for one gains nobody else anything. Returns None (and sends
    nothing) for accounts that are not staff, already have a second factor, or have no address,
    and when one was sent in the last few minutes and this is only a request for another.
    """
    from allauth.mfa.utils import is_mfa_enabled

    user = User.objects.select_for_update().get(pk=user.pk)
    address = enrolment_address(user)
    if not user.is_staff or not user.is_active or not address or is_mfa_enabled(user):
        return None
    now = timezone.now()
    recent = StaffEnrolment.objects.filter(user=user, created_at__gt=now - ENROLMENT_RESEND_AFTER)
    if reason == StaffEnrolment.Reason.REQUESTED and recent.exists():
        return None
    StaffEnrolment.objects.filter(user=user).usable(now=now).update(revoked_at=now)
    enrolment = StaffEnrolment.objects.create(
        user=user,
        reason=reason,
        granted_by=granted_by,
        sent_to=address,
        expires_at=now + ENROLMENT_VALID_FOR,
    )
    email_queue(
        kind="staff_enrolment",
        to_email=address,
        user=user,
        dedupe_key=f"staff_enrolment:{enrolment.pk}",
        payload={"enrolment": enrolment.pk},
    )
    return enrolment


@transaction.atomic
def staff_enrolment_redeem(*, enrolment: StaffEnrolment, user: User) -> bool:
    """Use the link once (the caller then opens enrolment for that one session).

    False, changing nothing, if the link is someone else's, used, replaced or expired.
    """
    locked = StaffEnrolment.objects.select_for_update().filter(pk=enrolment.pk).usable().first()
    if locked is None or locked.user_id != user.pk or not user.is_staff:
        return False
    locked.used_at = timezone.now()
    locked.save(update_fields=["used_at"])
    return True


def authenticator_remove(*, request: HttpRequest, authenticator: Authenticator) -> None:
    """Remove an authenticator for its owner (staff in the admin, after a lost phone), with
    allauth's clean-up of recovery codes left alone, and tell the owner by email."""
    from allauth.account.adapter import get_adapter
    from allauth.mfa.base.internal.flows import delete_and_cleanup

    owner = authenticator.user
    kind = authenticator.get_type_display()
    with transaction.atomic():
        delete_and_cleanup(request, authenticator)
    get_adapter(request).send_notification_mail(
        "mfa/email/authenticator_removed_by_staff", owner, {"kind": kind}
    )
