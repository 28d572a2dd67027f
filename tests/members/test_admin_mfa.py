import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.urls import reverse

from tests.members.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def current_code(secret: str) -> str:
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


@pytest.fixture
def staff():
    return UserFactory(email="staff@example.org", is_staff=True, is_superuser=True)


def sign_in(client, user):
    return client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})


def test_the_admin_login_is_allauths(client):
    response = client.get("/admin/")

    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response["Location"].startswith(reverse("account_login"))


def test_staff_without_mfa_are_sent_to_set_it_up(client, staff):
    sign_in(client, staff)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))


def test_staff_with_mfa_must_give_their_code_before_the_admin_opens(client, staff):
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)

    response = sign_in(client, staff)
    assert response["Location"] == reverse("mfa_authenticate")
    # A password alone does not open the admin.
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("mfa_authenticate")

    response = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert response.status_code == 302

    assert client.get("/admin/").status_code == 200


def test_a_session_opened_without_the_second_factor_is_asked_for_it(client, staff):
    # For example: signed in, then turned MFA on in the same session.
    client.force_login(staff)
    TOTP.activate(staff, generate_totp_secret())

    response = client.get("/admin/members/user/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))


def test_members_who_are_not_staff_never_see_the_admin(client):
    user = UserFactory()
    client.force_login(user)

    assert client.get("/admin/", follow=True).status_code == 403


def test_with_debug_on_the_demo_admin_may_skip_mfa_and_is_told(client, settings):
    settings.DEBUG = True
    admin = UserFactory(email=settings.DEMO_ADMIN_EMAIL, is_staff=True, is_superuser=True)
    client.force_login(admin)

    response = client.get("/admin/")

    assert response.status_code == 200
    assert "without two-factor authentication" in response.content.decode()


def test_with_debug_off_the_demo_admin_needs_mfa_too(client, settings):
    settings.DEBUG = False
    admin = UserFactory(email=settings.DEMO_ADMIN_EMAIL, is_staff=True, is_superuser=True)
    client.force_login(admin)

    assert client.get("/admin/").status_code == 302
