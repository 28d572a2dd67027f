"""Every change a person (or Stripe) makes leaves exactly one audit entry: who, as what, on
what, from what to what, and why. Each test fails if its service stops recording."""

import pytest
from django.urls import reverse

from audit.models import Action, ActorKind, AuditEntry
from billing import services as billing
from billing.models import Membership
from discounts import services as discounts
from discounts.models import Offer
from events import services as events
from events.models import Event
from experts.models import Expert
from groups import services as groups
from groups.models import Group, GroupMembership, GroupProposal, Post
from members.models import User
from tests.billing.stripe_helpers import event_payload, post_event, subscription_object
from tests.discounts.factories import OfferFactory, PartnerFactory
from tests.events.factories import EventFactory
from tests.experts.factories import ExpertFactory
from tests.groups.factories import (
    GroupFactory,
    GroupProposalFactory,
    PostFactory,
    add_member,
    thread_with_opening,
)
from tests.members.factories import UserFactory, admin_user_form

pytestmark = pytest.mark.django_db


def the_entry() -> AuditEntry:
    """The one entry written (fails if there are none, or more)."""
    [entry] = AuditEntry.objects.all()
    return entry


# --- Membership: Stripe, staff and the nightly reconciliation ------------------------------


@pytest.fixture
def joining(stripe_standin):
    """Checkout started (a customer, no status yet), and a subscription paid in Stripe."""
    user = UserFactory()
    customer_id = stripe_standin.customer(user.email)
    membership = Membership.objects.create(user=user, stripe_customer_id=customer_id)
    return membership, stripe_standin.subscribe(customer_id)


def test_stripe_making_someone_a_member_is_one_entry_however_often_it_says_so(client, joining):
    membership, subscription = joining
    payload = event_payload(
        "customer.subscription.created",
        subscription_object(subscription.id, membership.stripe_customer_id),
        event_id="evt_audit_1",
    )

    for _ in range(3):
        assert post_event(client, payload).status_code == 200
    # Another event saying the same: nothing changed, so nothing is recorded.
    post_event(
        client,
        event_payload(
            "customer.subscription.updated",
            subscription_object(subscription.id, membership.stripe_customer_id),
        ),
    )

    entry = the_entry()
    assert (entry.action, entry.actor_kind, entry.actor) == (
        Action.MEMBERSHIP_STATUS_CHANGED,
        ActorKind.STRIPE,
        None,
    )
    assert entry.target == membership
    assert entry.before == {"status": ""}
    assert entry.after == {"status": "active"}
    assert entry.reason == "Stripe event customer.subscription.created (evt_audit_1)"
    assert membership.user.email not in entry.target_repr


def test_staff_resyncing_in_the_admin_are_the_actor(staff_client, staff, joining, stripe_standin):
    membership, subscription = joining
    Membership.objects.filter(pk=membership.pk).update(
        stripe_subscription_id=subscription.id, status="active"
    )
    stripe_standin.set_subscription(subscription.id, cancel_at_period_end=True)

    staff_client.post(
        reverse("admin:billing_membership_changelist"),
        {"action": "resync_from_stripe", "_selected_action": [membership.pk]},
    )

    entry = the_entry()
    assert (entry.actor, entry.actor_kind) == (staff, ActorKind.STAFF)
    assert (entry.before, entry.after) == (
        {"cancel_at_period_end": False},
        {"cancel_at_period_end": True},
    )
    assert entry.reason == "Resynced from Stripe in the admin"


def test_the_nightly_reconciliation_is_the_system(joining, stripe_standin):
    membership, subscription = joining
    Membership.objects.filter(pk=membership.pk).update(
        stripe_subscription_id=subscription.id, status="active"
    )
    stripe_standin.set_subscription(subscription.id, status="past_due")

    billing.memberships_reconcile()

    entry = the_entry()
    assert (entry.actor, entry.actor_kind, entry.reason) == (
        None,
        ActorKind.SYSTEM,
        "Reconciliation",
    )
    assert (entry.before, entry.after) == ({"status": "active"}, {"status": "past_due"})


# --- Moderation ------------------------------------------------------------------------------


