"""One check for every uploaded image (members' and experts' photos, partners' logos, covers):
bytes, pixels, a real decode, and a fresh copy that keeps the pixels and drops everything else;
then the few fixed sizes that pages show (see "Renditions" below).

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
import logging
import posixpath
import secrets
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import models
from django.db.models.fields.files import FieldFile, ImageFieldFile
from django.template.defaultfilters import filesizeformat
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

logger = logging.getLogger(__name__)
if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

FORMATS = ("JPEG", "PNG", "WEBP")
FORMAT_NAMES: dict[str | None, str] = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
MAX_SIDE = 4000  # pixels on each side: at most 16 megapixels, 64 MB once decoded
# A JPEG up to 8 times larger is accepted and decoded at a smaller scale (see clean_image).
JPEG_SHRINK_LIMIT = 8
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
                longest = max(width, height)
                if kind == "JPEG" and max_side < longest <= max_side * JPEG_SHRINK_LIMIT:
                    # A phone photo (4032 pixels wide and more) is made smaller while it is
                    # decoded: JPEG decodes at a half, a quarter or an eighth of its size for
                    # little work and memory. Asking for half the limit gets the largest of
                    # those that fits within it.
                    image.draft("RGB", (width * max_side // (2 * longest), 1))
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


# --- Renditions: the few fixed sizes pages show ----------------------------------------------
#
# Pages never show an original (up to 4000 pixels a side and a few megabytes): each image field
# keeps a handful of fixed sizes beside it, made once when the original is saved and written
# through the field's storage, so they work unchanged on any storage backend. Their names
# follow from the original's, so a page builds their addresses without asking the storage
# whether they exist. `renditions_backfill` makes them for files saved before a field had them.

RENDITION_FORMAT = "WEBP"
RENDITION_OPTIONS = {"quality": 82, "method": 4}
RENDITIONS_FOLDER = "renditions"  # beside the originals; no upload ever lands in it


@dataclass(frozen=True)
class Renditions:
    """The sizes an image field keeps, smallest first, all of one shape.

    `fit` is "crop" (fill the shape, trimming the edges: photos, covers) or "pad" (the whole
    image inside the shape, on a transparent or white margin: logos). `src` is the index of
    the size a page names in `src` (browsers choose from `srcset`, by the page's `sizes`).
    """

    sizes: tuple[tuple[int, int], ...]
    fit: str = "crop"
    src: int = 0

    def __post_init__(self) -> None:
        if self.fit not in ("crop", "pad"):
            raise ValueError(f"fit must be 'crop' or 'pad', not {self.fit!r}")
        ratios = {round(width / height, 3) for width, height in self.sizes}
        if len(ratios) != 1:
            raise ValueError("All the sizes of one field must have the same shape.")


# Members' and experts' photos: square, cropped to the middle.
PHOTO_RENDITIONS = Renditions(sizes=((64, 64), (160, 160), (320, 320)), fit="crop", src=1)
# Partners' logos: square, the whole logo on a transparent (or white) margin.
LOGO_RENDITIONS = Renditions(sizes=((64, 64), (128, 128), (256, 256)), fit="pad", src=1)
# Groups' and events' covers: two by one, cropped to the middle.
COVER_RENDITIONS = Renditions(sizes=((480, 240), (960, 480), (1600, 800)), fit="crop", src=1)


def rendition_name(name: str, size: tuple[int, int]) -> str:
    """Where the rendition of size `size` of the file `name` is kept."""
    folder, filename = posixpath.split(name)
    width, height = size
    return posixpath.join(folder, RENDITIONS_FOLDER, f"{filename}.{width}x{height}.webp")


def render(data: bytes, renditions: Renditions) -> dict[tuple[int, int], bytes]:
    """Each size of `renditions` made from the image `data` (already checked by
    `clean_image`), encoded as WebP."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            image = ImageOps.exif_transpose(opened)
    alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    image = image.convert("RGBA" if alpha else "RGB")
    made = {}
    for size in renditions.sizes:
        if renditions.fit == "crop":
            resized = ImageOps.fit(image, size, method=Image.Resampling.LANCZOS)
        else:
            margin = (255, 255, 255, 0) if alpha else (255, 255, 255)
            resized = ImageOps.pad(image, size, method=Image.Resampling.LANCZOS, color=margin)
        out = io.BytesIO()
        resized.save(out, format=RENDITION_FORMAT, **RENDITION_OPTIONS)
        made[size] = out.getvalue()
    return made


def renditions_save(storage: Storage, name: str, renditions: Renditions) -> list[str]:
    """Make and store every rendition of the stored file `name`; returns their names.

    A rendition already stored under the same name (an earlier run) is replaced.
    """
    with storage.open(name, "rb") as original:
        data = original.read()
    saved = []
    for size, content in render(data, renditions).items():
        target = rendition_name(name, size)
        if storage.exists(target):
            storage.delete(target)
        stored = storage.save(target, ContentFile(content))
        if stored != target:  # pragma: no cover - a storage that renames on its own
            storage.delete(stored)
            raise RuntimeError(f"The storage kept {target!r} as {stored!r}.")
        saved.append(stored)
    return saved


def image_files_delete(storage: Storage, name: str, renditions: Renditions) -> None:
    """Delete the stored file `name` and its renditions (those missing are no error)."""
    for size in renditions.sizes:
        storage.delete(rendition_name(name, size))
    storage.delete(name)


def renditions_backfill(queryset, field_name: str, *, renditions: Renditions) -> int:
    """Make the renditions that are missing for the files of `field_name` in `queryset`
    (which may be a migration's historical model); returns how many files got them.

    For images saved before their field kept renditions, or after its sizes change. It asks
    the storage about each file, so it belongs in a migration or a command, never a page.
    """
    storage = queryset.model._meta.get_field(field_name).storage
    names = (
        queryset.exclude(**{field_name: ""})
        .exclude(**{f"{field_name}__isnull": True})
        .order_by("pk")
        .values_list(field_name, flat=True)
    )
    done = 0
    for name in names.iterator():
        if not storage.exists(name):
            logger.warning("%s: %s is not in storage; no renditions made.", field_name, name)
            continue
        if all(storage.exists(rendition_name(name, size)) for size in renditions.sizes):
            continue
        try:
            renditions_save(storage, name, renditions)
        except (OSError, ValueError, SyntaxError):
            logger.exception("%s: could not make the renditions of %s.", field_name, name)
            continue
        done += 1
    return done


class RenditionFieldFile(ImageFieldFile):
    """An image file that also knows its renditions: `src`, `srcset`, `width`, `height`."""

    field: RenditionImageField

    def save(self, name, content, save=True) -> None:
        super().save(name, content, save=False)
        renditions_save(self.storage, self.name or "", self.field.renditions)
        if save:
            self.instance.save()

    save.alters_data = True  # type: ignore[attr-defined]  # Django's flag, as on FieldFile.save

    def delete(self, save=True) -> None:
        if self.name:
            for size in self.field.renditions.sizes:
                self.storage.delete(rendition_name(self.name, size))
        super().delete(save=save)

    delete.alters_data = True  # type: ignore[attr-defined]  # Django's flag, as on FieldFile

    # What templates read: addresses built from the name, never a look-up in the storage.

    @property
    def _src_size(self) -> tuple[int, int]:
        return self.field.renditions.sizes[self.field.renditions.src]

    @property
    def src(self) -> str:
        return self.storage.url(rendition_name(self.name or "", self._src_size))

    @property
    def srcset(self) -> str:
        return ", ".join(
            f"{self.storage.url(rendition_name(self.name or '', size))} {size[0]}w"
            for size in self.field.renditions.sizes
        )

    @property
    def src_width(self) -> int:
        return self._src_size[0]

    @property
    def src_height(self) -> int:
        return self._src_size[1]


class RenditionImageField(models.ImageField):
    """An ImageField that keeps `renditions` of each image beside it, and deletes them with it.

    The renditions are files, not columns: migrations see a plain ImageField, so changing the
    sizes needs no migration (run `renditions_backfill` for the files already stored). Its
    form field leaves the checking to the field's validators (`ImageValidator`), whose
    messages name the problem, instead of Django's one message for any image it can't open.
    """

    attr_class = RenditionFieldFile

    def __init__(self, *args, renditions: Renditions, **kwargs):
        self.renditions = renditions
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.ImageField", args, kwargs

    def clone(self):
        _name, _path, args, kwargs = self.deconstruct()
        return self.__class__(*args, renditions=self.renditions, **kwargs)

    def formfield(self, **kwargs):
        return models.FileField.formfield(
            self,
            **{
                "form_class": forms.FileField,
                "widget": forms.ClearableFileInput(attrs={"accept": ACCEPT}),
                **kwargs,
            },
        )


ACCEPT = "image/jpeg,image/png,image/webp"


@deconstructible
class RandomName:
    """`upload_to` that keeps the folder and the file's extension and names it at random: a
    member's file name never reaches the site, and addresses can't be guessed."""

    def __init__(self, folder: str):
        self.folder = folder

    def __eq__(self, other) -> bool:
        return isinstance(other, RandomName) and self.folder == other.folder

    def __call__(self, instance, filename: str) -> str:
        extension = posixpath.splitext(filename)[1].lower()[:5]
        return posixpath.join(self.folder, f"{secrets.token_urlsafe(12)}{extension}")
