"""On a phone (360 by 740 CSS pixels) no main page scrolls sideways, for anyone, and axe
finds nothing serious on it.

Each role (a visitor, a member, an organiser, staff signed in with their second factor)
gets its own browser context in the one shared Chromium, signed in by a session cookie, and
visits every main page it has: the home page, events, groups, experts and offers (list and
one of each), the directory, a profile, introductions, membership, the member's events and
codes, email settings, sign-up and sign-in, and for staff the admin. On each page
`document.documentElement.scrollWidth` must not exceed the viewport's width.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from zeal import zeal_ignore

from events.models import RSVP
from groups.models import GroupMembership
from members.models import IntroRequest
from tests.browser import serious_violations
from tests.discounts.factories import OfferFactory
from tests.events.factories import EventFactory
from tests.experts.factories import CredentialFactory, ExpertFactory
from tests.groups.factories import GroupFactory, thread_with_opening
from tests.members.factories import UserFactory, interests, make_active_member
from tests.staff import sign_in_with_mfa

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}
SHOTS = Path("/tmp/shots/phone")  # noqa: S108 - screenshots of any page that overflows


def _member(**profile):
    user = UserFactory(date_joined=timezone.now() - timedelta(days=60))
    make_active_member(user)
    user.profile.interests.set(interests(5))
    for name, value in profile.items():
        setattr(user.profile, name, value)
    user.profile.save()
    return user


def _site() -> dict:
    """One of everything the pages show, with the long words and names real ones have."""
    chosen = interests(5)
    group = GroupFactory(
        name="Harrogate and Knaresborough Independent Retailers' Breakfast Club",
        slug="harrogate-retailers",
        interests=chosen,
    )
    organiser = _member(display_name="Bartholomew Featherstonehaugh-Montgomery")
    member = _member(
        display_name="Anastasia Worthington-Smythe",
        headline="Founder of a Yorkshire-based sustainable-packaging consultancy",
        website="https://www.an-unreasonably-long-domain-name-for-a-small-business.example.co.uk/about-us/our-team",
        bio="Supercalifragilisticexpialidocious packaging, antidisestablishmentarianism aside.",
    )
    GroupMembership.objects.create(group=group, user=organiser, role=GroupMembership.Role.ORGANISER)
    GroupMembership.objects.create(group=group, user=member)
    thread_with_opening(group, organiser)
    expert = ExpertFactory(
        name="Professor Dame Henrietta Ashcombe-Blackwood",
        interests=chosen,
        availability="Weekday breakfasts; needs six weeks' notice; travels by train only.",
    )
    CredentialFactory(expert=expert, title="The Quietly Confident Small-Business Owner's Handbook")
    event = EventFactory(
        title="Spring networking breakfast for independent retailers and makers",
        group=group,
        created_by=organiser,
        interests=chosen,
        speakers=[expert],
    )
    RSVP.objects.create(
        event=event, member=member, status=RSVP.Status.CONFIRMED, confirmed_at=timezone.now()
    )
    offer = OfferFactory(interests=chosen)
    IntroRequest.objects.create(sender=organiser, recipient=member, note="Coffee next week?")
    staff = UserFactory(is_staff=True, is_superuser=True)
    return {
        "group": group,
        "event": event,
        "expert": expert,
        "offer": offer,
        "member": member,
        "organiser": organiser,
        "staff": staff,
    }


def _pages(site: dict, role: str) -> list[str]:
    group, event, expert, offer = site["group"], site["event"], site["expert"], site["offer"]
    public = [
        "/",
        "/events/",
        f"/events/{event.slug}/",
        "/groups/",
        f"/groups/{group.slug}/",
        "/experts/",
        f"/experts/{expert.slug}/",
        "/discounts/",
    ]
    if role == "visitor":
        return [*public, "/accounts/signup/", "/accounts/login/"]
    signed_in = [
        *public,
        f"/discounts/{offer.slug}/",
        "/members/",
        f"/members/{site['organiser' if role == 'member' else 'member'].profile.handle}/",
        "/members/intros/",
        "/billing/",
        "/events/mine/",
        "/discounts/mine/",
        "/settings/email/",
        "/settings/profile/",
        f"/experts/{expert.slug}/request/",
    ]
    if role == "organiser":
        return [*signed_in, "/events/new/", f"/events/{event.slug}/edit/"]
    if role == "staff":
        return [*public, "/billing/", "/settings/email/", "/admin/"]
    return signed_in


def _cookie(user, *, mfa: bool) -> str:
    client = Client()
    with zeal_ignore():  # signing in is setting up, not the code under test
        if mfa:
            sign_in_with_mfa(client, user)
        else:
            client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.mark.parametrize("role", ["visitor", "member", "organiser", "staff"])
def test_no_main_page_scrolls_sideways_on_a_phone(role, browser, live_server):
    with zeal_ignore():
        site = _site()
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    context.set_default_timeout(15_000)
    if role != "visitor":
        cookie = _cookie(site[role], mfa=role == "staff")
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
        )
    page = context.new_page()
    csp: list[str] = []
    page.on(
        "console",
        lambda message: (
            csp.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    problems: list[str] = []
    try:
        for path in _pages(site, role):
            response = page.goto(live_server.url + path)
            landed = page.url.removeprefix(live_server.url)
            if response is None or response.status != 200 or landed.split("?")[0] != path:
                status = response.status if response else "no answer"
                problems.append(f"{path}: {status} at {landed}, not the page itself")
                continue
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > PHONE["width"]:
                SHOTS.mkdir(parents=True, exist_ok=True)
                name = path.strip("/").replace("/", "_") or "home"
                page.screenshot(path=SHOTS / f"{role}-{name}.png", full_page=True)
                problems.append(f"{path}: {wide - PHONE['width']}px sideways ({_widest(page)})")
            problems += [f"{path}: axe {finding}" for finding in serious_violations(page)]
    finally:
        context.close()

    assert problems + csp == []


def _widest(page) -> str:
    """The first element reaching past the right edge, to say where to look."""
    return page.evaluate(
        """() => {
            const limit = document.documentElement.clientWidth;
            for (const el of document.querySelectorAll("body *")) {
                const box = el.getBoundingClientRect();
                if (box.right > limit + 0.5 && box.width > 0) {
                    return el.tagName.toLowerCase() + "." + [...el.classList].join(".")
                        + " right=" + Math.round(box.right);
                }
            }
            return "nothing found";
        }"""
    )


def test_the_events_filters_fold_behind_a_button_on_a_phone(browser, live_server):
    EventFactory(title="Breakfast in Leeds")
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/events/")
        panel = page.get_by_role("search", name="Filter events")
        button = page.get_by_role("button", name="Filters")
        assert panel.is_hidden()
        assert button.get_attribute("aria-expanded") == "false"

        button.click()
        panel.wait_for(state="visible")
        assert button.get_attribute("aria-expanded") == "true"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert serious_violations(page) == []

        page.set_viewport_size({"width": 1280, "height": 900})
        page.reload()
        assert page.get_by_role("search", name="Filter events").is_visible()
        assert page.get_by_role("button", name="Filters").is_hidden()
    finally:
        context.close()
