"""Covers: staff add them to groups in the admin, organisers to their events; cards and pages
show them (an event without one shows its group's), through one include."""

import html
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from events.models import Event
from groups.models import Group
from members.models import Interest
from tests.events.factories import EventFactory, GroupFactory, in_days, organiser_of
from tests.faces.conftest import image_bytes, renditions_of, stored

pytestmark = pytest.mark.django_db


def cover_upload(content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile("cover.jpg", content or image_bytes(size=(1600, 900)), "image/jpeg")


def event_form(group, **overrides):
    start = in_days(14)
    return {
        "title": "Marketing breakfast",
        "group": group.pk,
        "description": "What worked this month, over coffee.",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=1, minutes=30)).strftime("%Y-%m-%dT%H:%M"),
        "venue_name": "The Corn Exchange Café",
        "venue_address": "Call Lane, Leeds LS1 7BR",
        "city": "Leeds",
        "capacity": "20",
        "guests_allowed": "0",
        "is_published": "on",
        **overrides,
    }


@pytest.fixture
def group():
    return GroupFactory(name="Leeds Marketing Breakfast", slug="leeds-marketing")


def test_an_organiser_adds_a_cover_with_the_event_and_it_shows_on_card_and_page(client, group):
    client.force_login(organiser_of(group))

    response = client.post(reverse("events:create"), event_form(group, cover=cover_upload()))

    event = Event.objects.get()
    assert response["Location"] == event.get_absolute_url()
    assert event.cover.name.startswith("events/covers/")
    assert all(stored(name) for name in renditions_of(event.cover))
    page = client.get(event.get_absolute_url()).content.decode()
    assert 'class="cover cover-hero"' in page and html.escape(event.cover.srcset) in page
    listing = client.get(reverse("events:list")).content.decode()
    assert 'class="cover cover-card"' in listing and event.cover.src in listing


def test_a_bad_cover_is_refused_clearly_and_the_rest_of_the_form_is_kept(client, group):
    client.force_login(organiser_of(group))

    response = client.post(
        reverse("events:create"),
        event_form(group, title="Kept title", cover=cover_upload(b"not an image")),
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "Upload the cover image as a JPEG, PNG or WebP image" in body
    assert "Kept title" in body
    assert not Event.objects.exists()


def test_an_organiser_adds_a_cover_to_an_existing_event(client, group):
    client.force_login(organiser_of(group))
    event = EventFactory(group=group)
    data = event_form(group, title=event.title, cover=cover_upload())
    data.pop("is_published")  # published events have no such box

    client.post(reverse("events:edit", kwargs={"slug": event.slug}), data)

    event.refresh_from_db()
    assert event.cover and stored(event.cover.name)


def test_an_event_without_a_cover_shows_its_groups(client, group):
    group.cover.save("group.png", ContentFile(image_bytes("PNG")))
    event = EventFactory(group=group)

    for url in (event.get_absolute_url(), reverse("events:list")):
        assert group.cover.src in client.get(url).content.decode()


def test_staff_add_a_groups_cover_in_the_admin_and_cards_show_it(admin_client, group):
    data = {
        "name": group.name,
        "slug": group.slug,
        "summary": group.summary,
        "details": "",
        "interests": [Interest.objects.first().pk],
        "city": group.city,
        "is_published": "on",
        "cover": cover_upload(),
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    response = admin_client.post(reverse("admin:groups_group_change", args=[group.pk]), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    group = Group.objects.get(pk=group.pk)
    assert all(stored(name) for name in renditions_of(group.cover))
    for url in (reverse("groups:list"), group.get_absolute_url()):
        assert group.cover.src in admin_client.get(url).content.decode()


def test_a_group_without_a_cover_shows_no_image(client, group):
    body = client.get(group.get_absolute_url()).content.decode()

    assert 'class="cover' not in body
