"""Signing up, signing in and the account's emails, in Mutual's words (issue #18).

- The confirmation link signs the new member in, in the browser that signed up, and takes them
  to the first step of setting up (their profile); anywhere else it confirms and asks them to
  sign in.
- The member types their display name; nothing is made from their email address.
- Every email allauth can send speaks as Mutual (never "Hello from <host>!"), says why it came
  and what to do if it wasn't them, and signs off "— Mutual".
- Every allauth page people see has our heading, not allauth's generic one.
"""

from __future__ import annotations

import re
from pathlib import Path

import allauth
import pytest
from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.core import context as allauth_context
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.template.loader import get_template, render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from members.models import User
from tests.conftest import message_text
from tests.members.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = {
    "display_name": "Kit Marlowe",
    "email": "new.member@example.org",
    "password1": "a-long-enough-passphrase",  # pragma: allowlist secret
    "password2": "a-long-enough-passphrase",  # pragma: allowlist secret
}
PROFILE = "/settings/profile/"


def confirmation_path(inbox, address: str) -> str:
    [message] = inbox.to(address)
    match = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", message_text(message))
    assert match, message_text(message)
    return match.group(1)


# --- The confirmation link signs the new member in -------------------------------------------


def test_the_link_asks_first_then_signs_in_the_browser_that_signed_up_and_opens_the_profile(
    client, smtp_server
):
    client.post(reverse("account_signup"), SIGNUP)
    path = confirmation_path(smtp_server, SIGNUP["email"])

    # Opening the link only shows a button (mail scanners open links too).
    page = client.get(path)
    assert page.status_code == 200
    assert 'method="post"' in page.content.decode()
    assert not EmailAddress.objects.get(email=SIGNUP["email"]).verified
    assert "_auth_user_id" not in client.session

    response = client.post(path)

    user = User.objects.get(email=SIGNUP["email"])
    assert EmailAddress.objects.get(email=SIGNUP["email"]).verified
    assert client.session["_auth_user_id"] == str(user.pk)
    assert response.status_code == 302
    assert response["Location"] == reverse("members:profile") == PROFILE


def test_the_link_in_another_browser_confirms_then_asks_to_sign_in_and_goes_on_to_the_profile(
    client, smtp_server
):
    client.post(reverse("account_signup"), SIGNUP)
    path = confirmation_path(smtp_server, SIGNUP["email"])
    phone = Client()

    response = phone.post(path)

    assert EmailAddress.objects.get(email=SIGNUP["email"]).verified
    assert "_auth_user_id" not in phone.session  # the link alone never signs anyone in
    assert response["Location"] == f"{reverse('account_login')}?next={PROFILE.replace('/', '%2F')}"
    signed_in = phone.post(
        response["Location"], {"login": SIGNUP["email"], "password": SIGNUP["password1"]}
    )
    assert signed_in["Location"] == PROFILE


def test_a_member_confirming_a_new_address_goes_back_to_their_address(client, smtp_server):
    member = UserFactory(email="me@example.org")
    client.force_login(member)
    client.post(reverse("account_email"), {"action_add": "", "email": "new@example.org"})

    response = client.post(confirmation_path(smtp_server, "new@example.org"))

    assert response["Location"] == reverse("account_email")
    member.refresh_from_db()
    assert member.email == "new@example.org"


# --- The name is the member's own -------------------------------------------------------------


def test_the_sign_up_name_is_asked_for_empty_and_required():
    from members.account_forms import SignupForm

    form = SignupForm(initial={"email": "jsmith1987@example.org"})
    name = form.fields["display_name"]

    assert name.required
    assert form["display_name"].value() in (None, "")
    refused = SignupForm(data={**SIGNUP, "display_name": ""})
    assert not refused.is_valid()
    assert "display_name" in refused.errors


# Code that splits an address at "@": each may only show the owner their own address.
ADDRESS_SPLITS = re.compile(r"""\.(?:r?split|r?partition)\(\s*["']@["']""")
ALLOWED_SPLITS = {
    # "j•••@example.org": the staff member's own address, hinted to them alone.
    Path("members/staff_views.py"),
}


