"""Real image files made with Pillow, for upload tests."""

import io
import os

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def image_upload(fmt: str = "JPEG", *, size=(64, 64), name: str | None = None, noise=False):
    if noise:
        # Random pixels do not compress: a 1000x1000 PNG of them is about 3 MB.
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (15, 95, 92))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    extension = {"JPEG": "jpg"}.get(fmt, fmt.lower())
    content_type = f"image/{extension}"
    return SimpleUploadedFile(name or f"photo.{extension}", buffer.getvalue(), content_type)
