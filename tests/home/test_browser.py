"""A newcomer's whole way in, in Debian's Chromium: the landing page, sign-up and the emailed
link, profile, interests, groups, paying through the Stripe stand-in, "what's next", the
member home and the first event. Every page on the way offers a next step."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from groups.models import GroupMembership
from members.models import Interest, User
from tests.browser import serious_violations, submit
from tests.conftest import message_text, wait_until
from tests.events.factories import EventFactory
from tests.groups.factories import GroupFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")  # noqa: S108 - screenshots for a human to review
PASSPHRASE = "a-long-enough-passphrase"  # pragma: allowlist secret (a test password)
DEMO_PASSWORD = "demo-password-123"  # pragma: allowlist secret (the demo data's password)


@pytest.fixture
def standin(stripe_standin, live_server):
    """The stand-in delivering its signed webhooks to the live server."""
    stripe_standin.reset(
        webhook_url=f"{live_server.url}/billing/webhook/", secret=settings.STRIPE_WEBHOOK_SECRET
    )
    return stripe_standin


def shoot(page, name: str) -> None:
    """Full-page screenshots at a phone's width and a laptop's; neither scrolls sideways."""
    SHOTS.mkdir(exist_ok=True)
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=SHOTS / f"way-in-{name}-{width}.png", full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} scrolls sideways at {width}px by {overflow}px"
    page.set_viewport_size({"width": 1280, "height": 900})


def next_step(page, *, primary: bool = True):
    """The page's next steps (visible primary links or buttons in the main content); fails if
    there are none: no page on the way in may be a dead end. A returning member's pages have
    done their one big ask already (they're in, they're going), so for them (`primary=False`)
    any button-styled link or button counts: "Answer", "Add to calendar", "I can't come"."""
    kinds = ".btn-primary" if primary else ".btn"
    steps = page.locator("main").locator(f"a{kinds}:visible, button{kinds}:visible")
    assert steps.count() >= 1, f"no next step on {page.url}"
    return steps


def test_a_newcomer_walks_from_the_landing_page_to_their_first_event(
    live_server, page, standin, smtp_server
):
    marketing = Interest.objects.get(slug="marketing")
    circle = GroupFactory(
        name="Leeds Marketing Circle", summary="Marketing talk over coffee.", interests=[marketing]
    )
    GroupFactory(name="York Runners", interests=[Interest.objects.get(slug="running")])
    EventFactory(
        title="Marketing breakfast at the Corn Exchange", group=circle, interests=[marketing]
    )

    # The landing page: the visitor's next step is to join.
    page.goto(f"{live_server.url}/")
    next_step(page).filter(has_text="Join Mutual").first.click()

    page.fill("input[name=display_name]", "Nia Newcomer")
    page.fill("input[name=email]", "nia@example.org")
    page.fill("input[name=password1]", PASSPHRASE)
    page.fill("input[name=password2]", PASSPHRASE)
    next_step(page)
    submit(page)
    # The next step here is in the inbox (the page says so).
    page.wait_for_url("**/accounts/confirm-email/")

    [message] = wait_until(lambda: smtp_server.to("nia@example.org"))
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message_text(message)).group(0)
    page.goto(link)
    next_step(page)
    submit(page)  # "Confirm", in the browser that signed up: signed straight in

    # Profile, step 1 of 4.
    page.wait_for_url("**/settings/profile/")
    assert page.locator(".onboarding-step.is-current").inner_text().strip() == "1\nYour profile"
    page.fill("input[name=headline]", "Runs a bakery")
    page.fill("input[name=city]", "Leeds")
    next_step(page)
    submit(page)

    # Interests, step 2.
    page.wait_for_url("**/settings/interests/")
    assert "Your interests" in page.locator(".onboarding-step.is-current").inner_text()
    shoot(page, "interests")
    for name in ("Marketing", "Mindfulness", "Sales"):
        page.get_by_label(name, exact=True).check()
    next_step(page).filter(has_text="Save and continue").click()

    # Groups, step 3: the circle shares an interest; the runners don't come first.
    page.wait_for_url("**/welcome/groups/")
    page.get_by_text("Your interests are saved").wait_for()
    card = page.locator("li").filter(has=page.get_by_role("link", name="Leeds Marketing Circle"))
    assert "You share: Marketing" in card.inner_text()
    card.get_by_role("button", name=re.compile("Add to my list")).click()
    page.get_by_text("is on your list").wait_for()
    assert serious_violations(page) == []
    shoot(page, "groups")

    # The checklist at the home: three steps done, joining is next.
    page.goto(f"{live_server.url}/")
    assert page.locator(".checklist-item.is-done").count() == 3
    assert "Join Mutual" in page.locator(".checklist-item.is-next").inner_text()
    assert serious_violations(page) == []
    shoot(page, "checklist")
    next_step(page).filter(has_text=re.compile("Join for")).click()

    # Join, step 4: pay on the stand-in's page.
    page.wait_for_url("**/join/")
    assert "Join Mutual" in page.locator(".onboarding-step.is-current").inner_text()
    next_step(page).filter(has_text=re.compile("Join for")).click()
    page.wait_for_url(f"{standin.base_url}/checkout/**")
    page.fill("input[name=card_number]", "4242 4242 4242 4242")
    page.get_by_role("button", name="Subscribe").click()

    # What's next: what's done is ticked, not asked again; the picked group is one click.
    page.wait_for_url("**/join/success/**")
    page.get_by_role("heading", name="You're a member").wait_for(timeout=15_000)
    assert "Done: 3 interests picked." in page.locator("main").inner_text()
    assert page.get_by_role("link", name="Pick your interests").count() == 0
    assert serious_violations(page) == []
    shoot(page, "whats-next")
    next_step(page).filter(has_text="Join it now").click()

    # The member home: the group is joined; the suggestion leads to the first event.
    page.wait_for_url(f"{live_server.url}/")
    page.get_by_text("You've joined Leeds Marketing Circle").wait_for()
    nia = User.objects.get(email="nia@example.org")
    assert GroupMembership.objects.filter(user=nia, group=circle).exists()
    next_step(page)
    suggestions = page.locator("section", has=page.get_by_role("heading", name="Suggested for you"))
    suggestions.get_by_role("link", name="Marketing breakfast at the Corn Exchange").click()
    page.get_by_role("button", name="Yes, I'll come").click()
    page.get_by_text("You're going").first.wait_for()

    page.goto(f"{live_server.url}/")
    events = page.locator("section", has=page.get_by_role("heading", name="Your next events"))
    assert "Marketing breakfast at the Corn Exchange" in events.inner_text()
    assert events.get_by_role("link", name=re.compile("^Add to calendar")).count() == 1
    assert serious_violations(page) == []
    shoot(page, "member-home")

    # Welcomed once, by email, with the first three things to do.
    welcome = wait_until(
        lambda: [m for m in smtp_server.to("nia@example.org") if "Welcome" in m["Subject"]]
    )
    assert len(welcome) == 1


def test_a_returning_demo_member_walks_from_the_landing_page_to_their_next_event(live_server, page):
    call_command("seed_demo", no_images=True)

    # The landing page, signed out: the public page, with its next step.
    page.goto(f"{live_server.url}/")
    next_step(page)
    page.locator("header").get_by_role("link", name="Sign in").click()

    # The sign-in page.
    page.wait_for_url("**/accounts/login/**")
    page.fill("input[name=login]", "member000001@example.com")
    page.fill("input[name=password]", DEMO_PASSWORD)
    next_step(page)
    submit(page)

    # The member home, not the public page: the introduction waiting for an answer shows.
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator(".member-home").count() == 1
    assert page.get_by_role("heading", name="Your next events").is_visible()
    intros = page.locator(
        "section", has=page.get_by_role("heading", name="Waiting for your answer")
    )
    assert "would like an introduction" in intros.inner_text()
    assert intros.get_by_role("link", name="Answer").count() >= 1
    next_step(page, primary=False)

    # Their next event: they're going, and the page offers a next step.
    events = page.locator("section", has=page.get_by_role("heading", name="Your next events"))
    first = events.locator("a.event-row-title").first
    title = first.inner_text().strip()
    first.click()
    page.wait_for_url("**/events/**")
    assert page.get_by_role("heading", name=title).first.is_visible()
    assert page.locator("main .event-status.is-going").filter(has_text="You're going").count() == 1
    next_step(page, primary=False)
    assert serious_violations(page) == []


def test_a_busy_member_home_looks_finished_on_a_phone_and_a_laptop(live_server, page):
    from tests.browser import sign_in
    from tests.home.factories import busy_home, member_with_interests

    member = member_with_interests()
    busy_home(member, rows=3)

    sign_in(page, live_server, member)

    for heading in (
        "Your next events",
        "In your groups",
        "This month's offers for you",
        "Suggested for you",
        "Waiting for your answer",
        "Your expert requests",
    ):
        assert page.get_by_role("heading", name=heading).is_visible()
    assert page.get_by_text("Your waitlists").is_visible()
    assert serious_violations(page) == []
    shoot(page, "member-home-busy")