@pytest.fixture
def discussion():
    group = GroupFactory(name="Bristol Walks")
    organiser = add_member(group, role=GroupMembership.Role.ORGANISER)
    author = add_member(group)
    post = PostFactory(thread=thread_with_opening(group, author), author=author)
    return group, organiser, post


def test_an_organiser_hiding_a_post(discussion):
    _group, organiser, post = discussion

    groups.post_hide(post=post, by=organiser, reason=Post.HiddenReason.OFF_TOPIC)
    groups.post_hide(post=post, by=organiser, reason=Post.HiddenReason.OFF_TOPIC)  # no change

    entry = the_entry()
    assert (entry.action, entry.actor, entry.actor_kind) == (
        Action.POST_HIDDEN,
        organiser,
        ActorKind.ORGANISER,
    )
    assert entry.target == post
    assert entry.target_repr == f"post #{post.pk} in Bristol Walks"
    assert entry.before == {"is_hidden": False, "hidden_reason": "", "hidden_by": None}
    assert entry.after == {
        "is_hidden": True,
        "hidden_reason": "off_topic",
        "hidden_by": organiser.pk,
    }
    assert entry.reason == "off topic"


def test_approving_keeps_who_hid_the_post_on_it_and_in_the_log(discussion, staff):
    _group, organiser, post = discussion
    groups.post_hide(post=post, by=organiser, reason=Post.HiddenReason.SELLING)

    assert groups.post_approve(post=post, by=staff)

    post.refresh_from_db()
    assert not post.is_hidden
    assert post.hidden_by == organiser  # the last hide, kept
    approval = AuditEntry.objects.get(action=Action.POST_APPROVED)
    assert (approval.actor, approval.actor_kind) == (staff, ActorKind.STAFF)
    assert approval.before == {
        "is_hidden": True,
        "hidden_reason": "selling",
        "hidden_by": organiser.pk,
    }
    assert approval.after == {"is_hidden": False, "hidden_reason": ""}
    # Approving again changes nothing and records nothing.
    groups.post_approve(post=post, by=staff)
    assert AuditEntry.objects.count() == 2


def test_enough_reports_hide_a_post_as_the_system_with_the_reports_as_reason(discussion):
    group, _organiser, post = discussion

    for _ in range(3):
        groups.post_report(post=post, reporter=add_member(group), reason="spam")

    entry = the_entry()
    assert (entry.action, entry.actor, entry.actor_kind) == (
        Action.POST_HIDDEN,
        None,
        ActorKind.SYSTEM,
    )
    assert entry.after == {"is_hidden": True, "hidden_reason": "reported"}
    assert entry.reason == "Reported by 3 members"


def test_staff_closing_reports_on_a_shown_post_is_recorded(discussion, staff):
    group, _organiser, post = discussion
    groups.post_report(post=post, reporter=add_member(group), reason="selling")

    groups.post_approve(post=post, by=staff)

    entry = the_entry()
    assert (entry.action, entry.before, entry.after) == (
        Action.POST_APPROVED,
        {"open_reports": 1, "hidden_by": None},
        {"open_reports": 0},
    )


# --- Events --------------------------------------------------------------------------------


def test_organisers_creating_editing_publishing_and_cancelling_an_event():
    group = GroupFactory()
    organiser = add_member(group, role=GroupMembership.Role.ORGANISER)
    draft = EventFactory.build(group=group, slug="", is_published=False, title="Breakfast")

    event, _changed = events.event_save(event=draft, by=organiser)
    created = the_entry()
    assert (created.action, created.actor, created.actor_kind) == (
        Action.EVENT_CREATED,
        organiser,
        ActorKind.ORGANISER,
    )
    assert created.before is None
    assert created.after["title"] == "Breakfast"
    assert created.after["is_published"] is False

    edited = Event.objects.get(pk=event.pk)
    edited.title = "Business breakfast"
    events.event_save(event=edited, by=organiser)
    events.event_save(event=Event.objects.get(pk=event.pk), by=organiser)  # nothing changed
    changed = AuditEntry.objects.get(action=Action.EVENT_CHANGED)
    assert (changed.before, changed.after) == (
        {"title": "Breakfast"},
        {"title": "Business breakfast"},
    )

    events.event_publish(event=event, by=organiser)
    events.event_publish(event=event, by=organiser)  # already published
    published = AuditEntry.objects.get(action=Action.EVENT_PUBLISHED)
    assert (published.before, published.after) == ({"is_published": False}, {"is_published": True})

    events.event_cancel(event=event, by=organiser, reason="The venue flooded.")
    events.event_cancel(event=event, by=organiser, reason="Again")  # already cancelled
    cancelled = AuditEntry.objects.get(action=Action.EVENT_CANCELLED)
    assert cancelled.reason == "The venue flooded."
    assert AuditEntry.objects.count() == 4


