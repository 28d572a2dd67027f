"""The audit log itself: what one entry holds, and that nothing can change or remove it."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from audit.models import Action, ActorKind, AppendOnlyError, AuditEntry
from audit.services import AuditOutsideTransaction, record
from billing.models import Membership
from groups.models import GroupMembership, Post
from groups.services import post_hide
from privacy.services import account_delete
from tests.groups.factories import GroupFactory, PostFactory, add_member, thread_with_opening
from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db


def write(actor, *, target, kind=ActorKind.STAFF, **fields):
    with transaction.atomic():
        return record(
            actor=actor,
            actor_kind=kind,
            action=fields.pop("action", Action.GROUP_CHANGED),
            target=target,
            **fields,
        )


def test_one_entry_says_who_as_what_did_what_to_what_from_what_to_what_and_why(staff):
    group = GroupFactory(name="Leeds Breakfast")

    write(
        staff,
        target=group,
        before={"name": "Leeds Brekfast"},
        after={"name": "Leeds Breakfast"},
        reason="  A typo  ",
    )

    entry = AuditEntry.objects.get()
    assert entry.actor == staff
    assert entry.actor_kind == ActorKind.STAFF
    assert entry.action == Action.GROUP_CHANGED
    assert entry.target == group
    assert entry.target_repr == "Leeds Breakfast"
    assert entry.before == {"name": "Leeds Brekfast"}
    assert entry.after == {"name": "Leeds Breakfast"}
    assert entry.reason == "A typo"
    # Set by the database (STATEMENT_TIMESTAMP()), not by the code.
    assert abs(entry.created_at - timezone.now()) < timedelta(minutes=1)


def test_an_entry_is_only_written_inside_the_transaction_of_its_change(staff):
    """The test's own wrapping transaction does not count: only one the code opened."""
    with pytest.raises(AuditOutsideTransaction):
        record(actor=staff, actor_kind=ActorKind.STAFF, action=Action.GROUP_CHANGED, target=staff)
    assert not AuditEntry.objects.exists()


def test_the_system_and_stripe_are_nobody_and_people_are_somebody(staff):
    group = GroupFactory()
    with pytest.raises(ValueError, match="no acting person"):
        write(staff, target=group, kind=ActorKind.STRIPE)
    with pytest.raises(ValueError, match="needs the person"):
        write(None, target=group, kind=ActorKind.ORGANISER)
    # And the database agrees, whatever the code says.
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEntry.objects.create(
            actor=staff,
            actor_kind=ActorKind.SYSTEM,
            action=Action.GROUP_CHANGED,
            content_type=ContentType.objects.get_for_model(group),
            object_id=group.pk,
            target_repr="x",
        )


def test_the_model_refuses_to_change_or_delete_an_entry(staff):
    entry = write(staff, target=GroupFactory(), reason="first")

    entry.reason = "rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).delete()

    assert AuditEntry.objects.get().reason == "first"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditentry SET reason = 'rewritten' WHERE id = %s",
        "UPDATE audit_auditentry SET actor_id = NULL, reason = 'rewritten' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ],
)
def test_postgresql_refuses_to_update_or_delete_an_entry(staff, statement):
    entry = write(staff, target=GroupFactory(), reason="first")

    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [entry.pk])

    assert AuditEntry.objects.get().reason == "first"
    assert AuditEntry.objects.get().actor == staff


def test_postgresql_refuses_to_give_an_entry_to_someone_else(staff):
    entry = write(staff, target=GroupFactory())
    other = UserFactory()

    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE audit_auditentry SET actor_id = %s WHERE id = %s", [other.pk, entry.pk]
        )

    assert AuditEntry.objects.get().actor == staff


def test_an_erased_account_leaves_its_entries_without_it():
    """Deleting an account empties `actor` on its entries (the one change the database
    allows); what was done, as what, to what, stays."""
    group = GroupFactory(name="Bristol Walks")
    organiser = add_member(group, role=GroupMembership.Role.ORGANISER)
    Membership.objects.filter(user=organiser).update(stripe_subscription_id=None)
    author = add_member(group)
    thread = thread_with_opening(group, author)
    post = PostFactory(thread=thread, author=author)
    post_hide(post=post, by=organiser, reason=Post.HiddenReason.OFF_TOPIC)
    [before] = AuditEntry.objects.values()
    organiser_id = organiser.pk

    account_delete(user=organiser)

    [after] = AuditEntry.objects.values()
    assert before["actor_id"] == organiser_id
    assert after == {**before, "actor_id": None}
    assert after["actor_kind"] == ActorKind.ORGANISER
    assert after["target_repr"] == f"post #{post.pk} in Bristol Walks"
