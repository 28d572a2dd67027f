"""allauth's sign-up and password-reset forms, with our rules about unconfirmed addresses.

Separate from members/forms.py, which allauth imports while building these base classes.
"""

from allauth.account.forms import ResetPasswordForm as AllauthResetPasswordForm
from allauth.account.forms import SignupForm as AllauthSignupForm

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


class ResetPasswordForm(AllauthResetPasswordForm):
    users: list[User]  # allauth's (it has no type hints)

    def clean_email(self) -> str:
        email = super().clean_email()
        # Never mail a reset link for an account that has not confirmed this address: it
        # could be someone else's address added to a squatter's account. With nobody left,
        # allauth answers as for an unknown address.
        self.users = address_confirmed_by(email=email, users=self.users)
        return email
