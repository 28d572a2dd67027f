"""Joining and leaving: POST only, active members only, idempotent; organisers stay."""

import threading
from html import unescape

import pytest
from django.db import connection
from django.urls import reverse

from groups.models import Group, GroupMembership, Post, ThreadFollow
from groups.services import LastOrganiserError, group_join, group_leave, group_set_role
from tests.groups.factories import GroupFactory, add_member, thread_with_opening
from tests.members.factories import UserFactory, make_active_member

pytestmark = pytest.mark.django_db


def join_url(group):
    return reverse("groups:join", kwargs={"slug": group.slug})


def leave_url(group):
    return reverse("groups:leave", kwargs={"slug": group.slug})


def count(group) -> int:
    return Group.objects.get(pk=group.pk).member_count


def is_in(group, user) -> bool:
    return GroupMembership.objects.filter(group=group, user=user).exists()


def test_a_member_joins_in_one_click_and_twice_changes_nothing(client, member):
    group = GroupFactory()
    client.force_login(member)

    first = client.post(join_url(group))
    second = client.post(join_url(group))

    assert first.status_code == second.status_code == 302
    assert first["Location"] == group.get_absolute_url()
    assert is_in(group, member)
    assert count(group) == 1
    assert GroupMembership.objects.filter(group=group).count() == 1


def test_leaving_twice_changes_nothing(client, member):
    group = GroupFactory()
    add_member(group)
    add_member(group, member)
    client.force_login(member)

    client.post(leave_url(group))
    client.post(leave_url(group))

    assert not is_in(group, member)
    assert count(group) == 1


def test_join_and_leave_are_post_only(client, member):
    group = GroupFactory()
    client.force_login(member)

    assert client.get(join_url(group)).status_code == 405
    assert client.get(leave_url(group)).status_code == 405
    assert not is_in(group, member)


def test_anonymous_visitors_are_sent_to_sign_in(client):
    group = GroupFactory()

    response = client.post(join_url(group))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert count(group) == 0


@pytest.mark.parametrize("who", ["non_member", "lapsed"])
def test_people_without_an_active_membership_are_sent_to_join(client, request, who):
    user = request.getfixturevalue(who)
    group = GroupFactory()
    add_member(group, UserFactory())
    if who == "lapsed":
        add_member(group, user)
    client.force_login(user)

    joined = client.post(join_url(group))
    left = client.post(leave_url(group))

    assert joined["Location"] == left["Location"] == reverse("billing:join")
    # A lapsed member keeps their place until they rejoin; nobody else got one.
    assert is_in(group, user) is (who == "lapsed")


def test_unpublished_groups_cannot_be_joined(client, member):
    group = GroupFactory(is_published=False)
    client.force_login(member)

    assert client.post(join_url(group)).status_code == 404


def test_the_last_organiser_cannot_leave(client, member):
    group = GroupFactory(name="Leeds Walks")
    add_member(group, member, role=GroupMembership.Role.ORGANISER)
    add_member(group)
    client.force_login(member)

    response = client.post(leave_url(group), follow=True)

    assert is_in(group, member)
    assert count(group) == 2
    assert "You're the only organiser of Leeds Walks" in unescape(response.content.decode())


def test_an_organiser_can_leave_when_another_remains(member):
    group = GroupFactory()
    add_member(group, member, role=GroupMembership.Role.ORGANISER)
    add_member(group, role=GroupMembership.Role.ORGANISER)

    assert group_leave(group=group, user=member) is True
    assert count(group) == 1


def test_leaving_stops_reply_emails_for_that_group(member):
    group = GroupFactory()
    add_member(group, member)
    thread = thread_with_opening(group, member)
    ThreadFollow.objects.create(thread=thread, user=member)

    group_leave(group=group, user=member)

    assert not ThreadFollow.objects.filter(user=member).exists()
    assert Post.objects.filter(thread=thread).exists()  # what they wrote stays


def test_the_last_organiser_cannot_be_made_an_ordinary_member(member):
    group = GroupFactory()
    add_member(group, member, role=GroupMembership.Role.ORGANISER)
    other = add_member(group)

    with pytest.raises(LastOrganiserError):
        group_set_role(group=group, user=member, role=GroupMembership.Role.MEMBER)
    group_set_role(group=group, user=other, role=GroupMembership.Role.ORGANISER)
    group_set_role(group=group, user=member, role=GroupMembership.Role.MEMBER)

    assert list(GroupMembership.objects.organisers().values_list("user", flat=True)) == [other.pk]


# --- Concurrency, on PostgreSQL with threads ------------------------------------------------


def _in_threads(functions) -> list:
    barrier = threading.Barrier(len(functions))
    results: list = [None] * len(functions)

    def run(index, function):
        try:
            barrier.wait()
            results[index] = function()
        except Exception as error:  # the test inspects what each thread got
            results[index] = error
        finally:
            connection.close()

    workers = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    return results


@pytest.mark.django_db(transaction=True)
def test_simultaneous_joins_count_each_member_once():
    group = GroupFactory()
    users = [UserFactory() for _ in range(6)]
    for user in users:
        make_active_member(user)

    # Each member clicks twice at once: twelve requests, six members.
    results = _in_threads(
        [lambda u=u: group_join(group=group, user=u) for u in users for _ in range(2)]
    )

    assert sorted(results) == [False] * 6 + [True] * 6
    assert GroupMembership.objects.filter(group=group).count() == 6
    assert count(group) == 6


@pytest.mark.django_db(transaction=True)
def test_two_last_organisers_leaving_at_once_leave_one_in_charge():
    group = GroupFactory()
    first, second = UserFactory(), UserFactory()
    for user in (first, second):
        group_join(group=group, user=user)
    GroupMembership.objects.filter(group=group).update(role=GroupMembership.Role.ORGANISER)

    results = _in_threads([lambda u=u: group_leave(group=group, user=u) for u in (first, second)])

    assert sorted(type(r).__name__ for r in results) == ["LastOrganiserError", "bool"]
    assert GroupMembership.objects.filter(group=group).organisers().count() == 1
    assert count(group) == 1
