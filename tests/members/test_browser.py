"""The first visit, end to end, in Debian's Chromium."""

import re

import pytest

from members.models import User
from tests.browser import serious_violations, sign_in, submit
from tests.conftest import message_text
from tests.members.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    # The browser talks to a live server thread, so the data must really be committed.
    pytest.mark.django_db(transaction=True),
]


def test_sign_up_confirm_sign_in_and_fill_in_profile_and_interests(live_server, page, smtp_server):
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name=re.compile("^Join", re.I)).first.click()

    page.fill("input[name=display_name]", "Kate Example")
    page.fill("input[name=email]", "kate@example.org")
    page.fill("input[name=password1]", "a-long-enough-passphrase")
    page.fill("input[name=password2]", "a-long-enough-passphrase")
    submit(page)
    page.get_by_text(re.compile("verify your email", re.I)).first.wait_for()

    [message] = smtp_server.to("kate@example.org")
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message_text(message)).group(0)
    page.goto(link)
    submit(page)  # "Confirm", in the browser that signed up: signed straight in

    page.wait_for_url("**/settings/profile/")  # the first step
    page.goto(f"{live_server.url}/")  # the signed-in home: the checklist, profile first
    page.get_by_role("link", name="Fill in your profile").click()
    page.wait_for_url("**/settings/profile/")
    page.fill("input[name=display_name]", "Kate Jones")
    page.fill("input[name=headline]", "Runs a cycling café")
    page.fill("input[name=city]", "York")
    page.check("input[name=open_to_coffee]")
    submit(page)

    page.wait_for_url("**/settings/interests/")
    for name in ("Marketing", "Mindfulness", "Cycling"):
        page.get_by_label(name, exact=True).check()
    submit(page)
    page.get_by_text("Your interests are saved.").wait_for()

    profile = User.objects.get(email="kate@example.org").profile
    assert profile.display_name == "Kate Jones"
    assert profile.open_to_coffee
    assert sorted(profile.interests.values_list("name", flat=True)) == [
        "Cycling",
        "Marketing",
        "Mindfulness",
    ]


def test_too_few_interests_are_explained_in_the_browser(live_server, page):
    user = UserFactory()
    sign_in(page, live_server, user)

    page.goto(f"{live_server.url}/settings/interests/")
    page.get_by_label("Marketing", exact=True).check()
    submit(page)

    page.get_by_text(re.compile("Pick at least 3 interests")).first.wait_for()
    assert user.profile.interests.count() == 0


@pytest.mark.parametrize("width", [360, 1280])
def test_key_pages_have_no_serious_accessibility_violations(live_server, browser, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        found = {}
        for path in ("/", "/accounts/signup/", "/accounts/login/"):
            page.goto(f"{live_server.url}{path}")
            found[path] = serious_violations(page)
        user = UserFactory()
        sign_in(page, live_server, user)
        found["/settings/profile/"] = serious_violations(page)
        page.goto(f"{live_server.url}/settings/interests/")
        found["/settings/interests/"] = serious_violations(page)
    finally:
        context.close()

    assert found == {path: [] for path in found}
