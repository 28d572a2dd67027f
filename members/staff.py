"""Staff powers: one answer to "may this request use staff privilege?".

Being on the staff (`is_staff`) is not enough. A request carries staff powers only when the
account is on the staff, has a second factor, and this session was opened (or confirmed) with
it: an authenticator app's code, a recovery code or a passkey (signing in with a passkey alone
counts, see `session_used_mfa`); with `DEBUG` on, the demo admin is the documented exception.
The admin, the organiser tools at `/events/<slug>/…`, moderation, and previews of unpublished
groups and experts all ask the same question, so no page can take a password alone for staff.

`StaffMFAMiddleware` works the answer out once per request and leaves it on `request.user`
as `staff_powers` (an attribute of that one object, never saved); selectors and services that
take a user read it through `acts_as_staff`. A user object that did not come from a request
(a task, the shell) has no staff powers: code there never acts for staff.
"""

from __future__ import annotations

import time

from allauth.account.authentication import get_authentication_records
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.core import signing

from audit.models import ActorKind

STAFF_POWERS = "staff_powers"


def session_used_mfa(request, user=None) -> bool:
    """Did this session sign in, or confirm it's them, with the second factor?

    allauth records each way the session proved who it is. Any "mfa" record counts: an
    authenticator app's code or a recovery code after the password, a passkey used as the
    second step or to confirm it's them, and a passkey used alone to sign in ("passwordless"),
    for which allauth requires user verification (the device's fingerprint, face or PIN), so
    the passkey is two factors in one.
    """
    return any(
        record.get("method") == "mfa"
        for record in get_authentication_records(request, user or request.user)
    )


def is_demo_admin(user) -> bool:
    """The `seed_demo` staff login, which may skip MFA while `DEBUG` is on (README)."""
    return bool(settings.DEBUG and user.email == settings.DEMO_ADMIN_EMAIL)


def staff_powers(request, user=None) -> bool:
    """Does this request carry staff powers? (Staff, signed in here with their second factor.)

    `user` is the request's user, passed while `request.user` is still being worked out.
    """
    user = user or request.user
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    if is_demo_admin(user):
        return True
    return session_used_mfa(request, user) and is_mfa_enabled(user)


def acts_as_staff(user) -> bool:
    """May `user` (the request's own user object) use staff privilege in this request?"""
    return bool(user.is_authenticated and user.is_staff and getattr(user, STAFF_POWERS, False))


def actor_kind_of(by) -> ActorKind:
    """Who `by` acts as in the audit log, where only staff and organisers reach the service:
    the system when there's no one, staff with staff powers, otherwise an organiser."""
    if by is None:
        return ActorKind.SYSTEM
    return ActorKind.STAFF if acts_as_staff(by) else ActorKind.ORGANISER


def with_staff_powers(user):
    """Mark `user` as acting with staff powers, for callers outside a request that have
    checked who they act for themselves (tests of services; a console command). Returns it."""
    setattr(user, STAFF_POWERS, bool(user.is_staff))
    return user


# --- Enrolling a second factor --------------------------------------------------------------

ENROLMENT_SALT = "members.staff-enrolment"
ENROLMENT_SESSION_KEY = "staff_enrolment"
# How long the session that opened an enrolment link may set up an authenticator.
ENROLMENT_SESSION_SECONDS = 30 * 60


def enrolment_token(enrolment) -> str:
    """The secret part of an enrolment link: the row, signed. The row says if it still works."""
    return signing.Signer(salt=ENROLMENT_SALT).sign(str(enrolment.pk))


def enrolment_from_token(token: str):
    """The `StaffEnrolment` a link names, or None if the signature is wrong."""
    from members.models import StaffEnrolment

    try:
        pk = int(signing.Signer(salt=ENROLMENT_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None
    return StaffEnrolment.objects.select_related("user").filter(pk=pk).first()


def enrolment_open(request, user) -> bool:
    """Did this session open a valid enrolment link for `user` in the last half hour?"""
    opened = request.session.get(ENROLMENT_SESSION_KEY) or {}
    return opened.get("user") == user.pk and opened.get("until", 0) > time.time()


def enrolment_session_start(request, user) -> None:
    """Let this session, and no other, set up `user`'s second factor for the next half hour."""
    request.session[ENROLMENT_SESSION_KEY] = {
        "user": user.pk,
        "until": time.time() + ENROLMENT_SESSION_SECONDS,
    }


def needs_enrolment_link(request, user) -> bool:
    """Staff without a second factor may add one only from a session that opened their link."""
    return (
        user.is_authenticated
        and user.is_staff
        and not is_demo_admin(user)
        and not is_mfa_enabled(user)
        and not enrolment_open(request, user)
    )


def enrolment_address(user) -> str:
    """Where enrolment links go: the account's own verified address, and nowhere else.

    An account made at the server's console (`createsuperuser`) has no address records yet;
    the operator typed its address there, so that one is used.
    """
    from allauth.account.models import EmailAddress

    addresses = list(EmailAddress.objects.filter(user=user))
    if not addresses:
        return user.email
    verified = [a for a in addresses if a.verified]
    primary = next((a for a in verified if a.primary), None) or next(iter(verified), None)
    return primary.email if primary else ""
