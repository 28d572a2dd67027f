"""Recommendations: ranked by shared interests in the database, with their reason."""

from datetime import timedelta

import pytest
from django.utils import timezone

from groups.models import Group
from groups.selectors import featured_groups, recommended_groups
from tests.groups.factories import GroupFactory, add_member, interest
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
