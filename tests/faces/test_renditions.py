"""Renditions: the fixed sizes kept beside every uploaded image, made once, through the
field's storage, and deleted with it."""

import importlib
import io

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from PIL import Image

from core.images import (
    COVER_RENDITIONS,
    LOGO_RENDITIONS,
    PHOTO_RENDITIONS,
    RenditionImageField,
    rendition_name,
)
from discounts.models import Partner
from events.models import Event
from experts.models import Expert
from groups.models import Group
from members.models import Profile
from tests.discounts.factories import PartnerFactory
from tests.events.factories import EventFactory, GroupFactory
from tests.experts.factories import ExpertFactory
from tests.faces.conftest import give_photo, image_bytes, renditions_of, stored
from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db


def opened(name: str) -> Image.Image:
    with default_storage.open(name) as file:
        image = Image.open(io.BytesIO(file.read()))
        image.load()
    return image


def test_every_image_field_keeps_renditions():
    fields = {
        f"{model._meta.label}.{field.name}": field.renditions
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, RenditionImageField)
    }

    assert fields == {
        "members.Profile.photo": PHOTO_RENDITIONS,
        "experts.Expert.photo": PHOTO_RENDITIONS,
        "discounts.Partner.logo": LOGO_RENDITIONS,
        "groups.Group.cover": COVER_RENDITIONS,
        "events.Event.cover": COVER_RENDITIONS,
    }


def test_a_saved_photo_has_square_webp_renditions_in_storage():
    profile = UserFactory().profile

    name = give_photo(profile, size=(800, 500))

    assert name.startswith("members/photos/") and stored(name)
    for size, rendition in zip(PHOTO_RENDITIONS.sizes, renditions_of(profile.photo), strict=True):
        assert rendition == rendition_name(name, size)
        image = opened(rendition)
        assert (image.format, image.size) == ("WEBP", size)


def test_an_uploaded_file_name_never_reaches_the_site():
    profile = UserFactory().profile
    profile.photo.save("Jane Smith passport.JPG", ContentFile(image_bytes()), save=False)

    assert "jane" not in profile.photo.name.lower()
    assert profile.photo.name.endswith(".jpg")


def test_a_logo_is_padded_not_cropped_and_keeps_its_transparency():
    partner = PartnerFactory()
    wide = image_bytes("PNG", size=(400, 100), colour=(200, 30, 30, 255), mode="RGBA")

    partner.logo.save("logo.png", ContentFile(wide))

    image = opened(rendition_name(partner.logo.name, (128, 128)))
    assert image.size == (128, 128) and image.mode == "RGBA"
    assert image.getpixel((64, 5))[3] == 0  # the margin above the logo is transparent
    red, green, _blue, alpha = image.getpixel((2, 64))  # the whole width of the logo is there
    assert red > 180 and green < 60 and alpha == 255


def test_a_cover_is_cropped_to_two_by_one():
    group = GroupFactory()

    group.cover.save("cover.png", ContentFile(image_bytes("PNG", size=(1000, 1000))))

    for size in COVER_RENDITIONS.sizes:
        assert opened(rendition_name(group.cover.name, size)).size == size


def test_pages_build_the_addresses_without_asking_the_storage(no_storage_lookups, settings):
    settings.MEDIA_URL = "/media/"
    event = Event(cover="events/covers/abc.png")

    assert event.cover.src == "/media/events/covers/renditions/abc.png.960x480.webp"
    assert event.cover.srcset == (
        "/media/events/covers/renditions/abc.png.480x240.webp 480w, "
        "/media/events/covers/renditions/abc.png.960x480.webp 960w, "
        "/media/events/covers/renditions/abc.png.1600x800.webp 1600w"
    )
    assert (event.cover.src_width, event.cover.src_height) == (960, 480)


def test_deleting_the_image_deletes_its_renditions():
    profile = UserFactory().profile
    name = give_photo(profile)
    renditions = renditions_of(profile.photo)
    assert all(stored(r) for r in renditions)

    profile.photo.delete(save=True)

    assert not stored(name)
    assert not any(stored(r) for r in renditions)
    assert Profile.objects.get(pk=profile.pk).photo.name == ""


def old_upload(model_object, field: str, content: bytes, folder: str) -> str:
    """A file stored the way it was before fields kept renditions."""
    name = default_storage.save(f"{folder}/old.png", ContentFile(content))
    type(model_object).objects.filter(pk=model_object.pk).update(**{field: name})
    return name


def test_the_migration_makes_renditions_for_existing_expert_photos_and_partner_logos():
    expert_photo = old_upload(ExpertFactory(), "photo", image_bytes("PNG"), "experts/photos")
    logo = old_upload(PartnerFactory(), "logo", image_bytes("PNG"), "discounts/partners")
    ExpertFactory()  # one without a photo is skipped
    migration = importlib.import_module("events.migrations.0003_event_cover_and_image_renditions")

    migration.make_renditions(apps, None)

    for name, renditions in ((expert_photo, PHOTO_RENDITIONS), (logo, LOGO_RENDITIONS)):
        for size in renditions.sizes:
            assert opened(rendition_name(name, size)).size == size


def test_the_command_makes_only_the_missing_renditions(capsys):
    name = old_upload(GroupFactory(), "cover", image_bytes("PNG"), "groups/covers")
    event = EventFactory()
    event.cover.save("cover.png", ContentFile(image_bytes("PNG")))
    made_at_upload = default_storage.get_modified_time(rendition_name(event.cover.name, (480, 240)))

    call_command("image_renditions")

    assert all(stored(rendition_name(name, size)) for size in COVER_RENDITIONS.sizes)
    assert "groups.Group.cover: 1 made." in capsys.readouterr().out
    assert (
        default_storage.get_modified_time(rendition_name(event.cover.name, (480, 240)))
        == made_at_upload
    )
    call_command("image_renditions")
    assert "groups.Group.cover: 0 made." in capsys.readouterr().out


def test_a_rendition_missing_for_one_size_gets_them_all_made_again():
    group = GroupFactory()
    group.cover.save("cover.png", ContentFile(image_bytes("PNG")))
    default_storage.delete(rendition_name(group.cover.name, (1600, 800)))

    call_command("image_renditions")

    assert stored(rendition_name(group.cover.name, (1600, 800)))


def test_migrations_see_a_plain_image_field():
    field = Group._meta.get_field("cover")

    _name, path, _args, kwargs = field.deconstruct()

    assert path == "django.db.models.ImageField"
    assert "renditions" not in kwargs
    assert field.clone().renditions == COVER_RENDITIONS


def test_a_file_missing_from_storage_is_reported_not_fatal(caplog):
    Partner.objects.filter(pk=PartnerFactory().pk).update(logo="discounts/partners/gone.png")
    Expert.objects.filter(pk=ExpertFactory().pk).update(photo="")

    call_command("image_renditions")

    assert "gone.png is not in storage" in caplog.text
