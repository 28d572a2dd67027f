"""Staff in tests: staff powers need a second factor used in the session (members/staff.py)."""

import time

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.mfa.utils import is_mfa_enabled


def sign_in_with_mfa(client, user):
    """Sign `user` in as if with their password and their authenticator (turned on if needed)."""
    if not is_mfa_enabled(user):
        TOTP.activate(user, generate_totp_secret())
    client.force_login(user)
    session = client.session
    now = time.time()
    session["account_authentication_methods"] = [
        {"method": "password", "at": now, "email": user.email},
        {"method": "mfa", "at": now, "type": "totp"},
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()
    return client
