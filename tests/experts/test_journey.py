"""A member finds an expert on leadership, asks them to a breakfast meetup, and staff accept."""

import re

import pytest

from experts.models import Credential, ExpertRequest
from members.models import Interest
from tests.browser import serious_violations, sign_in, submit
from tests.conftest import message_text, wait_until
from tests.experts.conftest import give_mfa, totp_code
from tests.experts.factories import ExpertFactory, ExpertRequestFactory, future_date, region
from tests.members.factories import PASSWORD, UserFactory, make_active_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_staff(page, live_server, user, secret: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    submit(page)
    page.wait_for_url("**/2fa/authenticate/")
    page.fill("input[name=code]", totp_code(secret))
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{live_server.url}/")


@pytest.fixture
def helen():
    expert = ExpertFactory(
        name="Dr Helen Okafor",
        slug="helen-okafor",
        headline="Author of “Lead Quietly” and former hospital trust chief executive",
        interests=[Interest.objects.get(slug="leadership")],
        regions=[region("yorkshire-and-the-humber"), region("online")],
        availability="Weekday breakfasts, with six weeks' notice.",
    )
    Credential.objects.create(expert=expert, kind="book", title="Lead Quietly", year=2019)
    ExpertFactory(name="Priya Raman", interests=[Interest.objects.get(slug="marketing")])
    return expert


def test_from_an_expert_page_to_an_accepted_request(live_server, browser, page, helen, smtp_server):
    member = UserFactory()
    make_active_member(member)
    staff = UserFactory(is_staff=True, is_superuser=True)
    secret = give_mfa(staff)

    # The member finds an expert on leadership.
    sign_in(page, live_server, member)
    page.goto(f"{live_server.url}/experts/")
    page.get_by_label("Area of expertise").select_option(label="Leadership")
    page.get_by_role("button", name="Show experts").click()
    page.wait_for_url("**/experts/?interest=leadership**")
    assert page.get_by_role("link", name="Priya Raman").count() == 0
    page.get_by_role("link", name="Dr Helen Okafor").click()
    page.get_by_role("heading", name="Dr Helen Okafor", level=1).wait_for()
    assert page.get_by_text("Lead Quietly").first.is_visible()

    # ...and asks her to come to a breakfast meetup.
    page.get_by_role("link", name="Ask to come to your event").click()
    page.get_by_label("Your event's name").fill("Harrogate business breakfast")
    page.get_by_label("Date of the event").fill(future_date(50).isoformat())
    page.get_by_label("Expected audience").fill("40")
    page.get_by_label("Town or city").fill("Harrogate")
    page.get_by_label("What would you like them to talk about?").fill("Leading a small team")
    page.get_by_label("Message").fill("Forty owner-managers meet on the first Tuesday.")
    page.get_by_role("button", name="Send your request").click()

    page.wait_for_url("**/experts/requests/")
    page.get_by_text("your request for Dr Helen Okafor is with our team").wait_for()
    card = page.locator(".request-card").first
    assert card.locator(".request-status").inner_text() == "New"
    expert_request = ExpertRequest.objects.get()
    receipt = wait_until(lambda: smtp_server.to(member.email))[0]
    assert "We've received your request" in receipt["Subject"]
    [to_staff] = wait_until(lambda: smtp_server.to(staff.email))
    admin_link = re.search(r"https?://\S+/admin/\S+/change/", message_text(to_staff)).group(0)

    # Staff open the request from their email and accept it in the admin.
    staff_context = browser.new_context(viewport={"width": 1280, "height": 900})
    staff_page = staff_context.new_page()
    try:
        sign_in_staff(staff_page, live_server, staff, secret)
        staff_page.goto(live_server.url + admin_link.split("testserver", 1)[-1])
        staff_page.select_option("select[name=status]", "accepted")
        staff_page.fill("textarea[name=note]", "Helen will arrive at 7.45.")
        staff_page.get_by_role("button", name="Save", exact=True).click()
        staff_page.get_by_text("was changed successfully").wait_for()
    finally:
        staff_context.close()

    # The member sees it move to accepted, and has an email saying so.
    page.reload()
    assert card.locator(".request-status").inner_text() == "Accepted"
    card.locator("summary").click()
    assert card.get_by_text("Helen will arrive at 7.45.").is_visible()
    accepted = wait_until(lambda: smtp_server.to(member.email)[1:])[0]
    assert accepted["Subject"] == "Your request for Dr Helen Okafor: accepted"
    assert "Helen will arrive at 7.45." in message_text(accepted)
    change = expert_request.changes.last()
    assert (change.to_status, change.changed_by) == ("accepted", staff)


def test_a_member_withdraws_a_request_in_the_browser(live_server, page, helen, smtp_server):
    member = UserFactory()
    make_active_member(member)
    ExpertRequestFactory(member=member, expert=helen, event_name="Leeds lunch")
    sign_in(page, live_server, member)
    page.goto(f"{live_server.url}/experts/requests/")
    page.once("dialog", lambda dialog: dialog.accept())

    page.get_by_role("button", name="Withdraw request for Leeds lunch").click()

    page.get_by_text("You withdrew your request for Dr Helen Okafor").wait_for()
    assert page.locator(".request-status").inner_text() == "Withdrawn"
    assert ExpertRequest.objects.get().status == "withdrawn"


@pytest.mark.parametrize("width", [390, 1280])
def test_expert_pages_have_no_serious_accessibility_violations(live_server, browser, helen, width):
    member = UserFactory()
    make_active_member(member)
    ExpertRequestFactory(member=member, expert=helen, status="in_discussion")
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    found = {}
    try:
        for path in ("/experts/", "/experts/helen-okafor/"):
            page.goto(f"{live_server.url}{path}")
            found[path] = serious_violations(page)
        sign_in(page, live_server, member)
        for path in (
            "/experts/?interest=leadership",
            "/experts/helen-okafor/request/",
            "/experts/requests/",
        ):
            page.goto(f"{live_server.url}{path}")
            found[path] = serious_violations(page)
        page.goto(f"{live_server.url}/experts/helen-okafor/request/")
        page.get_by_role("button", name="Send your request").click()
        found["request form with errors"] = serious_violations(page)
        # Nothing runs off the side of a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()

    assert found == {path: [] for path in found}
