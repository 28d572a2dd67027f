"""The short-lived cache of public pages for visitors who are not signed in."""

import re

import pytest
from django.test import Client

from events.models import Event
from tests.events.factories import EventFactory
from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db

NONCE = re.compile(r'nonce="([^"]+)"')


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.ANONYMOUS_PAGE_CACHE_SECONDS = 60


def nonces(response) -> set[str]:
    return set(NONCE.findall(response.content.decode()))


def header_nonce(response) -> str:
    found = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    assert found is not None
    return found.group(1)


def test_a_visitor_gets_the_cached_copy_with_a_fresh_nonce_in_page_and_header():
    event = EventFactory(title="Founders' breakfast")
    first = Client().get(f"/events/{event.slug}/")
    Event.objects.filter(pk=event.pk).update(title="Renamed in the meantime")

    second = Client().get(f"/events/{event.slug}/")

    assert "X-Visitor-Cache" not in first and second["X-Visitor-Cache"] == "hit"
    assert "Founders" in second.content.decode()  # the stored copy, not a new render
    assert nonces(first) == {header_nonce(first)}
    assert nonces(second) == {header_nonce(second)}
    assert header_nonce(second) != header_nonce(first)
    for name in ("X-Content-Type-Options", "Referrer-Policy", "Cross-Origin-Opener-Policy"):
        assert second[name] == first[name]


def test_members_and_anyone_with_a_cookie_always_get_a_fresh_page(client):
    event = EventFactory(title="Founders' breakfast")
    Client().get(f"/events/{event.slug}/")  # stored
    Event.objects.filter(pk=event.pk).update(title="Renamed in the meantime")
    client.force_login(UserFactory())

    as_member = client.get(f"/events/{event.slug}/")
    with_a_cookie = Client(headers={"Cookie": "csrftoken=abc"}).get(f"/events/{event.slug}/")

    for response in (as_member, with_a_cookie):
        assert "X-Visitor-Cache" not in response
        assert "Renamed in the meantime" in response.content.decode()


def test_only_marked_pages_and_plain_successes_are_stored():
    visitor = Client()
    visitor.get("/events/no-such-event/")  # 404
    visitor.get("/accounts/login/")  # not marked, and sets a CSRF cookie
    visitor.get("/healthz/")  # not marked

    for path in ("/events/no-such-event/", "/accounts/login/", "/healthz/"):
        assert "X-Visitor-Cache" not in Client().get(path)


def test_the_query_string_is_part_of_the_key():
    EventFactory(city="Leeds")
    EventFactory(city="York")
    Client().get("/events/?city=Leeds")

    york = Client().get("/events/?city=York")

    assert "X-Visitor-Cache" not in york


def test_it_is_off_when_the_setting_is_zero(settings):
    settings.ANONYMOUS_PAGE_CACHE_SECONDS = 0
    Client().get("/")

    assert "X-Visitor-Cache" not in Client().get("/")
