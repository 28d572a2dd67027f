import uuid
from datetime import timedelta

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from billing.models import Membership
from members.models import Interest, Profile, User
from tests.factories import ModelFactory

PASSWORD = "correct-horse-battery"


class UserFactory(ModelFactory[User]):
    """A confirmed account with a profile, ready to sign in with `PASSWORD`."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)

    @factory.post_generation
    def with_profile(self, create, extracted, **kwargs):
        if create and extracted is not False:
            ProfileFactory(user=self)


class ProfileFactory(ModelFactory[Profile]):
    class Meta:
        model = Profile

    user = factory.SubFactory(UserFactory, with_profile=False)
    display_name = factory.Faker("name", locale="en_GB")
    handle = factory.Sequence(lambda n: f"member-{n:04d}")
    headline = "Runs a small business"
    city = "Bristol"
    # Test members have opted in to the directory; a real sign-up starts out of it.
    in_directory = True


def interests(count: int) -> list[Interest]:
    return list(Interest.objects.order_by("pk")[:count])


def make_active_member(user: User) -> Membership:
    """Give `user` a paid, active membership (as a webhook would have)."""
    n = uuid.uuid4().hex[:12]
    return Membership.objects.create(
        user=user,
        status=Membership.Status.ACTIVE,
        stripe_customer_id=f"cus_test_{n}",
        stripe_subscription_id=f"sub_test_{n}",
        current_period_end=timezone.now() + timedelta(days=30),
    )


def admin_user_form(user: User, **changes: str) -> dict[str, object]:
    """The admin's change form for `user` with their profile inline, as a browser posts it
    when staff status is ticked; `changes` adds or replaces fields."""
    return {
        "email": user.email,
        "is_active": "on",
        "is_staff": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
        "profile-TOTAL_FORMS": "1",
        "profile-INITIAL_FORMS": "1",
        "profile-MIN_NUM_FORMS": "0",
        "profile-MAX_NUM_FORMS": "1",
        "profile-0-id": user.profile.pk,
        "profile-0-user": user.pk,
        "profile-0-display_name": user.profile.display_name,
        "profile-0-handle": user.profile.handle,
        **changes,
    }
