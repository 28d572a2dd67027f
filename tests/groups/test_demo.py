"""Demo groups: realistic, idempotent, bulk-inserted, with members and discussion."""

import io
import random

import pytest

from groups import demo
from groups.models import Group, GroupMembership, Post, Thread
from members import demo as members_demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_members():
    members_demo.seed(60, random.Random(1))


def test_seeds_uk_groups_with_interests_members_organisers_and_discussion(
    demo_members, django_assert_max_num_queries
):
    with django_assert_max_num_queries(20):
        created = demo.seed(count=12, rng=random.Random(7), stdout=io.StringIO())

    assert created == 12
    leeds = Group.objects.get(slug="leeds-marketing-breakfast")
    assert leeds.city == "Leeds"
    assert set(leeds.interests.values_list("name", flat=True)) == {
        "Marketing",
        "Social media",
        "Branding and design",
    }
    for group in Group.objects.all():
        assert group.member_count == group.memberships.count() >= 6
        assert group.memberships.filter(role=GroupMembership.Role.ORGANISER).count() == 1
        assert group.threads.count() == 2
        assert group.last_activity_at is not None
    for thread in Thread.objects.all():
        assert thread.posts.filter(is_opening=True).count() == 1
        assert thread.posts.count() >= 2
        authors = set(thread.posts.values_list("author", flat=True))
        members = set(thread.group.memberships.values_list("user", flat=True))
        assert authors <= members


def test_running_again_adds_nothing(demo_members):
    demo.seed(count=12, rng=random.Random(7), stdout=io.StringIO())
    counts = (Group.objects.count(), GroupMembership.objects.count(), Post.objects.count())

    assert demo.seed(count=12, rng=random.Random(8), stdout=io.StringIO()) == 0
    assert (Group.objects.count(), GroupMembership.objects.count(), Post.objects.count()) == counts


def test_hundreds_of_groups_in_a_few_queries(demo_members, django_assert_max_num_queries):
    with django_assert_max_num_queries(30):
        assert demo.seed(count=300, rng=random.Random(3), stdout=io.StringIO()) == 300
    assert Group.objects.filter(name="Bath Marketing Breakfast").exists()
    assert Group.objects.values("slug").distinct().count() == 300


def test_without_demo_members_the_groups_are_still_made():
    out = io.StringIO()

    assert demo.seed(count=3, rng=random.Random(1), stdout=out) == 3
    assert GroupMembership.objects.count() == 0
    assert "No demo members yet" in out.getvalue()