def test_staff_publishing_events_in_the_admin(staff_client, staff):
    event = EventFactory(is_published=False)

    staff_client.post(
        reverse("admin:events_event_changelist"),
        {"action": "publish", "_selected_action": [event.pk]},
    )

    entry = the_entry()
    assert (entry.action, entry.actor, entry.actor_kind) == (
        Action.EVENT_PUBLISHED,
        staff,
        ActorKind.STAFF,
    )


# --- Offers and partners ---------------------------------------------------------------------


def test_staff_adding_and_changing_an_offer_in_the_admin(staff_client, staff):
    partner = PartnerFactory()
    form = {
        "partner": partner.pk,
        "title": "Coffee for members",
        "slug": "coffee-for-members",
        "description": "Good coffee.",
        "terms": "Once each.",
        "valid_from": "2026-12-01",
        "valid_until": "2026-12-31",
        "method": "generated",
        "shared_code": "",
        "per_member_limit": "1",
        "total_cap": "",
    }

    assert staff_client.post(reverse("admin:discounts_offer_add"), form).status_code == 302
    offer = Offer.objects.get()
    change = reverse("admin:discounts_offer_change", args=[offer.pk])
    assert staff_client.post(change, form | {"total_cap": "50"}).status_code == 302

    created, changed = AuditEntry.objects.order_by("pk")
    assert (created.action, created.actor, created.actor_kind) == (
        Action.OFFER_CREATED,
        staff,
        ActorKind.STAFF,
    )
    assert created.after["title"] == "Coffee for members"
    assert (changed.action, changed.before, changed.after) == (
        Action.OFFER_CHANGED,
        {"total_cap": None},
        {"total_cap": 50},
    )


def test_rotating_a_partners_link_records_that_it_changed_never_the_secret(staff):
    partner = PartnerFactory()

    discounts.partner_rotate_token(partner=partner, by=staff)

    entry = the_entry()
    assert (entry.action, entry.actor, entry.before, entry.after) == (
        Action.PARTNER_LINK_ROTATED,
        staff,
        None,
        None,
    )


def test_importing_codes_records_how_many_never_the_codes(staff):
    offer = OfferFactory(method=Offer.Method.POOL)

    discounts.offer_import_codes(offer=offer, data=b"code\nSECRET-ONE\nSECRET-TWO\n", by=staff)

    entry = the_entry()
    assert (entry.action, entry.after) == (Action.OFFER_CODES_IMPORTED, {"imported": 2})
    assert "SECRET" not in str(AuditEntry.objects.values().get())


# --- Experts ---------------------------------------------------------------------------------


def test_staff_publishing_and_featuring_experts_from_the_list(staff_client, staff):
    expert = ExpertFactory(is_published=False, is_featured=False)
    changelist = reverse("admin:experts_expert_changelist")
    rows = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "form-0-id": expert.pk,
        "_save": "Save",
    }

    staff_client.post(changelist, rows | {"form-0-is_published": "on"})
    staff_client.post(changelist, rows | {"form-0-is_published": "on", "form-0-is_featured": "on"})

    published, featured = AuditEntry.objects.order_by("pk")
    assert Expert.objects.get(pk=expert.pk).is_featured
    assert (published.action, published.actor, published.actor_kind) == (
        Action.EXPERT_PUBLISHED,
        staff,
        ActorKind.STAFF,
    )
    assert (published.before, published.after) == ({"is_published": False}, {"is_published": True})
    assert (featured.action, featured.before, featured.after) == (
        Action.EXPERT_CHANGED,
        {"is_featured": False},
        {"is_featured": True},
    )


# --- Groups and their organisers -------------------------------------------------------------


