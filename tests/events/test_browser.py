"""In a real browser: say yes, see "You're going", give the place back, and the member
waiting is moved in and emailed once. Also the organiser's check-in on a phone-sized screen."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from events import services
from members.models import Interest
from tests.browser import serious_violations, sign_in
from tests.conftest import wait_until
from tests.events.factories import EventFactory, GroupFactory, active_member, organiser_of
from tests.experts.factories import ExpertFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots-events")  # noqa: S108 - screenshots for a human to review


def shoot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=SHOTS / f"{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_yes_cancel_and_the_member_waiting_is_moved_in(page, browser, live_server, smtp_server):
    group = GroupFactory(name="Bristol Mindful Business Walks", city="Bristol")
    event = EventFactory(
        title="Harbour walk and talk",
        group=group,
        capacity=1,
        city="Bristol",
        venue_name="M Shed steps",
        venue_address="Princes Wharf, Bristol BS1 4RN",
        speakers=[ExpertFactory(name="Dr Callum Baird", headline="Sleep scientist")],
        interests=[Interest.objects.get(slug="walking-and-hiking")],
    )
    ann, ben = active_member(), active_member()

    sign_in(page, live_server, ann)
    page.goto(f"{live_server.url}/events/")
    page.get_by_role("link", name="Harbour walk and talk").click()
    page.get_by_role("button", name="Yes, I'll come").click()
    page.get_by_text("You're going. We've emailed you the details.").wait_for()
    assert page.locator(".event-status.is-going").is_visible()
    assert serious_violations(page) == []

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    phone = context.new_page()
    sign_in(phone, live_server, ben)
    phone.goto(f"{live_server.url}{event.get_absolute_url()}")
    phone.get_by_role("button", name="Join the waitlist").click()
    phone.get_by_text("You're number 1 on the waitlist").wait_for()
    wait_until(lambda: smtp_server.to(ben.email))  # the waitlist receipt
    shoot(phone, "event-waitlisted")

    page.get_by_role("button", name="I can't come any more").click()
    page.get_by_text("your place has gone to someone else").wait_for()

    phone.reload()
    phone.get_by_text("You're going").first.wait_for()
    wait_until(lambda: len(smtp_server.to(ben.email)) == 2)
    subjects = [m["Subject"] for m in smtp_server.to(ben.email)]
    assert subjects == [
        "You're on the waitlist: Harbour walk and talk",
        "A place came free. You're in: Harbour walk and talk",
    ]
    context.close()


def test_pages_look_finished_on_a_phone_and_a_laptop(page, live_server):
    """Screenshots for review (in /tmp/shots-events), and axe on each organiser page."""
    group = GroupFactory(name="Leeds Marketing Breakfast", slug="leeds-marketing")
    organiser = organiser_of(group)
    expert = ExpertFactory(name="Priya Raman", headline="Brand strategist")
    soon = EventFactory(
        title="What worked this month",
        group=group,
        capacity=4,
        guests_allowed=1,
        starts_at=timezone.now() + timedelta(hours=1),
        speakers=[expert],
        interests=[Interest.objects.get(slug="marketing")],
        online_url="https://meet.example.com/leeds",
    )
    for n in range(6):
        EventFactory(
            title=f"Event number {n}",
            group=group if n % 2 else None,
            capacity=10 if n % 3 else None,
            interests=[Interest.objects.get(slug="mindfulness")],
        )
    for _ in range(6):
        services.rsvp_respond(event=soon, member=active_member(), response="yes")
    sign_in(page, live_server, organiser)

    for name, path in [
        ("event-list", "/events/"),
        ("event-detail", soon.get_absolute_url()),
        ("attendees", f"/events/{soon.slug}/attendees/"),
        ("checkin", f"/events/{soon.slug}/checkin/"),
        ("edit", f"/events/{soon.slug}/edit/"),
        ("new", "/events/new/"),
        ("mine", "/events/mine/"),
    ]:
        page.goto(f"{live_server.url}{path}")
        assert serious_violations(page) == [], name
        shoot(page, name)

    page.goto(f"{live_server.url}/events/{soon.slug}/checkin/")
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("button", name="Here").first.click()
    page.get_by_text("1 of 4 checked in").wait_for()

    page.goto(f"{live_server.url}/events/{soon.slug}/invite/")
    page.fill("textarea[name=addresses]", "friend@example.net\nnot-an-email")
    page.get_by_role("button", name="Preview").click()
    page.get_by_text("1 person will be invited").wait_for()
    assert serious_violations(page) == []
    shoot(page, "invite-preview")
