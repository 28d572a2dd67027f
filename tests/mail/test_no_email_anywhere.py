"""Crawl the site as a member: no page ever shows another member's email address."""

import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest

from events.services.rsvp import rsvp_respond
from groups.services.discussion import post_create
from members.services.intros import intro_request_answer, intro_request_create
from tests.discounts.factories import OfferFactory
from tests.events.factories import EventFactory
from tests.experts.factories import ExpertFactory
from tests.groups.factories import GroupFactory, add_member, interest, thread_with_opening
from tests.members.factories import UserFactory, make_active_member

pytestmark = pytest.mark.django_db

OTHER_EMAIL = "hidden.address.7731@example.net"
SKIP = ("/accounts/logout/", "/admin/", "/static/", "/media/", "/billing/portal/")


def test_a_member_crawling_every_page_never_sees_anyone_elses_email(client):
    me = UserFactory(email="crawler@example.org")
    make_active_member(me)
    me.profile.interests.set([interest("marketing")])
    other = UserFactory(email=OTHER_EMAIL)
    make_active_member(other)
    other.profile.interests.set([interest("marketing")])
    group = GroupFactory(interests=[interest("marketing")])
    add_member(group, me)
    add_member(group, other)
    thread = thread_with_opening(group, other, body="Hello from the other member.")
    post_create(thread=thread, author=me, body="Hello back!")
    event = EventFactory(group=group, interests=[interest("marketing")])
    rsvp_respond(event=event, member=other, response="yes")
    rsvp_respond(event=event, member=me, response="yes")
    ExpertFactory()
    OfferFactory(interests=[interest("marketing")])
    intro = intro_request_create(
        sender=other, recipient=me, note="Shall we meet for coffee?", sender_contact="07700 900123"
    )
    intro_request_answer(intro=intro, by=me, accept=True, recipient_contact="my phone")
    client.force_login(me)

    seen, queue = set(), deque(["/"])
    while queue and len(seen) < 250:
        path = queue.popleft()
        if path in seen or path.startswith(SKIP):
            continue
        seen.add(path)
        response = client.get(path)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        body = response.content.decode()
        assert OTHER_EMAIL not in body, path
        for href in re.findall(r'href="([^"#][^"]*)"', body):
            target = urldefrag(href.replace("&amp;", "&"))[0]
            parts = urlsplit(target)
            if parts.netloc or not parts.path.startswith("/"):
                continue
            queue.append(target)

    assert len(seen) > 30  # it really went round the site
    assert any(p.startswith("/events/") for p in seen)
    assert any(p.startswith("/groups/") for p in seen)
    assert any(p.startswith("/members/") for p in seen)
