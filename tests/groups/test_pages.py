"""The pages: /groups/ with its filters and budget, a group's page for each kind of visitor."""

import re
from html import unescape

import pytest
from django.urls import reverse

from groups.models import GroupMembership
from tests.groups.factories import (
    GroupFactory,
    add_member,
    interest,
    named,
    thread_with_opening,
)
from tests.members.factories import UserFactory, make_active_member
from tests.staff import sign_in_with_mfa

pytestmark = pytest.mark.django_db

LIST = reverse("groups:list")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


def text(response) -> str:
    return unescape(response.content.decode())


def names(response, key="groups") -> list[str]:
    return [group.name for group in response.context[key]]


def assert_no_email_addresses(response) -> None:
    found = EMAIL.findall(text(response))
    assert found == [], f"email addresses on the page: {found}"


def detail(group) -> str:
    return reverse("groups:detail", kwargs={"slug": group.slug})


def with_interests(user, *slugs):
    user.profile.interests.set([interest(slug) for slug in slugs])
    return user


# --- /groups/ ------------------------------------------------------------------------------


def test_anyone_sees_published_groups_without_recommendations(client):
    GroupFactory(name="Leeds Marketing Breakfast")
    GroupFactory(name="Secret", is_published=False)

    response = client.get(LIST)

    assert response.status_code == 200
    assert names(response) == ["Leeds Marketing Breakfast"]
    assert "Secret" not in text(response)
    assert "Recommended for you" not in text(response)


def test_recommended_groups_come_first_and_say_why(client, member):
    with_interests(member, "marketing", "mindfulness", "yoga")
    GroupFactory(name="Walks", interests=[interest("mindfulness"), interest("marketing")])
    GroupFactory(name="Sales club", interests=[interest("sales")])
    client.force_login(member)

    response = client.get(LIST)

    page = text(response)
    assert names(response, "recommended") == ["Walks"]
    assert "Recommended for you" in page
    assert "You share: Marketing, Mindfulness" in page
    assert page.index("You share: Marketing, Mindfulness") < page.index("All groups")
    assert names(response) == ["Sales club", "Walks"]


def test_a_member_without_interests_is_asked_to_pick_some(client, member):
    GroupFactory(name="Walks", interests=[interest("mindfulness")])
    client.force_login(member)

    response = client.get(LIST)

    assert "Pick your interests" in text(response)
    assert response.context["recommended"] == []


def test_filters_by_interest_city_and_search(client):
    GroupFactory(name="Leeds Walks", city="Leeds", interests=[interest("walking-and-hiking")])
    GroupFactory(name="York Walks", city="York", interests=[interest("walking-and-hiking")])
    GroupFactory(
        name="Leeds Copy",
        city="Leeds",
        interests=[interest("writing-and-copywriting")],
        summary="Writers who earn a living with words.",
    )

    assert names(client.get(LIST, {"interest": "walking-and-hiking"})) == [
        "Leeds Walks",
        "York Walks",
    ]
    assert names(client.get(LIST, {"city": "Leeds"})) == ["Leeds Copy", "Leeds Walks"]
    assert names(client.get(LIST, {"city": "Leeds", "interest": "walking-and-hiking"})) == [
        "Leeds Walks"
    ]
    assert names(client.get(LIST, {"q": "living with words"})) == ["Leeds Copy"]
    assert names(client.get(LIST, {"q": "york"})) == ["York Walks"]
    assert names(client.get(LIST, {"q": "Walking and hiking"})) == ["Leeds Walks", "York Walks"]
    # Nonsense in a filter is ignored rather than an error.
    assert client.get(LIST, {"interest": "no-such-thing"}).status_code == 200


def test_filtered_results_show_no_recommendations(client, member):
    with_interests(member, "marketing", "sales", "yoga")
    GroupFactory(name="Walks", interests=[interest("marketing")])
    client.force_login(member)

    response = client.get(LIST, {"city": "Leeds"})

    assert response.context["recommended"] == []
    assert "Recommended for you" not in text(response)


def test_pages_of_24(client):
    for n in range(30):
        GroupFactory(name=f"Group {n:02d}")

    first = client.get(LIST)
    second = client.get(LIST, {"page": 2})

    assert len(names(first)) == 24
    assert names(second) == [f"Group {n:02d}" for n in range(24, 30)]


def test_joined_groups_are_marked(client, member):
    joined = GroupFactory(name="Mine")
    GroupFactory(name="Other")
    add_member(joined, member)
    client.force_login(member)

    response = client.get(LIST)

    assert [(g.name, g.joined) for g in response.context["groups"]] == [
        ("Mine", True),
        ("Other", False),
    ]


def _groups_with_members(count: int, viewer) -> None:
    for n in range(count):
        group = GroupFactory(
            name=f"Group {n:03d}", interests=[interest("marketing"), interest("mindfulness")]
        )
        add_member(group, UserFactory(), active=False)
        if n % 2:
            add_member(group, viewer)


@pytest.mark.parametrize("rows", [5, 50])
def test_list_query_budget_is_the_same_at_5_and_50_groups(
    client, member, rows, django_assert_num_queries
):
    with_interests(member, "marketing", "mindfulness", "yoga")
    _groups_with_members(rows, member)
    client.force_login(member)
    client.get(LIST)

    # session, user (with membership and profile), cities, count, groups, their interests,
    # recommended, shared interests, joined ids, the interest filter options
    with django_assert_num_queries(10):
        response = client.get(LIST)
    assert response.context["recommended"]


