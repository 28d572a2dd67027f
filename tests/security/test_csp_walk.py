"""Every role's main pages, the admin included, in Chromium: zero CSP violations.

Each person gets their own browser context, signed in by copying a session cookie (staff
with the second factor recorded, as the admin requires). A page counts as visited only if it
answered with the status and at the address the table expects, so a page that silently
bounced to the login form cannot pass for the page it was meant to be. On every page, both
the console's CSP errors and the document's `securitypolicyviolation` events must be empty,
and the DOM audit (tests/security/conftest.py) must find no inline handlers, no foreign
scripts and no `javascript:` links: the site's own markup is the baseline the XSS tests
compare against.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.utils import timezone
from zeal import zeal_ignore

from billing.models import Membership
from digests.models import DigestRun
from events.models import RSVP
from groups.models import GroupMembership
from members.models import IntroRequest
from tests.discounts.factories import OfferFactory
from tests.events.factories import EventFactory
from tests.experts.factories import ExpertFactory, ExpertRequestFactory
from tests.groups.factories import GroupFactory, GroupProposalFactory, thread_with_opening
from tests.members.factories import UserFactory, interests, make_active_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAME = object()  # the page must answer at the address asked for


def _member(**kwargs):
    user = UserFactory(date_joined=timezone.now() - timedelta(days=60), **kwargs)
    make_active_member(user)
    user.profile.interests.set(interests(4))
    return user


@pytest.fixture
def site():
    """A small site with one of everything the walk's pages show."""
    with zeal_ignore():  # setting up, one object at a time, is not the code under test
        return _build_site()


def _build_site() -> dict:
    chosen = interests(4)
    group = GroupFactory(name="Leeds Makers", slug="leeds-makers", interests=chosen)
    organiser = _member()
    member = _member()
    GroupMembership.objects.create(group=group, user=organiser, role=GroupMembership.Role.ORGANISER)
    GroupMembership.objects.create(group=group, user=member)
    thread = thread_with_opening(group, organiser)
    expert = ExpertFactory(interests=chosen)
    event = EventFactory(group=group, created_by=organiser, interests=chosen, speakers=[expert])
    RSVP.objects.create(
        event=event, member=member, status=RSVP.Status.CONFIRMED, confirmed_at=timezone.now()
    )
    offer = OfferFactory(interests=chosen)
    ExpertRequestFactory(member=member, expert=expert)
    GroupProposalFactory(proposer=member, interests=chosen[:2])
    IntroRequest.objects.create(sender=organiser, recipient=member, note="Hello there, coffee?")

    non_member = UserFactory()
    lapsed = _member()
    Membership.objects.filter(user=lapsed).update(status=Membership.Status.CANCELED)
    staff = UserFactory(is_staff=True, is_superuser=True)
    TOTP.activate(staff, generate_totp_secret())
    digest_run = DigestRun.objects.create(frequency="weekly", period="2026-W01")
    return {
        "digest_run": digest_run,
        "group": group,
        "thread": thread,
        "event": event,
        "expert": expert,
        "offer": offer,
        "organiser": organiser,
        "member": member,
        "non_member": non_member,
        "lapsed": lapsed,
        "staff": staff,
    }


