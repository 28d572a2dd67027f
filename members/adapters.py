import uuid

from allauth.account.adapter import DefaultAccountAdapter
from django.db import transaction

from core.ratelimit import client_ip
from mail.emails import html_from_text
from mail.services import email_send_now
from members.models import User
from members.services import profile_create
from members.services.addresses import address_unverified_claims_release


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        with transaction.atomic():
            if commit:
                # An address someone else holds unconfirmed never blocks its owner.
                address_unverified_claims_release(email=form.cleaned_data["email"])
            user = super().save_user(request, user, form, commit=commit)
            if commit:
                # The name the member chose; nothing public is made from the address.
                profile_create(user=user, display_name=form.cleaned_data.get("display_name", ""))
        return user

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        """Wrong passwords count per client and account ("login_failed" in ACCOUNT_RATE_LIMITS),
        so guessing from elsewhere never locks the owner out."""
        account = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{client_ip(request)}:{account}"

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Account mail (confirmations, resets) goes through the outbox, with an HTML part."""
        from allauth.core import context as allauth_context
        from django.contrib.sites.shortcuts import get_current_site

        # The adapter knows its request even in an on-commit callback, after allauth's context.
        request = self.request or allauth_context.request
        message = self.render_mail(
            template_prefix,
            email,
            {"request": request, "email": email, "current_site": get_current_site(request)}
            | context,
        )
        html = next(
            (
                body
                for body, mimetype in getattr(message, "alternatives", [])
                if mimetype == "text/html"
            ),
            None,
        )
        email_send_now(
            kind="prerendered",
            to_email=email,
            user=User.objects.filter(email__iexact=email).first(),
            dedupe_key=f"account:{template_prefix}:{uuid.uuid4().hex}",
            payload={
                "subject": message.subject,
                "text": message.body,
                "html": html or html_from_text(message.body),
            },
        )
