"""Staff curation: groups with organisers inline, proposals, and the post review queue."""

import pytest
from django.urls import reverse

from groups.models import Group, GroupMembership, GroupProposal, Post, PostReport
from groups.services import post_report
from tests.groups.factories import (
    GroupFactory,
    GroupProposalFactory,
    PostFactory,
    add_member,
    interest,
    thread_with_opening,
)
from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db


def changelist(model: str) -> str:
    return reverse(f"admin:groups_{model}_changelist")


@pytest.mark.parametrize(
    "model",
    ["group", "groupmembership", "groupproposal", "post", "postforreview", "thread", "postreport"],
)
def test_every_list_opens(admin_client, model):
    group = GroupFactory(interests=[interest("marketing")])
    author = add_member(group)
    thread = thread_with_opening(group, author)
    post_report(post=thread.posts.get(), reporter=add_member(group), reason="spam")
    GroupProposalFactory()

    assert admin_client.get(changelist(model)).status_code == 200


@pytest.mark.parametrize("rows", [5, 50])
def test_group_list_counts_members_in_the_query(admin_client, rows, django_assert_num_queries):
    for n in range(rows):
        group = GroupFactory(name=f"G{n:02d}")
        add_member(group, UserFactory(), active=False)
        add_member(group, UserFactory(), role=GroupMembership.Role.ORGANISER, active=False)
    admin_client.get(changelist("group"))

    with django_assert_num_queries(8):
        response = admin_client.get(changelist("group"))
    rows_html = response.content.decode()
    assert rows_html.count('class="field-members">2<') == min(rows, 100)


def test_staff_add_an_organiser_inline_and_the_count_follows(admin_client):
    group = GroupFactory(name="Leeds Walks", interests=[interest("walking-and-hiking")])
    person = UserFactory()
    url = reverse("admin:groups_group_change", args=[group.pk])
    data = {
        "name": group.name,
        "slug": group.slug,
        "summary": group.summary,
        "details": group.details,
        "interests": [interest("walking-and-hiking").pk],
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

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert GroupMembership.objects.get(group=group, user=person).is_organiser
    assert Group.objects.get(pk=group.pk).member_count == 1


def test_approving_a_proposal_from_the_admin(admin_client, staff):
    proposal = GroupProposalFactory(name="Hull Start-up Circle", interests=[interest("start-ups")])

    admin_client.post(
        changelist("groupproposal"),
        {"action": "approve", "_selected_action": [proposal.pk]},
    )

    proposal.refresh_from_db()
    assert proposal.status == GroupProposal.Status.APPROVED
    assert proposal.decided_by == staff
    assert proposal.group.name == "Hull Start-up Circle"


def test_the_review_queue_holds_held_and_reported_posts_until_staff_decide(admin_client, staff):
    group = GroupFactory()
    author = add_member(group)
    thread = thread_with_opening(group, author)
    fine = PostFactory(thread=thread, author=author, body="Lovely walk.")
    reported = PostFactory(thread=thread, author=author, body="Rude words here.")
    held = PostFactory(
        thread=thread,
        author=author,
        body="Buy now!",
        is_hidden=True,
        hidden_reason=Post.HiddenReason.HELD,
        spam_flags="selling",
    )
    post_report(post=reported, reporter=add_member(group), reason="abusive")

    queue = admin_client.get(changelist("postforreview")).context["cl"].result_list
    assert {p.pk for p in queue} == {reported.pk, held.pk}
    assert fine.pk not in {p.pk for p in queue}

    admin_client.post(
        changelist("postforreview"),
        {"action": "hide_as_abusive", "_selected_action": [reported.pk]},
    )
    admin_client.post(
        changelist("postforreview"), {"action": "approve", "_selected_action": [held.pk]}
    )

    reported.refresh_from_db()
    held.refresh_from_db()
    assert reported.is_hidden and reported.hidden_reason == "abusive"
    assert not held.is_hidden and held.reviewed_by == staff
    assert not PostReport.objects.filter(resolved_at__isnull=True).exists()
    assert list(admin_client.get(changelist("postforreview")).context["cl"].result_list) == []


def test_change_pages_open(admin_client):
    group = GroupFactory(interests=[interest("marketing")])
    author = add_member(group, role=GroupMembership.Role.ORGANISER)
    thread = thread_with_opening(group, author)
    proposal = GroupProposalFactory(interests=[interest("yoga")])

    for name, pk in [
        ("group", group.pk),
        ("groupproposal", proposal.pk),
        ("post", thread.posts.get().pk),
        ("thread", thread.pk),
    ]:
        assert (
            admin_client.get(reverse(f"admin:groups_{name}_change", args=[pk])).status_code == 200
        )


def test_staff_make_a_member_an_organiser_and_the_last_one_stays(admin_client):
    group = GroupFactory()
    organiser = add_member(group, role=GroupMembership.Role.ORGANISER)
    member = add_member(group)
    memberships = {m.user_id: m.pk for m in GroupMembership.objects.filter(group=group)}

    admin_client.post(
        changelist("groupmembership"),
        {"action": "make_organiser", "_selected_action": [memberships[member.pk]]},
    )
    admin_client.post(
        changelist("groupmembership"),
        {"action": "make_member", "_selected_action": list(memberships.values())},
    )

    # Demoting both would leave nobody in charge: the second is refused.
    assert GroupMembership.objects.filter(group=group).organisers().count() == 1
    assert {organiser.pk, member.pk} >= set(
        GroupMembership.objects.filter(group=group).organisers().values_list("user", flat=True)
    )
