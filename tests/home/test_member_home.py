"""A member's home: what's on for them, one section each, and a next step where it's empty."""

import re

import pytest
from django.urls import reverse

from billing.models import Membership
from events.services.rsvp import rsvp_respond
from tests.events.factories import EventFactory, active_member
from tests.home.factories import busy_home, member_with_interests, waiting_position

pytestmark = pytest.mark.django_db

HOME = "/"


def section(html: str, heading_id: str) -> str:
    """The HTML of the home's section labelled by `heading_id`."""
    match = re.search(
        rf'<section[^>]*aria-labelledby="{heading_id}".*?</section>', html, flags=re.DOTALL
    )
    assert match, f"no section {heading_id}"
    return match.group(0)


def test_a_member_gets_their_home_not_the_public_page(client):
    member = member_with_interests()
    client.force_login(member)

    response = client.get(HOME)

    assert response.status_code == 200
    assert response.templates[0].name == "home/member_home.html"
    html = response.content.decode()
    assert "Here's what's on for you." in html
    assert "Edit your profile" not in html
    assert "private" in response["Cache-Control"]


def test_every_section_shows_what_is_on(client):
    member = member_with_interests()
    world = busy_home(member, rows=2)
    client.force_login(member)

    html = client.get(HOME).content.decode()

    events = section(html, "home-events-title")
    for event in world["going"]:
        assert event.title in events
        assert reverse("events:ics", args=[event.slug]) in events  # the calendar link
    waitlists = section(html, "home-events-title").split("Your waitlists")[1]
    for event in world["full"]:
        assert event.title in waitlists
        assert f"Number {waiting_position(event, member)} in line" in waitlists
    threads = section(html, "home-threads-title")
    assert "Conversation 0" in threads and "Conversation 1" in threads
    assert world["groups"][0].name in threads
    offers = section(html, "home-offers-title")
    for offer in world["offers"]:
        assert offer.title in offers
    assert "For your interest in Marketing, Mindfulness, Sales" in offers
    intros = section(html, "home-intros-title")
    for sender in world["senders"]:
        assert sender.profile.display_name in intros
    experts = section(html, "home-experts-title")
    for request in world["requests"]:
        assert request.expert.name in experts
        assert request.get_status_display() in experts
    suggestions = section(html, "home-suggestions-title")
    assert "Suggested circle" in suggestions
    assert "Suggested talk" in suggestions
    assert "Like Mind" in suggestions
    assert suggestions.count("You share: Marketing, Mindfulness, Sales") == 3


def test_waitlist_places_are_live(client):
    member = member_with_interests()
    event = EventFactory(title="Popular walk", capacity=1)
    first, second = active_member(), active_member()
    for person in (first, second, member):
        rsvp_respond(event=event, member=person, response="yes")
    client.force_login(member)

    def events_section() -> str:
        return section(client.get(HOME).content.decode(), "home-events-title")

    assert "Number 2 in line" in events_section()
    rsvp_respond(event=event, member=second, response="no")
    assert "Number 1 in line" in events_section()
    rsvp_respond(event=event, member=first, response="no")  # the place goes to them
    assert "Your waitlists" not in events_section()
    assert "Popular walk" in events_section()


def test_suggestions_leave_out_what_the_member_already_has(client):
    member = member_with_interests()
    world = busy_home(member, rows=1)
    client.force_login(member)
    from groups.services import group_join

    group_join(group=world["suggested_group"], user=member)

    suggestions = section(client.get(HOME).content.decode(), "home-suggestions-title")

    assert "Suggested circle" not in suggestions
    assert world["groups"][0].name not in suggestions  # joined already


@pytest.mark.parametrize(
    ("heading", "words", "link"),
    [
        ("home-events-title", "You're not going to anything yet", "/events/?order=for-you"),
        ("home-threads-title", "Join a group and its conversations", "/welcome/groups/"),
        ("home-offers-title", "No offer this month matches your interests", "/discounts/"),
        ("home-intros-title", "No introductions waiting", "/members/"),
        ("home-experts-title", "Ask one of our experts", "/experts/"),
        ("home-suggestions-title", "Nothing new to suggest today", "/settings/interests/"),
    ],
)
def test_every_empty_section_points_to_the_next_step(client, heading, words, link):
    member = member_with_interests()
    client.force_login(member)

    part = section(client.get(HOME).content.decode(), heading)

    assert words in part
    assert re.search(rf'<a class="btn[^"]*" href="{re.escape(link)}"', part), part


def test_without_interests_the_empty_sections_ask_for_them(client):
    member = member_with_interests()
    member.profile.interests.clear()
    client.force_login(member)

    html = client.get(HOME).content.decode()

    for heading in ("home-offers-title", "home-suggestions-title"):
        part = section(html, heading)
        assert 'href="/settings/interests/">Pick your interests</a>' in part


def test_a_quiet_group_suggests_starting_a_conversation(client):
    member = member_with_interests()
    world = busy_home(member, rows=1)
    from groups.models import Thread

    Thread.objects.all().delete()
    client.force_login(member)

    part = section(client.get(HOME).content.decode(), "home-threads-title")

    assert "quiet in your groups" in part
    assert world["groups"][0].name not in part


def test_groups_chosen_before_joining_are_offered_in_one_click(client):
    member = member_with_interests()
    from groups.models import GroupMembership
    from home.models import GroupPick
    from tests.groups.factories import GroupFactory

    picked = [GroupFactory(), GroupFactory()]
    for group in picked:
        GroupPick.objects.create(user=member, group=group)
    client.force_login(member)

    html = client.get(HOME).content.decode()
    assert "You chose 2 groups before joining" in html

    response = client.post(reverse("home:picks_join"))

    assert response["Location"] == "/"
    assert GroupMembership.objects.filter(user=member, group__in=picked).count() == 2
    assert not GroupPick.objects.filter(user=member).exists()
    assert "You chose" not in client.get(HOME).content.decode()


def queries_for_home(client, django_assert_max_num_queries, rows: int) -> int:
    member = member_with_interests()
    busy_home(member, rows)
    client.force_login(member)
    with django_assert_max_num_queries(12) as captured:
        response = client.get(HOME)
    assert response.status_code == 200
    html = response.content.decode()
    # The page is full at both sizes, and shows the next five of each kind.
    assert html.count('class="event-row"') == 5
    assert html.count("in line</span>") == 5
    return len(captured)


def test_the_home_costs_at_most_12_queries_the_same_at_5_and_50_rows(
    client, django_assert_max_num_queries
):
    at_5 = queries_for_home(client, django_assert_max_num_queries, 5)
    client.logout()
    at_50 = queries_for_home(client, django_assert_max_num_queries, 50)

    assert at_5 == at_50


def test_a_lapsed_member_gets_the_checklist_not_the_member_home(client):
    member = member_with_interests()
    Membership.objects.filter(user=member).update(status=Membership.Status.CANCELED)
    client.force_login(member)

    response = client.get(HOME)

    assert response.templates[0].name == "home/checklist.html"
