"""The audit log in the admin: read-only, searchable, filtered, and a history on change pages."""

from html import unescape

import pytest
from django.db import transaction
from django.urls import reverse

from audit.admin import history_url
from audit.models import Action, ActorKind, AuditEntry
from audit.services import record
from discounts import services as discounts
from events import services as events
from experts import services as experts
from groups import services as groups
from groups.models import GroupMembership, Post
from tests.discounts.factories import OfferFactory
from tests.events.factories import EventFactory
from tests.experts.factories import ExpertFactory
from tests.groups.factories import GroupFactory, PostFactory, add_member, thread_with_opening
from tests.members.factories import UserFactory, make_active_member

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:audit_auditentry_changelist"


def text(response) -> str:
    return unescape(response.content.decode())


def hidden_post(staff):
    group = GroupFactory(name="Bristol Walks")
    author = add_member(group)
    post = PostFactory(thread=thread_with_opening(group, author), author=author)
    groups.post_hide(post=post, by=staff, reason=Post.HiddenReason.SPAM)
    return post, "post hidden"


def changed_event(staff):
    event = EventFactory(title="Breakfast")
    event.title = "Business breakfast"
    events.event_save(event=event, by=staff)
    return event, "event changed"


def changed_offer(staff):
    offer = OfferFactory(total_cap=10)
    offer.total_cap = 20
    discounts.offer_save(offer=offer, by=staff)
    return offer, "offer changed"


def featured_expert(staff):
    expert = ExpertFactory(is_featured=False)
    expert.is_featured = True
    experts.expert_save(expert=expert, by=staff)
    return expert, "expert changed"


def group_with_new_organiser(staff):
    group = GroupFactory()
    groups.group_set_role(
        group=group, user=add_member(group), role=GroupMembership.Role.ORGANISER, by=staff
    )
    return group, "group organiser added"


def membership_changed_by_stripe(staff):
    membership = make_active_member(UserFactory())
    with transaction.atomic():
        record(
            actor=None,
            actor_kind=ActorKind.STRIPE,
            action=Action.MEMBERSHIP_STATUS_CHANGED,
            target=membership,
            target_repr=f"membership #{membership.pk}",
            before={"status": "active"},
            after={"status": "past_due"},
            reason="Stripe event invoice.payment_failed (evt_1)",
        )
    return membership, "membership status changed"


@pytest.mark.parametrize(
    ("make", "admin_name"),
    [
        (hidden_post, "groups_post"),
        (changed_event, "events_event"),
        (changed_offer, "discounts_offer"),
        (featured_expert, "experts_expert"),
        (group_with_new_organiser, "groups_group"),
        (membership_changed_by_stripe, "billing_membership"),
    ],
)
def test_a_change_page_shows_its_history_and_links_to_the_whole_log(
    staff_client, staff, make, admin_name
):
    obj, label = make(staff)

    page = text(staff_client.get(reverse(f"admin:{admin_name}_change", args=[obj.pk])))

    assert "History" in page
    assert label in page
    assert history_url(obj) in page.replace("&amp;", "&")


def test_the_history_link_lists_that_objects_entries_only(staff_client, staff):
    post, _label = hidden_post(staff)
    other, _label = changed_event(staff)

    page = text(staff_client.get(history_url(post)))

    assert f"post #{post.pk} in Bristol Walks" in page
    assert other.title not in page


def test_the_log_is_filtered_by_action_and_by_who_acted_and_searched(staff_client, staff):
    hidden_post(staff)
    membership_changed_by_stripe(staff)
    url = reverse(CHANGELIST)

    by_action = text(staff_client.get(url, {"action__exact": "post.hidden"}))
    by_kind = text(staff_client.get(url, {"actor_kind__exact": "stripe"}))
    searched = text(staff_client.get(url, {"q": "payment_failed"}))

    assert "Bristol Walks" in by_action and "membership #" not in by_action
    assert "membership #" in by_kind and "Bristol Walks" not in by_kind
    assert "membership #" in searched and "Bristol Walks" not in searched


def test_the_log_cannot_be_added_to_changed_or_emptied_in_the_admin(staff_client, staff):
    hidden_post(staff)
    entry = AuditEntry.objects.get()
    change = reverse("admin:audit_auditentry_change", args=[entry.pk])

    assert staff_client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    assert staff_client.get(change).status_code == 200
    assert staff_client.post(change, {"reason": "rewritten"}).status_code == 403
    delete = reverse("admin:audit_auditentry_delete", args=[entry.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.get().reason == entry.reason


def test_an_entry_by_an_erased_account_says_so(staff_client, staff):
    leaving = UserFactory()
    group = GroupFactory()
    add_member(group, role=GroupMembership.Role.ORGANISER)
    with transaction.atomic():
        record(
            actor=leaving,
            actor_kind=ActorKind.ORGANISER,
            action=Action.GROUP_ORGANISER_REMOVED,
            target=group,
        )
    leaving.delete()

    page = text(staff_client.get(reverse("admin:groups_group_change", args=[group.pk])))

    assert "an erased account (organiser)" in " ".join(page.split())
