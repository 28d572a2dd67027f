"""In Chromium: the heading font comes from our own static files, nothing loads from another
site, every image's renditions load, and the pages with faces, covers and logos fit a phone
and a laptop. Screenshots land in /tmp/shots for a person to look at."""

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client

from discounts.services import offer_redeem
from events.services.rsvp import rsvp_respond
from members.models import Profile
from tests.browser import serious_violations
from tests.discounts.factories import OfferFactory, PartnerFactory
from tests.events.factories import EventFactory, GroupFactory, active_member
from tests.faces.conftest import give_photo, image_bytes
from tests.groups.factories import add_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")  # noqa: S108 - screenshots for a human to review


def signed_in(page, live_server, user) -> None:
    """The member's session in the browser, without going through the sign-in form."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def serve_media(page) -> None:
    """The live server serves no uploads (DEBUG is off); answer them from storage."""

    def fulfil(route):
        name = urlsplit(route.request.url).path.removeprefix("/" + settings.MEDIA_URL.strip("/"))
        name = name.lstrip("/")
        if default_storage.exists(name):
            with default_storage.open(name) as file:
                route.fulfill(status=200, body=file.read(), content_type="image/webp")
        else:
            route.fulfill(status=404, body=b"")

    page.route(f"**/{settings.MEDIA_URL.strip('/')}/**", fulfil)


def test_headings_use_the_self_hosted_font_and_nothing_comes_from_elsewhere(page, live_server):
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    fonts: list[tuple[str, int]] = []
    page.on(
        "response",
        lambda response: (
            fonts.append((response.url, response.status))
            if response.url.endswith(".woff2")
            else None
        ),
    )

    page.goto(f"{live_server.url}/events/")
    page.wait_for_load_state("networkidle")

    assert page.evaluate(
        "document.fonts.ready.then(() => document.fonts.check('600 32px \"Source Serif 4\"'))"
    )
    family = page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
    assert family.startswith('"Source Serif 4"')
    assert fonts and all(
        url.startswith(f"{live_server.url}/static/fonts/") and status == 200
        for url, status in fonts
    ), fonts
    assert all(url.startswith(live_server.url) for url in requests), requests


def test_faces_covers_and_logos_load_and_fit_a_phone_and_a_laptop(page, live_server):
    viewer = active_member()
    group = GroupFactory(name="Leeds Marketing Breakfast", slug="leeds-marketing")
    group.cover.save("cover.png", ContentFile(image_bytes("PNG", size=(1600, 800))))
    add_member(group, viewer)
    event = EventFactory(title="What worked this month", group=group)
    for n in range(14):
        person = active_member()
        Profile.objects.filter(user=person).update(display_name=f"Person Number {n}")
        if n % 2:
            give_photo(Profile.objects.get(user=person))
        add_member(group, person)
        rsvp_respond(event=event, member=person, response="yes")
    for n in range(4):
        partner = PartnerFactory(name=f"Partner {n}")
        if n % 2 == 0:
            partner.logo.save("logo.png", ContentFile(image_bytes("PNG", colour=(168, 70, 31))))
        offer_redeem(offer=OfferFactory(partner=partner), member=viewer)
    serve_media(page)
    signed_in(page, live_server, viewer)
    SHOTS.mkdir(exist_ok=True)

    for name, path in [
        ("event-with-faces", event.get_absolute_url()),
        ("group-with-cover", group.get_absolute_url()),
        ("directory", "/members/"),
        ("offers-with-logos", "/discounts/"),
    ]:
        for width in (360, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{live_server.url}{path}")
            # Lazy images wait to be scrolled to: ask for them all now, and wait for them.
            page.evaluate("document.querySelectorAll('img').forEach(i => { i.loading = 'eager'; })")
            page.wait_for_function("[...document.images].every(i => i.complete)")
            loaded = page.evaluate(
                "[document.images.length, [...document.images].filter("
                "i => !i.complete || i.naturalWidth === 0).map(i => i.currentSrc || i.src)]"
            )
            assert loaded[0] > 0 and loaded[1] == [], (name, width, loaded)
            assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
            page.screenshot(path=SHOTS / f"{name}-{width}.png", full_page=True)
        assert serious_violations(page) == [], name
    page.goto(f"{live_server.url}{event.get_absolute_url()}")
    assert page.locator(".faces .face").count() == 12 + 1  # the first twelve, then "+2"