def test_nothing_is_made_from_the_email_address_anywhere():
    root = Path(settings.BASE_DIR)
    found = set()
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if relative.parts[0] in {".venv", "tests", "node_modules", ".git"} or (
            "migrations" in relative.parts  # 0010 forgets the names once made this way
        ):
            continue
        if path.suffix in {".py", ".html", ".txt"} and ADDRESS_SPLITS.search(path.read_text()):
            found.add(relative)

    assert found == ALLOWED_SPLITS


# --- Every email allauth can send, in our words ---------------------------------------------

ALLAUTH_TEMPLATES = Path(allauth.__file__).parent / "templates"
OURS = Path(settings.BASE_DIR) / "templates"
HOST = "mutual-host.test"


def email_prefixes() -> list[str]:
    """Every email allauth's account and MFA apps can send, and our own MFA notice."""
    found = {
        str(subject.relative_to(base)).removesuffix("_subject.txt")
        for base in (ALLAUTH_TEMPLATES, OURS)
        for folder in ("account/email", "mfa/email")
        for subject in (base / folder).glob("*_subject.txt")
    }
    return sorted(found - {"account/email/base"})  # base_subject.txt: what ours extend


def test_the_list_of_emails_is_the_full_one():
    prefixes = email_prefixes()
    assert len(prefixes) == 19  # allauth 65.22's 18, and staff removing an authenticator
    for prefix in (
        "account/email/email_confirmation_signup",
        "account/email/password_reset_key",
        "account/email/login_code",
        "account/email/unknown_account",
        "account/email/account_already_exists",
        "mfa/email/webauthn_added",
        "mfa/email/authenticator_removed_by_staff",
    ):
        assert prefix in prefixes


# What each email must carry (beyond our greeting-free voice and sign-off).
MUST_SAY = {
    "account/email/email_confirmation_signup": ["{activate_url}", "If it wasn't you"],
    "account/email/email_confirmation": ["{activate_url}", "If it wasn't you"],
    "account/email/account_already_exists": ["{password_reset_url}", "If it wasn't you"],
    "account/email/unknown_account": ["{signup_url}", "If it wasn't you"],
    "account/email/password_reset_key": ["{password_reset_url}", "If it wasn't you"],
    "account/email/password_reset_code": ["\nABCD-1234\n", "If it wasn't you"],
    "account/email/login_code": ["\nABCD-1234\n", "If it wasn't you"],
    "account/email/email_changed": ["new.address@example.org", "old.address@example.org"],
    "account/email/email_deleted": ["gone@example.org"],
    "mfa/email/authenticator_removed_by_staff": ["A member of staff removed your"],
}
NOTIFICATION_SAYS = ["203.0.113.9", "If it wasn't you", "/accounts/password/reset/"]
NEVER = ["Hello from", "Thank you for using", "for user", "example.com", "&#x27;", "&amp;"]


def email_context(prefix: str, user) -> dict:
    base = f"http://{HOST}"
    context = {
        "user": user,
        "email": user.email,
        "activate_url": f"{base}/accounts/confirm-email/MQ:key/",
        "key": "MQ:key",
        "password_reset_url": f"{base}/accounts/password/reset/key/1-set-password/",
        "signup_url": f"{base}/accounts/signup/",
        "from_email": "old.address@example.org",
        "to_email": "new.address@example.org",
        "deleted_email": "gone@example.org",
        "kind": "authenticator app",
        "timestamp": timezone.now(),
        "ip": "203.0.113.9",
        "user_agent": "Firefox on a laptop",
        "reauthentication": False,
    }
    if prefix.endswith("_code"):
        context["code"] = "ABCD-1234"
    return context


@pytest.mark.parametrize("prefix", email_prefixes())
def test_every_account_email_speaks_as_mutual_through_the_real_sending_path(prefix, smtp_server):
    assert Path(get_template(f"{prefix}_message.txt").origin.name).is_relative_to(OURS)
    assert Path(get_template(f"{prefix}_subject.txt").origin.name).is_relative_to(OURS)
    user = UserFactory(email="kit@example.org")
    request = RequestFactory().get("/", HTTP_HOST=HOST)
    request.user = user
    context = email_context(prefix, user)

    with allauth_context.request_context(request):
        get_adapter(request).send_mail(prefix, user.email, context)

    [message] = smtp_server.to(user.email)
    subject, text = str(message["Subject"]), message_text(message).replace("\r\n", "\n")
    html = message.get_body(preferencelist=("html",)).get_content()
    assert subject.startswith("[Mutual] ") and len(subject) > len("[Mutual] ") + 5, subject
    assert text.rstrip().endswith("— Mutual"), text
    assert "— Mutual" in html
    for words in NEVER:
        assert words not in subject + text, (words, text)
    assert HOST not in text.strip().splitlines()[0]  # never the host as a greeting
    says = MUST_SAY.get(prefix, NOTIFICATION_SAYS)
    for words in says:
        assert words.format(**context) in text, (words, text)


