"""Every image on every page: width and height (no layout shift), lazy unless marked eager, a
srcset where renditions exist (all of them stored), and nothing from another site."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from discounts.services import offer_redeem
from events.services.rsvp import rsvp_respond
from members.models import IntroRequest
from tests.discounts.factories import OfferFactory, PartnerFactory
from tests.events.factories import EventFactory, GroupFactory, active_member
from tests.experts.factories import ExpertFactory
from tests.faces.conftest import give_photo, image_bytes
from tests.groups.factories import add_member, thread_with_opening

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"


class Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[dict[str, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.found.append({name: value or "" for name, value in attrs})


def images(body: str) -> list[dict[str, str]]:
    parser = Images()
    parser.feed(body)
    return parser.found


def urls_of(img: dict[str, str]) -> list[str]:
    srcset = [part.split()[0] for part in img.get("srcset", "").split(",") if part.strip()]
    return [img["src"], *srcset]


def local(url: str) -> bool:
    return url.startswith("data:") or (url.startswith("/") and not url.startswith("//"))


@pytest.fixture
def world(client):
    """A site with every kind of image on it, and an active member signed in."""
    viewer = active_member()
    give_photo(viewer.profile)
    other = active_member()
    give_photo(other.profile)
    group = GroupFactory()
    group.cover.save("cover.png", ContentFile(image_bytes("PNG", size=(1200, 600))))
    add_member(group, viewer)
    add_member(group, other)
    thread = thread_with_opening(group, other)
    expert = ExpertFactory()
    expert.photo.save("expert.jpg", ContentFile(image_bytes()))
    event = EventFactory(group=group, speakers=[expert])
    event.cover.save("cover.jpg", ContentFile(image_bytes(size=(1600, 900))))
    EventFactory(group=group)  # one showing its group's cover
    rsvp_respond(event=event, member=other, response="yes")
    partner = PartnerFactory()
    partner.logo.save("logo.png", ContentFile(image_bytes("PNG")))
    offer = OfferFactory(partner=partner)
    offer_redeem(offer=offer, member=viewer)
    IntroRequest.objects.create(sender=other, recipient=viewer, note="Coffee?")
    client.force_login(viewer)
    return {
        "pages": [
            reverse("home"),
            reverse("events:list"),
            event.get_absolute_url(),
            reverse("groups:list"),
            group.get_absolute_url(),
            reverse("groups:members", kwargs={"slug": group.slug}),
            reverse("groups:thread", kwargs={"slug": group.slug, "pk": thread.pk}),
            reverse("members:directory"),
            other.profile.get_absolute_url(),
            reverse("members:profile"),
            reverse("members:intros"),
            reverse("discounts:list"),
            offer.get_absolute_url(),
            reverse("discounts:mine"),
            partner.get_verification_url(),
            reverse("experts:list"),
            expert.get_absolute_url(),
        ],
        "kinds": {
            "members/photos/": 0,
            "groups/covers/": 0,
            "events/covers/": 0,
            "experts/photos/": 0,
            "discounts/partners/": 0,
        },
    }


def test_every_image_on_every_page_is_sized_lazy_local_and_has_its_renditions(client, world):
    seen = world["kinds"]
    for path in world["pages"]:
        response = client.get(path)
        assert response.status_code == 200, path
        for img in images(response.content.decode()):
            where = f"{path}: {img}"
            assert img.get("width", "").isdigit() and img.get("height", "").isdigit(), where
            assert img.get("loading") in ("lazy", "eager"), where
            assert "alt" in img, where
            assert all(local(url) for url in urls_of(img)), where
            if img["src"].startswith(settings.MEDIA_URL):
                assert img.get("srcset"), where
                for url in urls_of(img):
                    name = url.removeprefix(settings.MEDIA_URL)
                    assert "/renditions/" in name, where  # never the original
                    assert default_storage.exists(name), where
                    for kind in seen:
                        seen[kind] += name.startswith(kind)
    assert all(seen.values()), seen  # every kind of image was on some page


def test_every_img_tag_in_the_templates_has_width_height_and_loading():
    tags = [
        (path, tag)
        for path in TEMPLATES.rglob("*.html")
        for tag in re.findall(r"<img\b[^>]*>", path.read_text())
    ]

    assert len(tags) >= 5  # avatars, covers, logos, experts, the two-factor QR code
    for path, tag in tags:
        for attribute in ("width=", "height=", "loading="):
            assert attribute in tag, f"{path.relative_to(TEMPLATES)}: {tag}"
