"""Top-level services own their transaction, and no call to Stripe happens inside one."""

import pytest
from django.db import transaction

from audit.models import AuditEntry
from billing import services as billing
from billing import stripe_api
from billing.models import Membership, StripeEvent
from events import services as events
from groups import services as groups
from groups.models import GroupMembership, Post
from tests.billing.stripe_helpers import subscription_object
from tests.events.factories import EventFactory
from tests.groups.factories import GroupFactory, PostFactory, add_member, thread_with_opening
from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def post():
    group = GroupFactory()
    author = add_member(group)
    return PostFactory(thread=thread_with_opening(group, author), author=author)


@pytest.mark.parametrize(
    "call",
    [
        lambda staff, post: groups.post_hide(post=post, by=staff, reason=Post.HiddenReason.SPAM),
        lambda staff, post: groups.post_approve(post=post, by=staff),
        lambda staff, post: groups.group_leave(group=post.thread.group, user=post.author),
        lambda staff, post: events.event_publish(event=EventFactory(is_published=False)),
        lambda staff, post: events.event_cancel(event=EventFactory(), by=staff),
    ],
    ids=["post_hide", "post_approve", "group_leave", "event_publish", "event_cancel"],
)
def test_a_top_level_service_refuses_to_run_inside_someone_elses_transaction(staff, post, call):
    """`atomic(durable=True)`: what they commit is committed when they return."""
    with pytest.raises(RuntimeError, match="durable atomic block"), transaction.atomic():
        call(staff, post)
    assert not AuditEntry.objects.exists()
    assert GroupMembership.objects.filter(user=post.author).exists()


def test_the_one_door_to_stripe_refuses_to_call_from_inside_a_transaction(stripe_standin):
    customer = stripe_standin.customer("someone@example.org")
    subscription = stripe_standin.subscribe(customer)

    with pytest.raises(stripe_api.StripeCallInTransaction), transaction.atomic():
        stripe_api.subscription_retrieve(subscription.id)
    # Outside one (the test's own wrapping does not count), the same call goes through.
    assert stripe_api.subscription_retrieve(subscription.id).status == "active"


def test_a_webhook_asks_stripe_first_then_writes_in_one_short_transaction(stripe_standin):
    """With the re-fetch inside the transaction, the door above would refuse it."""
    user = UserFactory()
    customer = stripe_standin.customer(user.email)
    membership = Membership.objects.create(user=user, stripe_customer_id=customer)
    subscription = stripe_standin.subscribe(customer)
    event = stripe_api.WebhookEvent(
        id="evt_outside",
        type="customer.subscription.updated",
        object=subscription_object(subscription.id, customer, "incomplete"),
    )

    assert billing.webhook_process(event=event).outcome == "processed"

    membership.refresh_from_db()
    assert membership.status == "active"
    assert StripeEvent.objects.filter(id="evt_outside").exists()
    assert AuditEntry.objects.get().after == {"status": "active"}


def test_staff_resync_and_reconciliation_ask_stripe_outside_a_transaction(stripe_standin, staff):
    user = UserFactory()
    customer = stripe_standin.customer(user.email)
    subscription = stripe_standin.subscribe(customer)
    membership = Membership.objects.create(
        user=user, stripe_customer_id=customer, stripe_subscription_id=subscription.id
    )

    billing.membership_resync(membership=membership, by=staff)
    stripe_standin.set_subscription(subscription.id, status="past_due")
    billing.membership_resync(membership=membership)  # the reconciliation's step

    membership.refresh_from_db()
    assert membership.status == "past_due"
    assert AuditEntry.objects.count() == 2