def test_the_login_code_email_for_confirming_its_you_says_so(smtp_server):
    user = UserFactory(email="kit@example.org")
    request = RequestFactory().get("/", HTTP_HOST=HOST)
    context = {**email_context("account/email/login_code", user), "reauthentication": True}

    with allauth_context.request_context(request):
        get_adapter(request).send_mail("account/email/login_code", user.email, context)

    [message] = smtp_server.to(user.email)
    assert message["Subject"] == "[Mutual] Your code to confirm it's you"
    assert "confirm it's you" in message_text(message)


def test_a_real_sign_up_sends_our_confirmation_email(client, smtp_server):
    client.post(reverse("account_signup"), SIGNUP)

    [message] = smtp_server.to(SIGNUP["email"])
    text = message_text(message)
    assert message["Subject"] == "[Mutual] Confirm your email address"
    assert text.startswith("Welcome to Mutual!")
    assert text.rstrip().endswith("— Mutual")


# --- Every allauth page, with our heading -----------------------------------------------------


# allauth's own page titles and headings (65.22), none of which may show.
ALLAUTH_WORDS = {
    "Sign In", "Signup", "Sign Up", "Sign Out", "Password Reset", "Change Password",
    "Set Password", "Bad Token", "Verify Your Email Address", "Confirm Email Address",
    "Email Address", "Email Addresses", "Account Inactive", "Confirm Access",
    "Enter Sign-In Code", "Two-Factor Authentication", "Authenticator App",
    "Activate Authenticator App", "Deactivate Authenticator App", "Recovery Codes",
    "Security Keys", "Add Security Key", "Edit Security Key", "Remove Security Key",
}  # fmt: skip


