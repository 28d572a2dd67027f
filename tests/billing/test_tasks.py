import pytest

from billing.models import Membership
from billing.tasks import memberships_reconcile_task
from tests.conftest import wait_until
from tests.members.factories import UserFactory


def drifted_membership(stripe_standin) -> Membership:
    """Our row says active; Stripe says the subscription was cancelled."""
    user = UserFactory()
    customer_id = stripe_standin.customer(user.email)
    subscription = stripe_standin.subscribe(customer_id)
    stripe_standin.set_subscription(subscription.id, status="canceled")
    return Membership.objects.create(
        user=user,
        stripe_customer_id=customer_id,
        stripe_subscription_id=subscription.id,
        status="active",
    )


@pytest.mark.django_db
def test_reconciliation_fixes_drift(stripe_standin):
    membership = drifted_membership(stripe_standin)
    untouched = Membership.objects.create(user=UserFactory(), status="canceled")

    counts = memberships_reconcile_task.delay().get()

    assert counts == {"checked": 1, "failed": 0}
    membership.refresh_from_db()
    assert membership.status == "canceled"
    untouched.refresh_from_db()
    assert untouched.synced_at is None


@pytest.mark.django_db
def test_reconciliation_carries_on_when_stripe_fails_for_one(stripe_standin):
    membership = drifted_membership(stripe_standin)
    Membership.objects.create(
        user=UserFactory(),
        status="active",
        stripe_customer_id="cus_gone",
        stripe_subscription_id="sub_gone",
    )

    counts = memberships_reconcile_task.delay().get()

    assert counts == {"checked": 2, "failed": 1}
    membership.refresh_from_db()
    assert membership.status == "canceled"


@pytest.mark.django_db(transaction=True)
def test_nightly_reconciliation_runs_on_a_real_worker_over_redis(stripe_standin, celery_worker):
    membership = drifted_membership(stripe_standin)

    memberships_reconcile_task.delay()

    wait_until(lambda: Membership.objects.get(pk=membership.pk).status == "canceled")


def test_the_nightly_schedule_is_registered(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["memberships-reconcile-nightly"]
    assert entry["task"] == "billing.tasks.memberships_reconcile_task"
