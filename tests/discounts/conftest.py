import pytest

from tests.members.factories import UserFactory, make_active_member


@pytest.fixture
def member():
    user = UserFactory()
    make_active_member(user)
    return user


@pytest.fixture
def make_member():
    def make(**kwargs):
        user = UserFactory(**kwargs)
        make_active_member(user)
        return user

    return make
