"""The welcome email: sent once per membership, when it first gives access, over real SMTP."""

import pytest

from billing.models import Membership
from billing.services import membership_apply_state
from billing.stripe_api import SubscriptionState
from mail.models import EmailDelivery
from tests.billing.stripe_helpers import event_payload, post_event, subscription_object
from tests.conftest import message_text
from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db


def state(
    membership: Membership, status: str, subscription: str = "sub_welcome"
) -> SubscriptionState:
    return SubscriptionState(
        id=subscription,
        customer_id=membership.stripe_customer_id or "",
        status=status,
        current_period_end=None,
        cancel_at_period_end=False,
    )


def welcomes() -> int:
    return EmailDelivery.objects.filter(kind="welcome").count()


@pytest.fixture
def joining():
    """Someone who has started Checkout: a customer, no subscription yet."""
    return Membership.objects.create(user=UserFactory(), stripe_customer_id="cus_welcome")


def test_the_first_activation_queues_one_welcome(joining):
    membership_apply_state(state=state(joining, "incomplete"))
    assert welcomes() == 0  # not paid yet

    membership_apply_state(state=state(joining, "active"))
    membership_apply_state(state=state(joining, "active"))  # a repeated delivery

    [delivery] = EmailDelivery.objects.filter(kind="welcome")
    assert delivery.user == joining.user
    assert delivery.to_email == joining.user.email
    assert delivery.dedupe_key == f"welcome:{joining.pk}"


def test_a_lapsed_member_rejoining_is_not_welcomed_twice(joining):
    membership_apply_state(state=state(joining, "active"))
    membership_apply_state(state=state(joining, "canceled"))

    membership_apply_state(state=state(joining, "active", subscription="sub_again"))

    assert welcomes() == 1


def test_a_member_active_before_the_welcome_existed_is_not_welcomed_on_renewal(joining):
    Membership.objects.filter(pk=joining.pk).update(
        status=Membership.Status.ACTIVE, stripe_subscription_id="sub_welcome"
    )

    membership_apply_state(state=state(joining, "active"))

    assert welcomes() == 0


def test_a_member_from_before_the_welcome_rejoining_is_not_welcomed(joining):
    """They lapsed before welcomes were sent: coming back is not their first time."""
    Membership.objects.filter(pk=joining.pk).update(
        status=Membership.Status.CANCELED, stripe_subscription_id="sub_old"
    )
    joining.refresh_from_db()

    membership_apply_state(state=state(joining, "active", subscription="sub_back"))

    assert welcomes() == 0


def test_nothing_is_queued_when_the_change_rolls_back(joining):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        membership_apply_state(state=state(joining, "active"))
        raise RuntimeError("the webhook failed after the change")

    assert welcomes() == 0


def test_the_welcome_arrives_over_smtp_once_with_three_things_to_do(
    client, stripe_standin, smtp_server, django_capture_on_commit_callbacks
):
    user = UserFactory()
    customer_id = stripe_standin.customer(user.email)
    membership = Membership.objects.create(user=user, stripe_customer_id=customer_id)
    subscription = stripe_standin.subscribe(customer_id)
    created = event_payload(
        "customer.subscription.created", subscription_object(subscription.id, customer_id)
    )
    updated = event_payload(
        "customer.subscription.updated", subscription_object(subscription.id, customer_id)
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(client, created).json() == {"result": "processed"}
    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(client, updated).json() == {"result": "processed"}

    membership.refresh_from_db()
    assert membership.is_active()
    [message] = smtp_server.to(user.email)
    assert message["Subject"] == "Welcome to Mutual: three things to do first"
    assert message["List-Unsubscribe"] is None  # transactional
    text = message_text(message)
    assert "1. Join a group or two." in text
    assert "2. Say yes to an event." in text
    assert "3. Say hello." in text
    for link in ("/welcome/groups/", "/events/?order=for-you", "/settings/profile/"):
        assert f"http://testserver{link}" in text
    assert EmailDelivery.objects.get(kind="welcome").status == "sent"
