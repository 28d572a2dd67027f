import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

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
