"""Sign-in backends that load a member's membership and profile with them.

Every signed-in page asks "is this a paying member?" (the membership) and shows the member's
name in the header (the profile). Loading both with the user, in the query the session needs
anyway, saves two queries on every signed-in page. How people sign in is unchanged.
"""

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend

from members.models import User


def _with_member_rows():
    # A missing membership or profile is remembered as missing: no query to find that out.
    return User._default_manager.select_related("membership", "profile")


class _LoadsMemberRows:
    def get_user(self, user_id):
        try:
            user = _with_member_rows().get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    async def aget_user(self, user_id):
        try:
            user = await _with_member_rows().aget(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


class ModelBackend(_LoadsMemberRows, DjangoModelBackend):
    """Django's own backend, as before (`createsuperuser` accounts, the admin)."""


class AuthenticationBackend(_LoadsMemberRows, AllauthBackend):
    """allauth's backend, as before (members sign in with their email address)."""
