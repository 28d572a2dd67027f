"""Images for the faces tests: real files made with Pillow, saved through the fields."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from PIL import Image

from core.images import rendition_name


def image_bytes(fmt: str = "JPEG", size=(400, 300), colour=(15, 95, 92), mode="RGB") -> bytes:
    image = Image.new(mode, size, colour)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def give_photo(profile, *, size=(400, 400)) -> str:
    """Save a photo on `profile` through its field (as the profile form does)."""
    profile.photo.save("face.jpg", ContentFile(image_bytes(size=size)), save=False)
    profile.save(update_fields=["photo"])
    return profile.photo.name


def stored(name: str) -> bool:
    return default_storage.exists(name)


def renditions_of(field_file) -> list[str]:
    return [rendition_name(field_file.name, size) for size in field_file.field.renditions.sizes]


@pytest.fixture
def no_storage_lookups(monkeypatch):
    """Fail if anything asks the storage whether a file exists (pages must not)."""

    def refuse(*args, **kwargs):
        raise AssertionError("a page asked the storage whether a file exists")

    monkeypatch.setattr(FileSystemStorage, "exists", refuse)
