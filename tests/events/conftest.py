import pytest

from tests.events.factories import EventFactory, GroupFactory, active_member, organiser_of
from tests.members.factories import UserFactory


@pytest.fixture
def member():
    return active_member()


@pytest.fixture
def make_member():
    return active_member


@pytest.fixture
def lapsed():
    """Paid once; the subscription has since been cancelled."""
    from billing.models import Membership

    user = active_member()
    Membership.objects.filter(user=user).update(status=Membership.Status.CANCELED)
    return UserFactory._meta.model.objects.get(pk=user.pk)


@pytest.fixture
def non_member():
    return UserFactory()


@pytest.fixture
def staff():
    return UserFactory(is_staff=True)


@pytest.fixture
def group():
    return GroupFactory(name="Leeds Marketing Breakfast", slug="leeds-marketing-breakfast")


@pytest.fixture
def organiser(group):
    return organiser_of(group)


@pytest.fixture
def event(group):
    return EventFactory(group=group, capacity=3)
