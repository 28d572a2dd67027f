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
