"""People for the audit tests: staff with staff powers, and a client signed in as them."""

import pytest

from members.staff import with_staff_powers
from tests.members.factories import UserFactory, make_active_member
from tests.staff import sign_in_with_mfa


@pytest.fixture
def staff():
    user = UserFactory(is_staff=True, is_superuser=True)
    make_active_member(user)
    return with_staff_powers(user)


@pytest.fixture
def staff_client(client, staff):
    """Signed in as `staff` with their second factor, so the admin opens."""
    return sign_in_with_mfa(client, staff)