def test_staff_making_a_member_an_organiser_and_back(staff_client, staff):
    group = GroupFactory(name="Leeds Walks")
    add_member(group, role=GroupMembership.Role.ORGANISER)
    member = add_member(group)
    membership = GroupMembership.objects.get(group=group, user=member)
    changelist = reverse("admin:groups_groupmembership_changelist")

    staff_client.post(changelist, {"action": "make_organiser", "_selected_action": [membership.pk]})
    staff_client.post(changelist, {"action": "make_member", "_selected_action": [membership.pk]})

    added, removed = AuditEntry.objects.order_by("pk")
    assert (added.action, added.actor, added.actor_kind, added.target) == (
        Action.GROUP_ORGANISER_ADDED,
        staff,
        ActorKind.STAFF,
        group,
    )
    assert (added.before, added.after) == (
        {"user": member.pk, "role": "member"},
        {"user": member.pk, "role": "organiser"},
    )
    assert removed.action == Action.GROUP_ORGANISER_REMOVED
    assert removed.after == {"user": member.pk, "role": "member"}


def test_staff_adding_an_organiser_on_the_groups_page(staff_client, staff):
    group = GroupFactory(name="Leeds Walks")
    interest = group.interests.model.objects.first()
    group.interests.set([interest])
    person = UserFactory()
    data = {
        "name": group.name,
        "slug": group.slug,
        "summary": group.summary,
        "details": group.details,
        "interests": [interest.pk],
        "city": group.city,
        "is_published": "on",
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
        "memberships-0-user": person.pk,
        "memberships-0-role": "organiser",
        "memberships-0-group": group.pk,
    }

    response = staff_client.post(reverse("admin:groups_group_change", args=[group.pk]), data)

    assert response.status_code == 302
    assert GroupMembership.objects.get(group=group, user=person).is_organiser
    entry = the_entry()  # the group's own fields did not change: only its organisers
    assert (entry.action, entry.actor, entry.after) == (
        Action.GROUP_ORGANISER_ADDED,
        staff,
        {"user": person.pk, "role": "organiser"},
    )


def test_an_organiser_leaving_gives_up_the_role():
    group = GroupFactory()
    add_member(group, role=GroupMembership.Role.ORGANISER)
    leaving = add_member(group, role=GroupMembership.Role.ORGANISER)

    groups.group_leave(group=group, user=leaving)

    entry = the_entry()
    assert (entry.action, entry.actor, entry.actor_kind, entry.reason) == (
        Action.GROUP_ORGANISER_REMOVED,
        leaving,
        ActorKind.ORGANISER,
        "Left the group",
    )


def test_staff_approving_a_proposal_and_unpublishing_the_group(staff_client, staff):
    proposal = GroupProposalFactory(name="Cardiff Makers")

    staff_client.post(
        reverse("admin:groups_groupproposal_changelist"),
        {"action": "approve", "_selected_action": [proposal.pk]},
    )
    group = Group.objects.get(proposal=GroupProposal.objects.get(pk=proposal.pk))
    staff_client.post(
        reverse("admin:groups_group_changelist"),
        {"action": "unpublish", "_selected_action": [group.pk]},
    )

    created, unpublished = AuditEntry.objects.order_by("pk")
    assert (created.action, created.actor, created.target) == (Action.GROUP_CREATED, staff, group)
    assert created.after["organiser"] == proposal.proposer_id
    assert created.after["proposal"] == proposal.pk
    assert (unpublished.action, unpublished.before, unpublished.after) == (
        Action.GROUP_UNPUBLISHED,
        {"is_published": True},
        {"is_published": False},
    )


# --- Accounts --------------------------------------------------------------------------------


def test_staff_granting_staff_status_in_the_admin(staff_client, staff):
    member = UserFactory(email="promoted@example.org")
    form = admin_user_form(member)
    url = reverse("admin:members_user_change", args=[member.pk])

    assert staff_client.post(url, form).status_code == 302
    staff_client.post(url, form)  # saved again, still staff: nothing more

    entry = the_entry()
    assert (entry.action, entry.actor, entry.target) == (
        Action.ACCOUNT_ROLES_CHANGED,
        staff,
        User.objects.get(pk=member.pk),
    )
    assert (entry.before, entry.after) == ({"is_staff": False}, {"is_staff": True})
    assert "promoted" not in entry.target_repr
