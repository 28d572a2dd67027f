"""Validation shared by the admin, the forms and the services."""

import datetime

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

PHOTO_MAX_BYTES = 2 * 1024 * 1024
PHOTO_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
RESERVED_SLUGS = frozenset({"requests"})
EVENT_DATE_MAX_DAYS_AHEAD = 2 * 365


def validate_expert_photo(value) -> None:
    """A JPEG, PNG or WebP image of at most 2 MB.

    The type is read from the file's contents with Pillow, never from its name or the
    browser's claim. Files already in storage were checked when they were uploaded.
    """
    if not value or getattr(value, "_committed", False):
        return
    if value.size > PHOTO_MAX_BYTES:
        raise ValidationError(
            _(
                "This photo is %(size)s; the most we accept is %(limit)s. "
                "Please upload a smaller one."
            )
            % {"size": filesizeformat(value.size), "limit": filesizeformat(PHOTO_MAX_BYTES)},
            code="photo_too_large",
        )
    upload = value.file
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image_format = image.format
    except (UnidentifiedImageError, OSError, ValueError):
        image_format = None
    finally:
        upload.seek(0)
    if image_format not in PHOTO_FORMATS:
        raise ValidationError(
            _("Upload the photo as a JPEG, PNG or WebP image (this file is %(kind)s).")
            % {"kind": image_format or _("not an image we can read")},
            code="photo_type",
        )


def validate_slug_not_reserved(value: str) -> None:
    if value in RESERVED_SLUGS:
        raise ValidationError(
            _("“%(slug)s” is used by another page on the site; pick a different slug.")
            % {"slug": value},
            code="reserved_slug",
        )


def validate_future_event_date(value: datetime.date) -> None:
    """The event is after today (in the site's time zone) and within the next two years."""
    today = timezone.localdate()
    if value <= today:
        raise ValidationError(
            _("Pick a date in the future: experts need notice, so today or earlier won't work."),
            code="event_date_past",
        )
    if value > today + datetime.timedelta(days=EVENT_DATE_MAX_DAYS_AHEAD):
        raise ValidationError(
            _("Pick a date within the next two years."), code="event_date_too_far"
        )
