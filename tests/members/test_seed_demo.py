import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command

from members.models import Profile, User

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_members_with_profiles_and_is_idempotent(settings):
    settings.DEBUG = False
    call_command("seed_demo", members=25)

    assert User.objects.count() == 25
    assert Profile.objects.count() == 25
    assert EmailAddress.objects.filter(verified=True).count() == 25
    assert all(3 <= p.interests.count() <= 7 for p in Profile.objects.all())
    assert not User.objects.filter(is_staff=True).exists()

    call_command("seed_demo", members=30)

    assert User.objects.count() == 30


def test_seed_demo_creates_the_demo_staff_login_only_with_debug_on(client, settings):
    settings.DEBUG = True
    call_command("seed_demo", members=2)

    admin = User.objects.get(email="admin@example.com")
    assert admin.is_staff
    assert admin.check_password("admin-password-123")