def heading(response) -> tuple[str, str]:
    html = response.content.decode()
    match = re.search(r"<title>(.*?)</title>", html, re.S)
    assert match is not None
    title = match.group(1)
    [h1] = re.findall(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    return " ".join(title.split()).removesuffix(" · Mutual"), " ".join(
        re.sub(r"<[^>]+>", "", h1).split()
    )


def wrong_headings(pages: dict) -> dict:
    """Pages whose heading is not the expected one, or whose title is allauth's."""
    wrong = {}
    for expected, response in pages.items():
        title, h1 = heading(response)
        if h1 != expected.split(" (")[0] or title in ALLAUTH_WORDS or h1 in ALLAUTH_WORDS:
            wrong[expected] = (title, h1)
    return wrong


def page(client, url: str):
    response = client.get(url, follow=True)
    assert response.status_code == 200, (url, response.redirect_chain)
    return response


@pytest.fixture
def anonymous_pages(client, smtp_server) -> dict[str, object]:
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    pending = UserFactory(email="pending@example.org", verified=False)
    address = EmailAddress.objects.create(user=pending, email=pending.email, primary=True)
    confirmation = EmailConfirmationHMAC(address)
    resetting = UserFactory(email="resetting@example.org")
    reset_key = reverse(
        "account_reset_password_from_key",
        kwargs={
            "uidb36": user_pk_to_url_str(resetting),
            "key": default_token_generator.make_token(resetting),
        },
    )
    pages = {
        "Sign in to Mutual": page(client, reverse("account_login")),
        "Join Mutual": page(client, reverse("account_signup")),
        "Forgotten your password?": page(client, reverse("account_reset_password")),
        "Check your email": page(client, reverse("account_reset_password_done")),
        "Your new password is saved": page(client, reverse("account_reset_password_from_key_done")),
        "Check your email (sign-up)": page(client, reverse("account_email_verification_sent")),
        "Sign in with a code": page(client, reverse("account_request_login_code")),
        "This account is switched off": page(client, reverse("account_inactive")),
        "Confirm your email address": page(
            client, reverse("account_confirm_email", args=[confirmation.key])
        ),
        "Confirm your email address (old link)": page(
            client, reverse("account_confirm_email", args=["no-such-key"])
        ),
        "This link no longer works": page(
            client, reverse("account_reset_password_from_key", args=["1", "no-such-key"])
        ),
        "Choose a new password": page(client, reset_key),
    }
    code_user = UserFactory(email="code@example.org")
    client.post(reverse("account_request_login_code"), {"email": code_user.email})
    pages["Enter your sign-in code"] = page(client, reverse("account_confirm_login_code"))
    second_step = UserFactory(email="two.steps@example.org")
    TOTP.activate(second_step, generate_totp_secret())
    other = Client()
    other.post(reverse("account_login"), {"login": second_step.email, "password": PASSWORD})
    pages["One more step"] = page(other, reverse("mfa_authenticate"))
    return pages


def test_every_allauth_page_a_visitor_sees_has_our_heading(anonymous_pages):
    assert wrong_headings(anonymous_pages) == {}


@pytest.fixture
def member_pages(client, smtp_server) -> dict[str, object]:
    member = UserFactory(email="member@example.org")
    client.force_login(member)
    pages = {
        "Your email address": page(client, reverse("account_email")),
        "Your password": page(client, reverse("account_change_password")),
        "Confirm it's you": page(client, reverse("account_reauthenticate")),
        "Confirm it's you (by code)": page(
            client, reverse("account_request_reauthentication_code")
        ),
        "Sign out of Mutual?": page(client, reverse("account_logout")),
        "Passkeys and two-factor authentication": page(client, reverse("mfa_index")),
        "Your passkeys": page(client, reverse("mfa_list_webauthn")),
    }
    client.post(reverse("account_request_reauthentication_code"), {"recipient": member.email})
    pages["Enter your code"] = page(client, reverse("account_confirm_reauthentication_code"))
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    pages["Set up your authenticator app"] = page(client, reverse("mfa_activate_totp"))
    pages["Add a passkey"] = page(client, reverse("mfa_add_webauthn"))

    TOTP.activate(member, generate_totp_secret())
    RecoveryCodes.activate(member)
    pages["Your recovery codes"] = page(client, reverse("mfa_view_recovery_codes"))
    pages["Make new recovery codes?"] = page(client, reverse("mfa_generate_recovery_codes"))
    pages["Turn off your authenticator app?"] = page(client, reverse("mfa_deactivate_totp"))
    pages["Confirm it's you (second factor)"] = page(client, reverse("mfa_reauthenticate"))

    no_password = UserFactory(email="no.password@example.org")
    no_password.set_unusable_password()
    no_password.save(update_fields=["password"])
    client.force_login(no_password)
    pages["Set a password"] = page(client, reverse("account_set_password"))
    return pages


def test_every_allauth_page_a_member_sees_has_our_heading(member_pages):
    assert wrong_headings(member_pages) == {}


@pytest.mark.parametrize(
    ("template", "words"),
    [
        ("account/verified_email_required.html", "Confirm your email address first"),
        ("account/signup_closed.html", "Joining is paused"),
    ],
)
def test_allauth_pages_we_never_link_to_still_have_our_heading(rf, template, words):
    request = rf.get("/")
    request.user = UserFactory()
    html = render_to_string(template, {}, request)

    assert f">{words}</h1>" in " ".join(html.split()).replace("> ", ">").replace(" <", "<")


def test_the_sign_in_page_offers_a_code_and_a_passkey_without_a_password(client):
    html = client.get(reverse("account_login")).content.decode()

    assert "Or sign in without a password" in html
    assert "Keep me signed in on this device" in html and "Remember Me" not in html
    assert f'href="{reverse("account_request_login_code")}"' in html
    assert "Email me a sign-in code" in html
    assert 'id="passkey_login"' in html and "Sign in with a passkey" in html
    assert f'action="{reverse("mfa_login_webauthn")}"' in html


def test_confirming_its_you_offers_the_other_ways_in_our_words(client):
    member = UserFactory()
    TOTP.activate(member, generate_totp_secret())
    client.force_login(member)

    html = client.get(reverse("account_reauthenticate")).content.decode()

    assert "Email me a code" in html
    assert "Use my authenticator app or a recovery code" in html
    assert "Use authenticator app or code" not in html
