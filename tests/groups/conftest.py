"""Fixtures for the groups tests: people in each role of the permissions matrix."""

from datetime import timedelta

import pytest
from django.utils import timezone

from billing.models import Membership
from members.staff import with_staff_powers
from tests.members.factories import UserFactory, make_active_member


@pytest.fixture
def member():
    """An active, paying member, with an account older than a week."""
    user = UserFactory(date_joined=timezone.now() - timedelta(days=30))
    make_active_member(user)
    return user


@pytest.fixture
def non_member():
    """Signed up, never paid."""
    return UserFactory()


@pytest.fixture
def lapsed():
    """Paid before; the subscription has been cancelled."""
    user = UserFactory(date_joined=timezone.now() - timedelta(days=200))
    membership = make_active_member(user)
    membership.status = Membership.Status.CANCELED
    membership.save(update_fields=["status"])
    return user


@pytest.fixture
def staff():
    """Staff, with staff powers when passed to services; a client needs `sign_in_with_mfa`."""
    user = UserFactory(is_staff=True, is_superuser=True)
    make_active_member(user)
    return with_staff_powers(user)


@pytest.fixture
def admin_client(client, staff):
    """A client signed in as staff with their second factor, so /admin/ opens."""
    from allauth.mfa.totp.internal.auth import (
        TOTP,
        format_hotp_value,
        generate_totp_secret,
        hotp_value,
        yield_hotp_counters_from_time,
    )
    from django.urls import reverse

    from tests.members.factories import PASSWORD

    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    counters = list(yield_hotp_counters_from_time())
    code = format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))
    client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    return client


@pytest.fixture(scope="session")
def _akismet_server():
    from tests.groups.akismet_server import FakeAkismet

    server = FakeAkismet()
    yield server
    server.stop()


@pytest.fixture
def akismet(_akismet_server, settings):
    """Akismet switched on, answering from a local stand-in (see akismet_server.py)."""
    from tests.groups.akismet_server import VALID_KEY

    settings.AKISMET_API_KEY = VALID_KEY
    settings.AKISMET_API_URL = _akismet_server.url
    _akismet_server.requests.clear()
    _akismet_server.broken = False
    yield _akismet_server
    _akismet_server.broken = False
