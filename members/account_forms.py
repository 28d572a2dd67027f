"""allauth's sign-up and password-reset forms, with our rules about unconfirmed addresses,
and its passkey forms, in our words and refusing a malformed passkey answer cleanly.

Separate from members/forms.py, which allauth imports while building these base classes.
"""

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import ResetPasswordForm as AllauthResetPasswordForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.webauthn.forms import (
    AddWebAuthnForm,
    AuthenticateWebAuthnForm,
    LoginWebAuthnForm,
    ReauthenticateWebAuthnForm,
)
from django.utils.translation import gettext_lazy as _

from members.models import User
from members.services.addresses import address_confirmed_by, address_held_unverified_only


class SignupForm(AllauthSignupForm):
    account_already_exists: bool  # allauth's (it has no type hints)

    def validate_unique_email(self, value) -> str:
        email = super().validate_unique_email(value)
        if self.account_already_exists and address_held_unverified_only(email=email):
            # Someone else put this address on their account without confirming it; its
            # owner signs up normally and that claim is dropped (AccountAdapter.save_user).
            self.account_already_exists = False
        return email


class LoginForm(AllauthLoginForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "remember" in self.fields:
            self.fields["remember"].label = _("Keep me signed in on this device")


class ResetPasswordForm(AllauthResetPasswordForm):
    users: list[User]  # allauth's (it has no type hints)

    def clean_email(self) -> str:
        email = super().clean_email()
        # Never mail a reset link for an account that has not confirmed this address: it
        # could be someone else's address added to a squatter's account. With nobody left,
        # allauth answers as for an unknown address.
        self.users = address_confirmed_by(email=email, users=self.users)
        return email


# allauth parses a passkey's answer with fido2, which raises KeyError (a field missing),
# AttributeError (not an object) or TypeError where allauth expects ValueError: a made-up
# answer would be a server error instead of "incorrect code".
MALFORMED = (AttributeError, KeyError, TypeError)


def incorrect_passkey():
    """allauth's own answer to a passkey that doesn't check out ("Incorrect code.")."""
    return get_mfa_adapter().validation_error("incorrect_code")


class RefusesMalformedPasskeys:
    def clean_credential(self):
        try:
            return super().clean_credential()
        except MALFORMED as error:
            raise incorrect_passkey() from error


class AuthenticatePasskeyForm(RefusesMalformedPasskeys, AuthenticateWebAuthnForm):
    """The second step at sign-in, with a passkey."""


class LoginPasskeyForm(RefusesMalformedPasskeys, LoginWebAuthnForm):
    """Signing in with a passkey alone."""


class ReauthenticatePasskeyForm(RefusesMalformedPasskeys, ReauthenticateWebAuthnForm):
    """Confirming it's you with a passkey."""


class AddPasskeyForm(AddWebAuthnForm):
    """allauth's "add a security key", in our words: a passkey that signs the member in on its
    own (allauth then requires the device's fingerprint, face or PIN), unless they untick it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].label = _("Name")
        self.fields["name"].help_text = _("So you can tell your passkeys apart, e.g. “My phone”.")
        passwordless = self.fields["passwordless"]
        passwordless.initial = True
        passwordless.label = _("Let this passkey sign me in on its own")
        passwordless.help_text = _(
            "Untick it for a security key you only want as the step after your password."
        )

    def clean(self) -> dict:
        try:
            return super().clean()
        except MALFORMED as error:
            raise incorrect_passkey() from error
