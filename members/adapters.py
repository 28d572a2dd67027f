from allauth.account.adapter import DefaultAccountAdapter
from django.db import transaction

from members.services import profile_create


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        with transaction.atomic():
            user = super().save_user(request, user, form, commit=commit)
            if commit:
                profile_create(user=user)
        return user
