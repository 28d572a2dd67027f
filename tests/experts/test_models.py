import io

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, models, transaction
from PIL import Image

from experts.models import Credential, Expert
from tests.experts.factories import ExpertFactory
from tests.experts.images import image_upload


@pytest.mark.parametrize(
    ("name", "initials"),
    [
        ("Helen Okafor", "HO"),
        ("Dr Helen Okafor-Smith", "HO"),
        ("Margaret Ellison OBE", "ME"),
        ("Professor Tom Achebe Walsh PhD", "TW"),
        ("Siobhán Kearney", "SK"),
        ("Cher", "C"),
        ("Dr", "D"),
        ("", "?"),
    ],
)
def test_initials(name, initials):
    assert Expert(name=name).initials == initials


def expert_with_photo(photo) -> Expert:
    return Expert(name="A Person", slug="a-person", headline="Renowned", bio="Bio.", photo=photo)


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_jpeg_png_and_webp_photos_are_accepted(fmt):
    expert = expert_with_photo(image_upload(fmt))

    expert.full_clean()
    expert.save()

    assert expert.photo.name.startswith("experts/photos/")


@pytest.mark.django_db
def test_other_image_types_are_refused_by_their_contents_not_their_name():
    gif_named_jpeg = image_upload("GIF", name="photo.jpg")

    with pytest.raises(ValidationError) as error:
        expert_with_photo(gif_named_jpeg).full_clean()

    assert error.value.message_dict["photo"] == [
        "Upload the photo as a JPEG, PNG or WebP image (this file is GIF)."
    ]


@pytest.mark.django_db
def test_a_file_that_is_not_an_image_is_refused():
    fake = SimpleUploadedFile("photo.png", b"<?php echo 'hello'; ?>", "image/png")

    with pytest.raises(ValidationError) as error:
        expert_with_photo(fake).full_clean()

    assert "JPEG, PNG or WebP" in error.value.message_dict["photo"][0]


@pytest.mark.django_db
def test_photos_over_2_mb_are_refused_with_their_size():
    big = image_upload("PNG", size=(1000, 1000), noise=True)
    assert big.size > 2 * 1024 * 1024

    with pytest.raises(ValidationError) as error:
        expert_with_photo(big).full_clean()

    [message] = error.value.message_dict["photo"]
    message = message.replace("\xa0", " ")
    assert message.startswith("This photo is 2.")
    assert "the most we accept is 2.0 MB. Please upload a smaller one." in message


@pytest.mark.django_db
def test_requests_is_a_reserved_slug():
    expert = Expert(name="Requests", slug="requests", headline="x", bio="x")

    with pytest.raises(ValidationError) as error:
        expert.full_clean()
    assert "is used by another page" in error.value.message_dict["slug"][0]

    with pytest.raises(IntegrityError), transaction.atomic():
        Expert.objects.create(name="Requests", slug="requests", headline="x", bio="x")


@pytest.mark.django_db
def test_a_link_credential_needs_its_address():
    expert = ExpertFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Credential.objects.create(expert=expert, kind="link", title="Website", url="")
    with pytest.raises(IntegrityError), transaction.atomic():
        Credential.objects.create(expert=expert, kind="book", title="Old", year=1066)


# --- One image check for every upload: bytes, pixels, a real decode, metadata stripped ----------


def png_bytes(size) -> bytes:
    buffer = io.BytesIO()
    Image.new("1", size).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def photo_with_location(fmt="JPEG") -> SimpleUploadedFile:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # camera maker
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}  # GPS
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (15, 95, 92)).save(buffer, format=fmt, exif=exif.tobytes())
    assert Image.open(io.BytesIO(buffer.getvalue())).getexif().get_ifd(0x8825)
    return SimpleUploadedFile(f"photo.{fmt.lower()}", buffer.getvalue())


@pytest.mark.django_db
def test_a_tiny_file_of_a_huge_picture_is_refused_before_it_is_decoded():
    bomb = SimpleUploadedFile("photo.png", png_bytes((12000, 12000)))
    assert bomb.size < 200 * 1024

    with pytest.raises(ValidationError) as error:
        expert_with_photo(bomb).full_clean()

    assert error.value.message_dict["photo"] == [
        "This photo is 12000 by 12000 pixels; it can be at most 4000 pixels on each side. "
        "Please upload a smaller one."
    ]


@pytest.mark.django_db
def test_every_uploaded_image_field_uses_the_one_check():
    fields = [
        field
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.FileField)
    ]
    assert {f"{f.model._meta.label}.{f.name}" for f in fields} == {
        "experts.Expert.photo",
        "discounts.Partner.logo",
        "members.Profile.photo",
        "groups.Group.cover",
        "events.Event.cover",
    }
    for field in fields:
        with pytest.raises(ValidationError, match="at most 4000 pixels on each side"):
            field.run_validators(SimpleUploadedFile("big.png", png_bytes((4001, 10))))


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_photo_is_stored_without_its_location_and_camera_details(fmt, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    expert = expert_with_photo(photo_with_location(fmt))

    expert.full_clean()
    expert.save()

    with Image.open(expert.photo.path) as stored:
        assert stored.format == fmt
        assert stored.size == (64, 48)
        assert dict(stored.getexif()) == {}
        assert "exif" not in stored.info


@pytest.mark.django_db
def test_a_truncated_photo_is_refused():
    whole = image_upload("JPEG", size=(400, 300), noise=True).read()
    cut = SimpleUploadedFile("photo.jpg", whole[: len(whole) // 2])

    with pytest.raises(ValidationError) as error:
        expert_with_photo(cut).full_clean()

    assert "could not be read to the end" in error.value.message_dict["photo"][0]