@pytest.mark.parametrize("rows", [5, 50])
def test_list_query_budget_for_visitors(client, member, rows, django_assert_num_queries):
    _groups_with_members(rows, member)

    with django_assert_num_queries(5):
        client.get(LIST)


# --- A group's page, for each kind of visitor ----------------------------------------------


@pytest.fixture
def group():
    group = GroupFactory(
        name="Leeds Marketing Breakfast",
        summary="Swapping what worked this month.",
        details="First Tuesday at the Corn Exchange café, 7.30am.",
        interests=[interest("marketing"), interest("social-media")],
    )
    organiser = named(UserFactory(), "Olive Organiser")
    make_active_member(organiser)
    add_member(group, organiser, role=GroupMembership.Role.ORGANISER)
    insider = named(UserFactory(), "Ian Insider", headline="Baker")
    make_active_member(insider)
    insider.profile.interests.set([interest("running")])
    add_member(group, insider)
    thread_with_opening(group, insider, title="Where shall we meet in March?")
    return group


PUBLIC = ["Leeds Marketing Breakfast", "Swapping what worked this month.", "Marketing",
          "Social media", "Olive Organiser", "2 members"]  # fmt: skip
MEMBERS_ONLY = ["Corn Exchange café", "Ian Insider", "Baker", "Running",
                "Where shall we meet in March?"]  # fmt: skip


def assert_sees(response, wanted, *, present=True):
    page = text(response)
    for phrase in wanted:
        assert (phrase in page) is present, f"{phrase!r} {'missing' if present else 'shown'}"


def test_anonymous_visitors_see_the_public_part_only(client, group):
    response = client.get(detail(group))

    assert response.status_code == 200
    assert_sees(response, PUBLIC)
    assert_sees(response, MEMBERS_ONLY, present=False)
    assert "Sign in" in text(response)
    assert_no_email_addresses(response)


def test_signed_in_non_members_are_invited_to_join_mutual(client, group, non_member):
    client.force_login(non_member)

    response = client.get(detail(group))

    assert_sees(response, PUBLIC)
    assert_sees(response, MEMBERS_ONLY, present=False)
    assert "Become a member to join" in text(response)


def test_lapsed_members_keep_their_place_but_not_the_members_part(client, group, lapsed):
    add_member(group, lapsed)
    client.force_login(lapsed)

    response = client.get(detail(group))

    assert_sees(response, PUBLIC[:-1])
    assert_sees(response, MEMBERS_ONLY, present=False)
    assert "Rejoin Mutual" in text(response)
    assert GroupMembership.objects.filter(group=group, user=lapsed).exists()


def test_active_members_see_details_members_and_discussion(client, group, member):
    client.force_login(member)

    response = client.get(detail(group))

    assert_sees(response, PUBLIC + MEMBERS_ONLY)
    assert "Join group" in text(response)
    assert_no_email_addresses(response)


def test_group_members_can_start_conversations_and_leave(client, group, member):
    add_member(group, member)
    client.force_login(member)

    response = client.get(detail(group))

    assert "Start a conversation" in text(response)
    assert "Leave group" in text(response)
    assert_no_email_addresses(response)


def test_members_who_hide_from_the_directory_are_not_listed(client, group, member):
    shy = add_member(group)
    shy.profile.display_name = "Shy Person"
    shy.profile.in_directory = False
    shy.profile.save()
    client.force_login(member)

    assert "Shy Person" not in text(client.get(detail(group)))
    assert "Shy Person" not in text(client.get(reverse("groups:members", args=[group.slug])))


def test_unpublished_groups_are_for_staff_only(client, member, staff):
    hidden = GroupFactory(name="Draft", is_published=False)
    client.force_login(member)
    assert client.get(detail(hidden)).status_code == 404
    client.force_login(staff)  # a password alone carries no staff powers
    assert client.get(detail(hidden)).status_code == 404
    sign_in_with_mfa(client, staff)
    assert client.get(detail(hidden)).status_code == 200


def test_member_list_page_is_for_active_members(client, group, member, non_member):
    url = reverse("groups:members", args=[group.slug])
    assert client.get(url).status_code == 302
    client.force_login(non_member)
    assert client.get(url)["Location"] == reverse("billing:join")
    client.force_login(member)
    response = client.get(url)
    assert_sees(response, ["Olive Organiser", "Ian Insider", "Baker"])
    assert_no_email_addresses(response)


@pytest.mark.parametrize("rows", [5, 50])
def test_group_page_query_budget_is_the_same_at_5_and_50(
    client, member, rows, django_assert_num_queries
):
    group = GroupFactory(interests=[interest("marketing"), interest("yoga")])
    add_member(group, member, role=GroupMembership.Role.ORGANISER)
    for n in range(rows):
        user = add_member(group, active=False)
        user.profile.interests.set([interest("marketing"), interest("running")])
        if n % 3 == 0:
            add_member(group, UserFactory(), role=GroupMembership.Role.ORGANISER, active=False)
        thread_with_opening(group, user, title=f"Thread {n}")
    client.force_login(member)
    client.get(detail(group))

    # session, user (with membership and profile), group, its interests, organisers with the
    # viewer's own membership, members, their interests, threads count, threads, upcoming
    # events
    with django_assert_num_queries(10):
        response = client.get(detail(group))
    assert len(response.context["members"]) == min(12, group.memberships.count())
    assert len(response.context["threads"].object_list) == min(rows, 20)
