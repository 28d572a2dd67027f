from allauth.account.authentication import get_authentication_records
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _


class StaffMFAMiddleware:
    """Staff reach `/admin/` only after signing in with a second factor.

    A staff member without MFA is sent to set it up; one whose session was opened without
    the second factor is asked for it again. With `DEBUG` on, the demo admin may skip this,
    and the admin shows a banner saying so.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/admin/") and request.user.is_authenticated:
            response = self.check(request)
            if response is not None:
                return response
        return self.get_response(request)

    def check(self, request):
        user = request.user
        if not user.is_staff:
            return None
        if settings.DEBUG and user.email == settings.DEMO_ADMIN_EMAIL:
            request.admin_mfa_skipped = not session_used_mfa(request)
            return None
        next_query = urlencode({"next": request.get_full_path()})
        if not is_mfa_enabled(user):
            messages.warning(
                request,
                _("Staff must turn on two-factor authentication before using the admin."),
            )
            return redirect(f"{reverse('mfa_activate_totp')}?{next_query}")
        if not session_used_mfa(request):
            messages.info(request, _("Confirm it's you with your authenticator to open the admin."))
            return redirect(f"{reverse('mfa_reauthenticate')}?{next_query}")
        return None


def session_used_mfa(request) -> bool:
    return any(
        record.get("method") == "mfa"
        for record in get_authentication_records(request, request.user)
    )
