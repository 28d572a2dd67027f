"""A member redeems in the browser, a second member finds it all claimed, the partner checks it."""

import io
import os
import random
import re
from pathlib import Path

import pytest

from discounts import demo
from discounts.models import Offer, Redemption
from tests.browser import serious_violations, sign_in
from tests.discounts.factories import OfferFactory, PartnerFactory, pool_codes
from tests.members.factories import UserFactory, interests, make_active_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shots_dir(tmp_path: Path) -> Path:
    """Where screenshots go: $SCREENSHOTS_DIR to keep them for a look, else a temporary folder."""
    path = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path)
    path.mkdir(parents=True, exist_ok=True)
    return path


def active_member(**kwargs):
    user = UserFactory(**kwargs)
    make_active_member(user)
    return user


def test_redeem_again_all_claimed_and_the_partner_confirms_without_a_name(live_server, browser):
    partner = PartnerFactory(name="The Hive Coworking")
    offer = OfferFactory(
        partner=partner,
        title="A free day pass at the Hive",
        slug="hive-day-pass",
        method=Offer.Method.POOL,
        featured=True,
        interests=interests(2),
    )
    [only_code] = pool_codes(offer, 1, prefix="HIVE")
    OfferFactory(title="Half-price business cards")
    first = active_member(email="first@example.org")
    second = active_member(email="second@example.org")
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(3)]
    for context in contexts:
        context.set_default_timeout(10_000)
    try:
        first_page, stale_tab = contexts[0].new_page(), None
        sign_in(first_page, live_server, first)

        # The second member opens the offer while a code is still there.
        second_page = contexts[1].new_page()
        sign_in(second_page, live_server, second)
        second_page.goto(f"{live_server.url}/discounts/hive-day-pass/")
        second_page.get_by_role("button", name="Redeem").wait_for()

        # The first member finds the offer from the list, in two tabs.
        first_page.goto(f"{live_server.url}/discounts/")
        first_page.get_by_role("link", name="A free day pass at the Hive").click()
        first_page.wait_for_url("**/discounts/hive-day-pass/")
        stale_tab = contexts[0].new_page()
        stale_tab.goto(first_page.url)

        first_page.get_by_role("button", name="Redeem").click()
        first_page.get_by_text("Here's your code").wait_for()
        code = first_page.locator(".code-value").inner_text().strip()
        assert code == only_code.code

        # Pressing Redeem again (from the tab still showing the button) shows the same code.
        stale_tab.get_by_role("button", name="Redeem").click()
        stale_tab.get_by_text("You already have a code for this offer").wait_for()
        assert stale_tab.locator(".code-value").inner_text().strip() == code
        assert Redemption.objects.filter(member=first).count() == 1

        # The pool is empty now: the second member is told so, clearly.
        second_page.get_by_role("button", name="Redeem").click()
        second_page.get_by_text(re.compile("All claimed: every code for this offer")).wait_for()
        assert second_page.locator(".code-value").count() == 0

        # The partner checks the code at the till and marks it used.
        till = contexts[2].new_page()
        till.goto(f"{live_server.url}{partner.get_verification_url()}")
        till.get_by_label("Member's code").fill(code.lower())
        till.get_by_role("button", name="Check code").click()
        till.get_by_role("heading", name="Valid code").wait_for()
        assert "A free day pass at the Hive" in till.content()
        till.get_by_role("button", name="Mark as used").click()
        till.get_by_role("heading", name="Marked as used").wait_for()
        content = till.content()
        for detail in (first.email, first.profile.display_name, first.profile.handle):
            assert detail not in content
    finally:
        for context in contexts:
            context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_discount_pages_look_finished_and_pass_axe(live_server, browser, width, tmp_path):
    demo.seed(count=10, rng=random.Random(7), stdout=io.StringIO())
    member = active_member()
    offer = Offer.objects.current().filter(method=Offer.Method.POOL).first()
    shots = shots_dir(tmp_path)
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        found = {}

        def shoot(name: str) -> None:
            page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
            found[name] = serious_violations(page)

        page.goto(f"{live_server.url}/discounts/")
        shoot("list-anonymous")
        page.goto(f"{live_server.url}{offer.get_absolute_url()}")
        shoot("detail-anonymous")

        sign_in(page, live_server, member)
        page.goto(f"{live_server.url}{offer.get_absolute_url()}")
        page.get_by_role("button", name="Redeem").click()
        page.get_by_text("Here's your code").wait_for()
        shoot("detail-with-code")
        page.goto(f"{live_server.url}/discounts/mine/")
        shoot("my-codes")

        code = page.locator(".code-value").first.inner_text().strip()
        page.goto(f"{live_server.url}{offer.partner.get_verification_url()}")
        page.get_by_label("Member's code").fill(code)
        page.get_by_role("button", name="Check code").click()
        page.get_by_role("heading", name="Valid code").wait_for()
        shoot("partner-check")

        assert not any(found.values()), found
        # Nothing overflows sideways on a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()
