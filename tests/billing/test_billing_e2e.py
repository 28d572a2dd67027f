"""Paying for membership end to end: our site, the stand-in's hosted pages, real webhooks."""

import re

import pytest
from django.conf import settings

from billing.models import Membership
from members.models import User
from tests.browser import sign_in
from tests.conftest import message_text, wait_until
from tests.members.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def standin(stripe_standin, live_server):
    """The stand-in delivering its signed webhooks to the live server."""
    stripe_standin.reset(
        webhook_url=f"{live_server.url}/billing/webhook/", secret=settings.STRIPE_WEBHOOK_SECRET
    )
    return stripe_standin


def pay(page, card: str) -> None:
    page.fill("input[name=card_number]", card)
    page.get_by_role("button", name="Subscribe").click()


def membership(user) -> Membership:
    return Membership.objects.get(user=user)


def test_from_sign_up_through_checkout_to_the_member_badge(live_server, page, standin, smtp_server):
    page.goto(f"{live_server.url}/accounts/signup/")
    page.fill("input[name=display_name]", "Lena Example")
    page.fill("input[name=email]", "lena@example.org")
    page.fill("input[name=password1]", "a-long-enough-passphrase")
    page.fill("input[name=password2]", "a-long-enough-passphrase")
    page.locator("main form button[type=submit]").last.click()
    [message] = wait_until(lambda: smtp_server.to("lena@example.org"))
    page.goto(re.search(r"https?://\S+/confirm-email/\S+/", message_text(message)).group(0))
    page.locator("main form button[type=submit]").last.click()
    # "Confirm", in the browser that signed up: signed straight in, at the first step.
    page.wait_for_url("**/settings/profile/")

    page.goto(f"{live_server.url}/join/")
    page.get_by_role("button", name=re.compile("^Join for")).click()
    page.wait_for_url(f"{standin.base_url}/checkout/**")
    pay(page, "4242 4242 4242 4242")

    page.wait_for_url("**/join/success/**")
    page.get_by_role("heading", name="You're a member").wait_for(timeout=15_000)
    assert page.locator(".member-badge").first.is_visible()
    user = User.objects.get(email="lena@example.org")
    assert membership(user).is_active()
    assert membership(user).current_period_end is not None


def test_a_declined_card_is_not_a_member_and_can_try_again(live_server, page, standin):
    user = UserFactory()
    sign_in(page, live_server, user)
    page.goto(f"{live_server.url}/join/")
    page.get_by_role("button", name=re.compile("^Join for")).click()

    pay(page, "4000 0000 0000 0002")

    page.get_by_text("Your card was declined").wait_for()
    assert not membership(user).is_active()

    pay(page, "4242 4242 4242 4242")
    page.get_by_role("heading", name="You're a member").wait_for(timeout=15_000)
    assert membership(user).is_active()


def test_cancelling_in_the_portal_keeps_access_to_the_end_of_the_period(live_server, page, standin):
    user = UserFactory()
    sign_in(page, live_server, user)
    page.goto(f"{live_server.url}/join/")
    page.get_by_role("button", name=re.compile("^Join for")).click()
    pay(page, "4242424242424242")
    page.get_by_role("heading", name="You're a member").wait_for(timeout=15_000)

    page.goto(f"{live_server.url}/billing/")
    page.get_by_role("button", name=re.compile("cancel", re.I)).click()
    page.wait_for_url(f"{standin.base_url}/portal/**")
    page.get_by_role("button", name="Cancel at the end of the period").click()
    page.get_by_text("Your membership will end at the end of the period.").wait_for()

    wait_until(lambda: membership(user).cancel_at_period_end)
    assert membership(user).is_active()
    page.get_by_role("link", name="Return to Mutual").click()
    page.get_by_text("Ends on").wait_for()
    ends = membership(user).current_period_end.strftime("%-d %B %Y")
    assert ends in page.content()
