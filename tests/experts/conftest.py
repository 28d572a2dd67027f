"""Fixtures for the experts tests: the seeded regions, people in each role, a staff admin."""

import importlib

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.urls import reverse

from members.staff import with_staff_powers
from tests.members.factories import PASSWORD, UserFactory, make_active_member


@pytest.fixture(autouse=True)
def _regions(request):
    """The regions a data migration seeds; transactional tests empty the table when they end."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    request.getfixturevalue("transactional_db" if marker.kwargs.get("transaction", False) else "db")
    from django.apps import apps

    from experts.models import Region

    if not Region.objects.exists():
        importlib.import_module("experts.migrations.0002_seed_regions").seed(apps, None)


@pytest.fixture
def member():
    user = UserFactory()
    make_active_member(user)
    return user


@pytest.fixture
def staff():
    """Staff, with staff powers when passed to services; a client needs `sign_in_with_mfa`."""
    return with_staff_powers(UserFactory(is_staff=True, is_superuser=True))


def totp_code(secret: str) -> str:
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


def give_mfa(user) -> str:
    """Turn on TOTP for `user`; returns the secret to make codes from."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


@pytest.fixture
def admin_client(client, staff):
    """A client signed in as staff with their second factor, so /admin/ opens."""
    secret = give_mfa(staff)
    client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    return client
