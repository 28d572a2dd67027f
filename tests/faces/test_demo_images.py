"""The demo's images (events/demo.py seed_images): drawn once, saved with their renditions."""

import io

import pytest

from discounts.models import Partner
from events.demo import seed_images
from events.models import Event
from groups.models import Group
from tests.discounts.factories import PartnerFactory
from tests.events.factories import EventFactory, GroupFactory
from tests.faces.conftest import renditions_of, stored

pytestmark = pytest.mark.django_db


def test_demo_covers_and_logos_are_drawn_once_with_their_renditions():
    GroupFactory()
    EventFactory()
    PartnerFactory()
    out = io.StringIO()

    assert seed_images(stdout=out) == 3  # a group, a (network-wide) event, a logo
    assert seed_images(stdout=out) == 0

    images = [Group.objects.get().cover, Event.objects.get().cover, Partner.objects.get().logo]
    for image in images:
        assert image and all(stored(name) for name in renditions_of(image))
