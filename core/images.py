"""One check for every uploaded image (expert photos, partner logos): bytes, pixels, a real
decode, and a fresh copy that keeps the pixels and drops everything else.

A small file can hold a huge picture (a 140 KB PNG of 12000 by 12000 pixels takes 430 MB to
decode), so the size in pixels is read from the header and refused before anything is
decoded, at a limit far below Pillow's own decompression-bomb guard. Then the whole image is
decoded, which catches files that are truncated or damaged past their header, and written
again in its own format: camera and location metadata (EXIF, XMP, comments, colour profiles)
never reach the public page. A phone photo taken on its side is turned upright first, since
the orientation lived in the metadata that goes.
"""

from __future__ import annotations

import io
import warnings
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db.models.fields.files import FieldFile
from django.template.defaultfilters import filesizeformat
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

FORMATS = ("JPEG", "PNG", "WEBP")
FORMAT_NAMES: dict[str | None, str] = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
MAX_SIDE = 4000  # pixels on each side: at most 16 megapixels, 64 MB once decoded
SAVE_OPTIONS: dict[str, dict[str, int | bool]] = {
    "JPEG": {"quality": 90, "optimize": True},
    "PNG": {"optimize": True},
    "WEBP": {"quality": 90},
}


@deconstructible
class ImageValidator:
    """A JPEG, PNG or WebP of at most `max_bytes` and `max_side` pixels on each side that
    decodes in full. A new upload's content is replaced by its re-encoded copy.

    For a model's file field: its validators see the upload as a `FieldFile`, whose content is
    what gets saved. Files already in storage were checked when they were uploaded.
    """

    def __init__(self, *, max_bytes: int, what: StrOrPromise, max_side: int = MAX_SIDE):
        self.max_bytes = max_bytes
        self.what = what  # gettext_lazy("photo"), ("logo"): the word the messages use
        self.max_side = max_side

    def __eq__(self, other) -> bool:
        return isinstance(other, ImageValidator) and (
            (self.max_bytes, self.what, self.max_side)
            == (other.max_bytes, other.what, other.max_side)
        )

    def __call__(self, value) -> None:
        if not value or getattr(value, "_committed", False):
            return
        what = str(self.what)
        if value.size > self.max_bytes:
            raise ValidationError(
                _(
                    "This %(what)s is %(size)s; the most we accept is %(limit)s. "
                    "Please upload a smaller one."
                )
                % {
                    "what": what,
                    "size": filesizeformat(value.size),
                    "limit": filesizeformat(self.max_bytes),
                },
                code="image_too_large",
            )
        value.seek(0)
        data = value.read()
        value.seek(0)
        cleaned = clean_image(data, what=what, max_side=self.max_side)
        if isinstance(value, FieldFile):
            value.file = ContentFile(cleaned, name=value.name)


def clean_image(data: bytes, *, what: str, max_side: int = MAX_SIDE) -> bytes:
    """The image re-encoded in its own format with nothing but its pixels, or ValidationError."""
    too_big = _(
        "This %(what)s is %(width)s by %(height)s pixels; it can be at most %(max)s pixels on "
        "each side. Please upload a smaller one."
    )
    with warnings.catch_warnings():
        # Our own limit is far below Pillow's warning, and refuses from the header alone.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as image:
                kind = image.format
                if kind not in FORMATS:
                    raise _wrong_type(what, kind)
                width, height = image.size
                if width > max_side or height > max_side:
                    raise ValidationError(
                        too_big % {"what": what, "width": width, "height": height, "max": max_side},
                        code="image_too_many_pixels",
                    )
                image.load()
                pixels = ImageOps.exif_transpose(image).copy()
        except Image.DecompressionBombError as error:  # beyond even Pillow's limit
            raise ValidationError(
                _("This %(what)s has far too many pixels: at most %(max)s on each side, please.")
                % {"what": what, "max": max_side},
                code="image_too_many_pixels",
            ) from error
        except UnidentifiedImageError as error:
            raise _wrong_type(what, None) from error
        except (OSError, ValueError, SyntaxError) as error:
            raise ValidationError(
                _(
                    "This %(what)s could not be read to the end: the file looks damaged or "
                    "incomplete. Please save it again and upload the new file."
                )
                % {"what": what},
                code="image_damaged",
            ) from error
    # Only what the pixels need: palette transparency, nothing written by a camera or editor.
    pixels.info = {key: pixels.info[key] for key in ("transparency",) if key in pixels.info}
    if kind == "JPEG" and pixels.mode not in ("RGB", "L", "CMYK"):
        pixels = pixels.convert("RGB")
    out = io.BytesIO()
    pixels.save(out, format=kind, **SAVE_OPTIONS[kind])
    return out.getvalue()


def _wrong_type(what: str, kind: str | None) -> ValidationError:
    return ValidationError(
        _("Upload the %(what)s as a JPEG, PNG or WebP image (this file is %(kind)s).")
        % {"what": what, "kind": FORMAT_NAMES.get(kind, kind) or _("not an image we can read")},
        code="image_type",
    )
