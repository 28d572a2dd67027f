"""Recommendations ranked by shared interests in the database, with their reason; the group
list, a thread's posts and a member's proposals."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from groups.models import Group, PostReport
from groups.selectors import (
    featured_groups,
    group_listing,
    is_following,
    proposals_of,
    recommended_groups,
    thread_posts,
)
from groups.services import thread_follow
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


def person(*slugs, city="Bristol"):
    user = UserFactory()
    user.profile.city = city
    user.profile.save(update_fields=["city"])
    user.profile.interests.set([interest(slug) for slug in slugs])
    return user


def names(groups) -> list[str]:
    return [group.name for group in groups]


def test_groups_sharing_more_interests_come_first_with_the_reason():
    user = person("marketing", "mindfulness", "running")
    GroupFactory(name="One", interests=[interest("marketing"), interest("sales")])
    GroupFactory(name="Two", interests=[interest("marketing"), interest("mindfulness")])
    GroupFactory(
        name="Three",
        interests=[interest("marketing"), interest("mindfulness"), interest("running")],
    )
    GroupFactory(name="None shared", interests=[interest("sales"), interest("yoga")])

    groups = recommended_groups(user)

    assert names(groups) == ["Three", "Two", "One"]
    assert [g.shared for g in groups] == [3, 2, 1]
    assert groups[1].reason == "You share: Marketing, Mindfulness"
    assert groups[0].reason == "You share: Marketing, Mindfulness, Running"
    assert [i.name for i in groups[2].shared_interests] == ["Marketing"]


def test_joined_and_unpublished_groups_are_not_recommended():
    user = person("marketing", "mindfulness", "sales")
    joined = GroupFactory(name="Joined", interests=[interest("marketing")])
    GroupFactory(name="Hidden", interests=[interest("marketing")], is_published=False)
    GroupFactory(name="Open", interests=[interest("marketing")])
    add_member(joined, user)

    assert names(recommended_groups(user)) == ["Open"]


def test_ties_go_to_the_members_town_then_recent_activity_then_size():
    user = person("marketing", "sales", "yoga", city="Leeds")
    now = timezone.now()
    quiet_big = GroupFactory(name="A quiet big", city="York", interests=[interest("marketing")])
    Group.objects.filter(pk=quiet_big.pk).update(
        member_count=90, last_activity_at=now - timedelta(days=90)
    )
    lively = GroupFactory(name="B lively", city="York", interests=[interest("marketing")])
    Group.objects.filter(pk=lively.pk).update(member_count=5, last_activity_at=now)
    local = GroupFactory(name="C local", city="leeds", interests=[interest("marketing")])
    Group.objects.filter(pk=local.pk).update(member_count=1)
    GroupFactory(
        name="D bigger overlap", city="York", interests=[interest("marketing"), interest("sales")]
    )

    assert names(recommended_groups(user)) == [
        "D bigger overlap",  # overlap beats everything
        "C local",  # then the member's own town (any case)
        "B lively",  # then discussion in the last 30 days
        "A quiet big",
    ]


def test_limit_and_nothing_for_visitors_or_members_without_interests(client):
    from django.contrib.auth.models import AnonymousUser

    user = person("marketing", "sales", "yoga")
    for n in range(8):
        GroupFactory(name=f"G{n}", interests=[interest("marketing")])

    assert len(recommended_groups(user, limit=6)) == 6
    assert recommended_groups(AnonymousUser()) == []
    assert recommended_groups(person()) == []


def test_ranking_is_one_query_plus_the_shared_interests(django_assert_num_queries):
    user = person("marketing", "mindfulness", "sales")
    user = type(user).objects.select_related("profile").get(pk=user.pk)
    for n in range(20):
        GroupFactory(name=f"G{n}", interests=[interest("marketing"), interest("mindfulness")])

    with django_assert_num_queries(2):
        groups = recommended_groups(user)
        assert all(g.reason for g in groups)


def test_featured_groups_prefer_recent_activity_then_size():
    now = timezone.now()
    big = GroupFactory(name="Big")
    Group.objects.filter(pk=big.pk).update(member_count=50)
    active = GroupFactory(name="Active")
    Group.objects.filter(pk=active.pk).update(member_count=3, last_activity_at=now)
    GroupFactory(name="Small")
    GroupFactory(name="Unpublished", is_published=False)

    assert names(featured_groups(limit=3)) == ["Active", "Big", "Small"]


# --- The group list and a thread's page: their reads are selectors --------------------------


def test_group_listing_filters_pages_marks_joined_and_recommends_on_the_first_page_only():
    user = person("marketing")
    joined = GroupFactory(name="Alpha", city="York", interests=[interest("marketing")])
    GroupFactory(name="Beta", city="Leeds", interests=[interest("marketing")])
    GroupFactory(name="Gamma", city="York", interests=[interest("sales")])
    GroupFactory(name="Hidden", city="York", is_published=False)
    add_member(joined, user)

    everything = group_listing(viewer=user, filters={}, per_page=2)
    in_york = group_listing(viewer=user, filters={"city": "York"})
    second = group_listing(viewer=user, filters={}, page_number=2, per_page=2)

    assert names(everything.groups) == ["Alpha", "Beta"]
    assert [g.joined for g in everything.groups] == [True, False]
    assert everything.show_recommended and names(everything.recommended) == ["Beta"]
    assert everything.has_interests
    assert names(in_york.groups) == ["Alpha", "Gamma"]
    assert not in_york.show_recommended and in_york.recommended == []
    assert names(second.groups) == ["Gamma"] and not second.show_recommended


def test_group_listing_for_a_visitor_recommends_nothing_and_joins_nothing():
    GroupFactory(name="Alpha")

    listing = group_listing(viewer=AnonymousUser(), filters={})

    assert names(listing.groups) == ["Alpha"] and not listing.groups[0].joined
    assert listing.recommended == [] and not listing.has_interests


def test_thread_posts_hide_hidden_posts_from_members_and_carry_the_viewers_own_reports():
    group = GroupFactory()
    author, reader = add_member(group), add_member(group)
    thread = thread_with_opening(group, author)
    shown = PostFactory(thread=thread, body="Shown")
    PostFactory(thread=thread, body="Hidden", is_hidden=True, hidden_reason="spam")
    PostReport.objects.create(post=shown, reporter=reader, reason="spam")
    PostReport.objects.create(post=shown, reporter=author, reason="spam")

    for_member = list(thread_posts(thread=thread, viewer=reader, moderator=False))
    for_moderator = list(thread_posts(thread=thread, viewer=author, moderator=True))

    assert [p.body for p in for_member] == ["Nice to meet you all.", "Shown"]
    assert [len(p.my_reports) for p in for_member] == [0, 1]
    assert for_member[1].my_reports[0].reporter_id == reader.pk
    assert "Hidden" in [p.body for p in for_moderator]
    assert not is_following(thread=thread, user=reader)
    thread_follow(thread=thread, user=reader)
    assert is_following(thread=thread, user=reader)


def test_proposals_of_are_the_members_own():
    mine, theirs = UserFactory(), UserFactory()
    GroupProposalFactory(proposer=mine, name="Walkers")
    GroupProposalFactory(proposer=theirs, name="Runners")

    assert [p.name for p in proposals_of(user=mine)] == ["Walkers"]
