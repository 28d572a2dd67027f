"""Passkeys: a member adds one and signs in with it alone; for staff it is the second factor.

The browser tests use Chromium's own WebAuthn stack with a virtual authenticator (DevTools'
`WebAuthn` domain, through Playwright's CDP session): a real registration and a real signed
assertion, checked by allauth's fido2 server, with user verification, as a phone's fingerprint
reader would give.
"""

from __future__ import annotations

import pytest
from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.db import transaction
from django.test import RequestFactory
from django.urls import reverse

from members.models import StaffEnrolment
from members.services.staff import staff_enrolment_send
from members.staff import (
    enrolment_session_start,
    enrolment_token,
    session_used_mfa,
    staff_powers,
)
from tests.members.factories import PASSWORD, UserFactory


def virtual_authenticator(page) -> None:
    """A platform authenticator that holds passkeys and verifies its user (say, a fingerprint)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


def sign_in_with_password(page, base: str, user) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def add_passkey(page, base: str, name: str) -> None:
    page.goto(f"{base}/accounts/2fa/webauthn/add/")
    # allauth asks to confirm it's you before any change to how you sign in.
    page.get_by_role("heading", name="Confirm it's you").wait_for()
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Confirm", exact=True).click()
    page.get_by_role("heading", name="Add a passkey").wait_for()
    assert page.get_by_label("Let this passkey sign me in on its own").is_checked()
    page.fill("input[name=name]", name)
    page.get_by_role("button", name="Add", exact=True).click()
    # The first second factor comes with recovery codes, shown at once.
    page.get_by_role("heading", name="Your recovery codes").wait_for()


def sign_out(page, base: str) -> None:
    page.goto(f"{base}/accounts/logout/")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(lambda url: "/accounts/logout/" not in url)


def sign_in_with_passkey(page, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.mark.usefixtures("smtp_server")
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_member_adds_a_passkey_and_signs_in_with_it_alone(live_server, page):
    member = UserFactory(email="passkey.member@example.org")
    virtual_authenticator(page)
    sign_in_with_password(page, live_server.url, member)

    add_passkey(page, live_server.url, "My laptop")

    [passkey] = Authenticator.objects.filter(user=member, type=Authenticator.Type.WEBAUTHN)
    assert passkey.wrap().name == "My laptop"
    assert passkey.wrap().is_passwordless
    sign_out(page, live_server.url)

    sign_in_with_passkey(page, live_server.url)

    page.goto(f"{live_server.url}/accounts/2fa/webauthn/")
    page.get_by_role("heading", name="Your passkeys").wait_for()
    assert page.get_by_text("My laptop").is_visible()
    passkey.refresh_from_db()
    assert passkey.last_used_at is not None


@pytest.mark.usefixtures("smtp_server")
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_add_a_passkey_from_their_emailed_link_and_it_alone_opens_the_admin(
    live_server, page
):
    staff = UserFactory(email="passkey.staff@example.org", is_staff=True, is_superuser=True)
    with transaction.atomic():
        enrolment = staff_enrolment_send(user=staff, reason=StaffEnrolment.Reason.GRANTED)
    link = reverse("members:staff_enrol", kwargs={"token": enrolment_token(enrolment)})
    virtual_authenticator(page)
    sign_in_with_password(page, live_server.url, staff)
    # A password alone does not let staff add a second factor: only their emailed link does.
    page.goto(f"{live_server.url}/accounts/2fa/webauthn/add/")
    page.get_by_role("heading", name="Set up two-factor authentication from your email").wait_for()
    page.goto(f"{live_server.url}{link}")
    page.get_by_role("button", name="Set up my authenticator").click()
    page.wait_for_url(lambda url: "/staff/" not in url)

    add_passkey(page, live_server.url, "Office laptop")
    sign_out(page, live_server.url)
    # The control: now a password alone does not even sign staff in; the second step is asked.
    sign_in_with_password(page, live_server.url, staff)
    assert "/accounts/2fa/authenticate/" in page.url
    page.context.clear_cookies()

    sign_in_with_passkey(page, live_server.url)
    response = page.goto(f"{live_server.url}/admin/")

    assert response.status == 200
    assert page.url == f"{live_server.url}/admin/"


# --- Without a browser -------------------------------------------------------------------------


def passkey_session(user):
    """A request whose session signed in with a passkey alone, as allauth records it."""
    request = RequestFactory().get("/")
    request.session = {
        "account_authentication_methods_user": str(user.pk),
        "account_authentication_methods": [
            {"method": "mfa", "at": 0, "id": 1, "type": "webauthn", "passwordless": True}
        ],
    }
    request.user = user
    return request


@pytest.mark.django_db
def test_a_passkey_sign_in_counts_as_the_second_factor_for_staff():
    staff = UserFactory(is_staff=True)
    Authenticator.objects.create(
        user=staff, type=Authenticator.Type.WEBAUTHN, data={"name": "Key", "credential": {}}
    )
    request = passkey_session(staff)

    assert get_authentication_records(request, staff)  # the shape allauth reads back
    assert session_used_mfa(request)
    assert staff_powers(request)


@pytest.mark.django_db
def test_a_password_alone_is_not_the_second_factor_even_with_a_passkey_on_the_account():
    staff = UserFactory(is_staff=True)
    Authenticator.objects.create(
        user=staff, type=Authenticator.Type.WEBAUTHN, data={"name": "Key", "credential": {}}
    )
    request = passkey_session(staff)
    request.session["account_authentication_methods"] = [{"method": "password", "at": 0}]

    assert not staff_powers(request)


@pytest.mark.django_db
def test_staff_without_a_second_factor_add_a_passkey_only_from_their_emailed_link(client):
    staff = UserFactory(email="new.staff@example.org", is_staff=True)
    client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})

    refused = client.get(reverse("mfa_add_webauthn"))
    posted = client.post(reverse("mfa_add_webauthn"), {"name": "Key", "credential": "{}"})

    assert "a one-time link, emailed to the account" in refused.content.decode()
    assert posted.status_code == 403
    assert not Authenticator.objects.filter(user=staff).exists()

    session = client.session
    request = RequestFactory().get("/")
    request.session = session
    enrolment_session_start(request, staff)
    session.save()
    opened = client.get(reverse("mfa_add_webauthn"))

    assert opened.status_code == 200
    assert "Add a passkey" in opened.content.decode()


@pytest.mark.django_db
def test_members_add_passkeys_without_any_link(client):
    member = UserFactory()
    client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})

    response = client.get(reverse("mfa_add_webauthn"))

    assert response.status_code == 200
    assert "Add a passkey" in response.content.decode()


MADE_UP = '{"type": "public-key", "id": "bm90LWEta2V5"}'  # no authenticator signed this


@pytest.mark.django_db
def test_a_made_up_passkey_answer_is_refused_not_a_server_error(client):
    refused = client.post(reverse("mfa_login_webauthn"), {"credential": MADE_UP})

    assert refused.status_code == 302
    assert refused["Location"] == reverse("account_login")
    assert "_auth_user_id" not in client.session

    member = UserFactory()
    client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})
    confirm = client.post(reverse("mfa_reauthenticate_webauthn"), {"credential": "[1, 2]"})
    assert confirm.status_code == 302
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    added = client.post(reverse("mfa_add_webauthn"), {"name": "Mine", "credential": MADE_UP})
    assert added.status_code == 200
    assert "Incorrect code" in added.content.decode()
    assert not Authenticator.objects.filter(user=member).exists()