def _pages(site) -> dict[str, list[tuple[str, object]]]:
    """Per role: (path, where the page must end up: SAME, or the path it redirects to)."""
    group, event, expert, offer = site["group"], site["event"], site["expert"], site["offer"]
    thread = site["thread"]
    member_handle = site["member"].profile.handle
    organiser_handle = site["organiser"].profile.handle
    g, e = f"/groups/{group.slug}", f"/events/{event.slug}"
    return {
        "anonymous": [
            ("/", SAME),
            ("/accounts/login/", SAME),
            ("/accounts/signup/", SAME),
            ("/accounts/password/reset/", SAME),
            ("/groups/", SAME),
            (f"{g}/", SAME),
            ("/events/", SAME),
            (f"{e}/", SAME),
            ("/experts/", SAME),
            (f"/experts/{expert.slug}/", SAME),
            ("/members/", "/accounts/login/"),
            ("/no-such-page/", 404),
        ],
        "non_member": [
            ("/", SAME),
            ("/join/", SAME),
            ("/billing/", SAME),
            ("/settings/profile/", SAME),
            ("/settings/interests/", SAME),
            ("/settings/email/", SAME),
            ("/settings/privacy/", SAME),
            ("/accounts/email/", SAME),
            ("/accounts/password/change/", SAME),
            ("/accounts/2fa/totp/activate/", SAME),
            ("/members/", "/join/"),
        ],
        "member": [
            ("/", SAME),
            ("/members/", SAME),
            (f"/members/{organiser_handle}/", SAME),
            (f"/members/{organiser_handle}/intro/", SAME),
            ("/members/intros/", SAME),
            (f"{g}/", SAME),
            (f"{g}/members/", SAME),
            (f"{g}/threads/{thread.pk}/", SAME),
            (f"{g}/threads/new/", SAME),
            ("/groups/propose/", SAME),
            (f"{e}/", SAME),
            ("/events/mine/", SAME),
            ("/experts/requests/", SAME),
            (f"/experts/{expert.slug}/request/", SAME),
            ("/discounts/", SAME),
            (f"/discounts/{offer.slug}/", SAME),
            ("/discounts/mine/", SAME),
        ],
        "lapsed": [
            ("/", SAME),
            ("/billing/", SAME),
            (f"{g}/", SAME),
            (f"{e}/", SAME),
            ("/members/", "/join/"),
        ],
        "organiser": [
            (f"/members/{member_handle}/", SAME),
            ("/events/new/", SAME),
            (f"{e}/edit/", SAME),
            (f"{e}/attendees/", SAME),
            (f"{e}/checkin/", SAME),
            (f"{e}/message/", SAME),
            (f"{e}/invite/", SAME),
            (f"{e}/cancel/", SAME),
        ],
        "staff": [
            ("/admin/", SAME),
            ("/accounts/2fa/", SAME),
            ("/admin/members/user/", SAME),
            (f"/admin/members/user/{site['member'].pk}/change/", SAME),
            ("/admin/members/profile/", SAME),
            ("/admin/groups/group/", SAME),
            (f"/admin/groups/group/{group.pk}/change/", SAME),
            ("/admin/groups/groupproposal/", SAME),
            ("/admin/groups/post/", SAME),
            ("/admin/events/event/", SAME),
            (f"/admin/events/event/{event.pk}/change/", SAME),
            ("/admin/events/event/add/", SAME),
            ("/admin/experts/expert/", SAME),
            (f"/admin/experts/expert/{expert.pk}/change/", SAME),
            ("/admin/experts/expertrequest/", SAME),
            ("/admin/discounts/offer/", SAME),
            (f"/admin/discounts/offer/{offer.pk}/change/", SAME),
            ("/admin/discounts/partner/", SAME),
            ("/admin/digests/digestrun/", SAME),
            (f"/admin/digests/digestrun/{site['digest_run'].pk}/change/", SAME),
            (
                f"/admin/digests/digestrun/preview/?member={member_handle}",
                "/admin/digests/digestrun/preview/",
            ),
        ],
    }


def test_every_role_walks_its_main_pages_without_a_csp_violation(site, visitors):
    people = {
        "anonymous": visitors(),
        "non_member": visitors(site["non_member"]),
        "member": visitors(site["member"]),
        "lapsed": visitors(site["lapsed"]),
        "organiser": visitors(site["organiser"]),
        "staff": visitors(site["staff"], mfa=True),
    }
    wrong_place, problems = [], []
    for role, pages in _pages(site).items():
        visitor = people[role]
        for path, expected in pages:
            findings = visitor.visit(path)
            if isinstance(expected, int):
                if findings.status != expected:
                    wrong_place.append(f"{role} {path}: {findings.status}, not {expected}")
            else:
                want = path if expected is SAME else expected
                if findings.status != 200 or visitor.landed() != want:
                    wrong_place.append(f"{role} {path}: {findings.status} at {visitor.landed()}")
            problems += [f"{role} {path}: {problem}" for problem in findings.problems]

    # What pages' scripts do when used: the admin's date shortcuts and calendar, and the
    # collapsed menu on a phone-sized screen.
    staff = people["staff"]
    staff.visit("/admin/events/event/add/")
    staff.page.locator(".datetimeshortcuts a").first.click()
    staff.page.locator("[id^=calendarlink]").first.click()
    staff.page.locator(".calendarbox").first.wait_for()
    problems += [
        f"admin calendar: {p}" for p in staff.audit("/admin/events/event/add/", 200).problems
    ]
    member = people["member"]
    member.page.set_viewport_size({"width": 400, "height": 800})
    member.visit("/")
    member.page.locator(".navbar-toggler").click()
    member.page.locator(".navbar-collapse.show").wait_for()
    problems += [f"mobile menu: {p}" for p in member.audit("/", 200).problems]

    assert wrong_place + problems == []


def test_the_violation_listener_does_hear_a_violation(site, visitors):
    """The walk's silence means something: an inline script is reported both ways."""
    visitor = visitors()
    visitor.visit("/")
    visitor.page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.__xss.push('inline ran')";
            document.body.appendChild(script);
        }"""
    )
    findings = visitor.audit("/", 200)

    assert findings.xss == []
    assert any("script-src" in report for report in findings.csp_events)
    assert findings.csp_console
    assert "an injected inline script" in findings.dom
