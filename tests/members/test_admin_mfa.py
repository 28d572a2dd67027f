import http.client
import os
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.db import connection
from django.test import Client
from django.urls import reverse

from members.models import User
from tests.conftest import _free_port, wait_until
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


# --- A script prefix is no way round the gate (issue 16) ----------------------------------


def test_a_script_name_from_the_proxy_does_not_open_the_admin_without_mfa(client, staff):
    """gunicorn takes `SCRIPT_NAME` from a trusted forwarder: the path then starts /x/admin/."""
    client.force_login(staff)

    response = client.get("/admin/members/user/", SCRIPT_NAME="/x")

    assert response.status_code == 302
    assert urlsplit(response["Location"]).path.endswith(reverse("mfa_activate_totp"))
    response = client.post(
        "/admin/members/user/add/",
        {"email": "planted@example.org", "password1": "x", "password2": "x"},
        SCRIPT_NAME="/x",
    )
    assert response.status_code == 302
    assert not User.objects.filter(email="planted@example.org").exists()


def test_a_site_mounted_under_a_prefix_keeps_the_gate(client, staff, settings):
    settings.FORCE_SCRIPT_NAME = "/mutual"
    client.force_login(staff)

    response = client.get("/admin/members/user/")

    assert response.status_code == 302
    assert "/2fa/totp/activate/" in response["Location"]


def test_a_session_without_the_second_factor_is_asked_for_it_under_a_prefix(client, staff):
    client.force_login(staff)
    TOTP.activate(staff, generate_totp_secret())

    response = client.get("/admin/", SCRIPT_NAME="/x")

    assert response.status_code == 302
    assert urlsplit(response["Location"]).path.endswith(reverse("mfa_reauthenticate"))


def raw_get(port: int, path: str, headers: dict) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


@pytest.mark.django_db(transaction=True)
def test_gunicorn_passes_a_script_name_header_and_the_admin_still_asks_for_mfa(settings):
    """The attack as it was found: gunicorn on loopback, a `SCRIPT_NAME: /x` header."""
    staff = UserFactory(email="staff@example.org", is_staff=True, is_superuser=True)
    signed_in = Client()
    signed_in.force_login(staff)
    cookie = (
        f"{settings.SESSION_COOKIE_NAME}={signed_in.cookies[settings.SESSION_COOKIE_NAME].value}"
    )
    db = connection.settings_dict
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
    }
    server = subprocess.Popen(  # noqa: S603 - gunicorn from this venv
        [sys.executable, "-m", "gunicorn", "config.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_until(lambda: _answers(port) or server.poll() is not None, timeout=60)
        assert server.poll() is None, "gunicorn did not start"

        response = raw_get(port, "/x/admin/members/user/", {"Cookie": cookie, "SCRIPT_NAME": "/x"})

        assert response.status == 302
        assert response.getheader("Location").startswith("/x/accounts/2fa/totp/activate/")
        # The control: gunicorn did serve the site under the prefix the header gave.
        assert raw_get(port, "/x/healthz/", {"SCRIPT_NAME": "/x"}).status == 200
    finally:
        server.terminate()
        server.wait(timeout=15)


def _answers(port: int) -> bool:
    try:
        return raw_get(port, "/healthz/", {}).status == 200
    except OSError:
        return False
