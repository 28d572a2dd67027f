"""Issue 17 moved membership and Stripe events to `billing`, and streams, the consent ledger
and the outbox to `mail`, by renaming their tables (members migration 0011). This test fills
a database laid out as before the move, migrates it forward and reads every row back through
the new apps' models: nothing is lost, ids and links stay, and the ledger stays append-only.
"""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("members", "0010_profiles_forget_email_derived_names")]

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.fixture
def before_the_split():
    executor = _migrate(BEFORE)
    yield executor.loader.project_state(BEFORE).apps
    _migrate(_latest())
    ContentType.objects.clear_cache()


def test_existing_rows_survive_the_move_to_billing_and_mail(before_the_split):
    old = before_the_split
    # Laid out as before: the models are members' and so are their tables.
    assert old.get_model("members", "Membership")._meta.db_table == "members_membership"
    User = old.get_model("members", "User")
    user = User.objects.create(email="ann@example.com", password="!")
    membership = old.get_model("members", "Membership").objects.create(
        user=user,
        stripe_customer_id="cus_123",
        stripe_subscription_id="sub_123",
        status="past_due",
        past_due_since=timezone.now(),
    )
    old.get_model("members", "StripeEvent").objects.create(
        id="evt_1", type="invoice.payment_failed", object_id="in_1"
    )
    old.get_model("members", "StreamSubscription").objects.create(
        user=user, stream="digest", status="subscribed", frequency="monthly"
    )
    consent = old.get_model("members", "ConsentEvent").objects.create(
        user=user,
        stream="digest",
        action="granted",
        source="settings",
        wording_version="2026-11-25",
        wording="Send me a digest.",
    )
    delivery = old.get_model("members", "EmailDelivery").objects.create(
        user=user,
        to_email=user.email,
        kind="payment_failed",
        dedupe_key="payment_failed:in_1:1",
        status="sent",
    )
    old.get_model("members", "AddressOptOut").objects.create(
        email="guest@example.com", stream="event_invites"
    )
    old.get_model("members", "SuppressedAddress").objects.create(
        email="bounced@example.com", reason="hard_bounce"
    )
    OldContentType = old.get_model("contenttypes", "ContentType")
    membership_type = OldContentType.objects.get(app_label="members", model="membership").pk

    _migrate(_latest())
    ContentType.objects.clear_cache()

    from billing.models import Membership, StripeEvent
    from mail.models import (
        AddressOptOut,
        ConsentEvent,
        EmailDelivery,
        StreamSubscription,
        SuppressedAddress,
    )

    assert Membership._meta.db_table == "billing_membership"
    moved = Membership.objects.select_related("user").get()
    assert (moved.pk, moved.user.email, moved.stripe_customer_id, moved.status) == (
        membership.pk,
        "ann@example.com",
        "cus_123",
        "past_due",
    )
    assert moved.user.membership == moved  # the reverse link from the user still works
    assert StripeEvent.objects.get().id == "evt_1"
    assert StreamSubscription.objects.get(user_id=user.pk).frequency == "monthly"
    assert ConsentEvent.objects.get().pk == consent.pk
    assert EmailDelivery.objects.get().dedupe_key == delivery.dedupe_key
    assert AddressOptOut.objects.get().email == "guest@example.com"
    assert SuppressedAddress.objects.get().reason == "hard_bounce"
    # Admin log entries and permissions point at content types, which moved with the models.
    assert ContentType.objects.get_for_model(Membership).pk == membership_type
    assert not ContentType.objects.filter(app_label="members", model="membership").exists()
    # New rows get fresh ids after the old ones.
    assert (
        EmailDelivery.objects.create(to_email="b@example.com", kind="x", dedupe_key="new").pk
        > delivery.pk
    )
    # The consent ledger is still append-only under its new name.
    with pytest.raises(DatabaseError), transaction.atomic():
        ConsentEvent.objects.filter(pk=consent.pk).update(source="admin")
