import uuid
from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext

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

    def get_signup_redirect_url(self, request) -> str:
        """Where a new member lands once signed in (by the confirmation link, in the browser
        that signed up): the first step of setting up, their profile."""
        return reverse("members:profile")

    def get_email_verification_redirect_url(self, email_address) -> str:
        """After the confirmation link's button, when it did not sign anyone in."""
        if self.request.user.is_authenticated:
            # A member confirmed a new address for their account: back to their addresses.
            return reverse("account_email")
        login = reverse("account_login")
        if email_address.user.last_login is None:
            # A new member, confirming on another device or later: sign in, then set up.
            return f"{login}?{urlencode({'next': self.get_signup_redirect_url(self.request)})}"
        return login

    def get_reauthentication_methods(self, user) -> list[dict]:
        """The ways to "confirm it's you", named as our pages name them."""
        names = {
            "account_reauthenticate": gettext("Use my password"),
            "account_request_reauthentication_code": gettext("Email me a code"),
            "mfa_reauthenticate": gettext("Use my authenticator app or a recovery code"),
            "mfa_reauthenticate_webauthn": gettext("Use my passkey"),
        }
        urls = {reverse(name): description for name, description in names.items()}
        return [
            {**method, "description": urls.get(method["url"], method["description"])}
            for method in super().get_reauthentication_methods(user)
        ]

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        """Wrong passwords count per client and account ("login_failed" in ACCOUNT_RATE_LIMITS),
        so guessing from elsewhere never locks the owner out."""
        account = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{client_ip(request)}:{account}"

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Account mail (confirmations, resets) goes through the outbox, with an HTML part.

        The templates (templates/account/email/, templates/mfa/email/) speak as Mutual: the
        site's name from settings, never the host the request came to.
        """
        from allauth.core import context as allauth_context

        # The adapter knows its request even in an on-commit callback, after allauth's context.
        request = self.request or allauth_context.request
        message = self.render_mail(
            template_prefix,
            email,
            {"request": request, "email": email, **site_context(request), **context},
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


def site_context(request) -> dict:
    """What account emails call the site (from settings, never the host asked), and the links
    they offer, made as allauth makes its own (the request's address, or SITE_URL without one).
    """
    from allauth.utils import build_absolute_uri

    def link(name: str) -> str:
        path = reverse(name)
        return build_absolute_uri(request, path) if request else f"{settings.SITE_URL}{path}"

    return {
        "site_name": settings.SITE_NAME,
        # allauth's own templates read `current_site.name` ("Hello from …!").
        "current_site": SimpleNamespace(
            name=settings.SITE_NAME, domain=urlsplit(settings.SITE_URL).netloc
        ),
        "sign_in_url": link("account_login"),
        "forgot_password_url": link("account_reset_password"),
        "security_url": link("mfa_index"),
    }


class MFAAdapter(DefaultMFAAdapter):
    """Authenticator apps and passkeys name the site as Mutual, not by its host name."""

    def _get_site_name(self) -> str:
        return settings.SITE_NAME

    def generate_authenticator_name(self, user, kind) -> str:
        """The name a new passkey is offered ("Passkey", "Passkey 2"…); the member may change it."""
        from allauth.mfa.models import Authenticator

        count = Authenticator.objects.filter(user_id=user.pk, type=kind).count()
        return gettext("Passkey") if count == 0 else gettext("Passkey %(n)d") % {"n": count + 1}
