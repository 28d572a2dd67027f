"""A member picks interests, sees the recommended group and why, joins, and posts."""

import pytest

from groups.models import Post
from tests.browser import serious_violations, sign_in
from tests.groups.factories import GroupFactory, add_member, interest, named
from tests.members.factories import UserFactory, make_active_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pick_interests_see_the_reason_join_and_post(live_server, page):
    walks = GroupFactory(
        name="Bristol Mindful Business Walks",
        city="Bristol",
        summary="An unhurried walk round the harbour and a chat.",
        interests=[interest("marketing"), interest("mindfulness"), interest("walking-and-hiking")],
    )
    GroupFactory(name="Sales Club", interests=[interest("sales")])
    organiser = named(add_member(walks), "Olive Organiser")
    walks.memberships.filter(user=organiser).update(role="organiser")
    user = named(UserFactory(), "Maya Member")
    make_active_member(user)

    sign_in(page, live_server, user)
    page.goto(f"{live_server.url}/settings/interests/")
    for name in ("Marketing", "Mindfulness", "Running"):
        page.get_by_label(name, exact=True).check()
    page.get_by_role("button", name="Save interests").click()
    page.get_by_text("Your interests are saved.").wait_for()

    page.goto(f"{live_server.url}/groups/")
    recommended = page.locator("section.groups-recommended")
    card = recommended.locator("article", has_text="Bristol Mindful Business Walks")
    card.get_by_text("You share: Marketing, Mindfulness").wait_for()
    assert recommended.locator("article", has_text="Sales Club").count() == 0
    assert serious_violations(page) == []

    card.get_by_role("link", name="Bristol Mindful Business Walks").click()
    page.wait_for_url(f"**{walks.get_absolute_url()}")
    page.get_by_role("button", name="Join group").click()
    page.get_by_text("Welcome to Bristol Mindful Business Walks!").wait_for()
    page.get_by_text("2 members").wait_for()
    assert page.get_by_text("Olive Organiser").first.is_visible()
    assert serious_violations(page) == []

    page.get_by_role("link", name="Start a conversation").first.click()
    page.get_by_label("Title").fill("First walk for me on Thursday")
    page.get_by_label("Message").fill("Hello! I'll be the one in the yellow coat.")
    page.get_by_label("Email me new replies to this thread").check()
    page.get_by_role("button", name="Post", exact=True).click()

    page.get_by_role("heading", name="First walk for me on Thursday").wait_for()
    page.get_by_text("Hello! I'll be the one in the yellow coat.").wait_for()
    assert page.get_by_role("button", name="Stop emailing me replies").is_visible()
    assert serious_violations(page) == []
    assert user.email not in page.content()
    post = Post.objects.get(body="Hello! I'll be the one in the yellow coat.")
    assert post.is_opening and not post.is_hidden and post.author == user
