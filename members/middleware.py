from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.contrib.auth.middleware import get_user
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from members.staff import (
    STAFF_POWERS,
    is_demo_admin,
    needs_enrolment_link,
    session_used_mfa,
    staff_powers,
)
from members.staff_views import staff_enrolment_required

# allauth's pages that add a first authenticator: an app, or a passkey (security key). Staff
# without a second factor reach them only from the session that opened their emailed link.
ADDING_A_SECOND_FACTOR = frozenset({"mfa_activate_totp", "mfa_add_webauthn"})


class StaffMFAMiddleware:
    """Staff privilege only with a second factor used in this session.

    Every request's user carries `staff_powers` (see `members.staff`), which the organiser
    tools, moderation and previews read. The admin is gated on the view that was resolved
    (its URL namespace), never on the path, so a script prefix (`SCRIPT_NAME` from a proxy,
    `FORCE_SCRIPT_NAME`) cannot walk around the gate. A staff member without MFA is sent to
    set it up, which needs the one-time link mailed to them; one whose session was opened
    without the second factor is asked for it again. With `DEBUG` on, the demo admin may skip
    this, and the admin shows a banner saying so.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Still lazy: pages that never look at the user don't load it.
        request.user = SimpleLazyObject(lambda: self.with_powers(request))
        return self.get_response(request)

    @staticmethod
    def with_powers(request):
        user = get_user(request)  # AuthenticationMiddleware's user, cached on the request
        setattr(user, STAFF_POWERS, staff_powers(request, user))
        return user

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Only these views look at the user here, so other pages still load it lazily.
        match = request.resolver_match
        if match is None:
            return None
        if "admin" in match.app_names:
            return self.admin_gate(request) if request.user.is_authenticated else None
        if (
            match.url_name in ADDING_A_SECOND_FACTOR
            and not match.namespaces
            and needs_enrolment_link(request, request.user)
        ):
            return staff_enrolment_required(request)
        return None

    def admin_gate(self, request):
        user = request.user
        if not user.is_staff:
            return None  # the admin turns them away itself
        if is_demo_admin(user):
            request.admin_mfa_skipped = not session_used_mfa(request)
            return None
        if getattr(user, STAFF_POWERS, False):
            return None
        next_query = urlencode({"next": request.get_full_path()})
        if not is_mfa_enabled(user):
            messages.warning(
                request,
                _("Staff must turn on two-factor authentication before using the admin."),
            )
            return redirect(f"{reverse('mfa_activate_totp')}?{next_query}")
        messages.info(request, _("Confirm it's you with your authenticator to open the admin."))
        return redirect(f"{reverse('mfa_reauthenticate')}?{next_query}")
