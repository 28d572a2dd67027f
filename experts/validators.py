"""Validation shared by the admin, the forms and the services."""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.images import ImageValidator

PHOTO_MAX_BYTES = 2 * 1024 * 1024
_photo_check = ImageValidator(max_bytes=PHOTO_MAX_BYTES, what=gettext_lazy("photo"))
RESERVED_SLUGS = frozenset({"requests"})
EVENT_DATE_MAX_DAYS_AHEAD = 2 * 365


def validate_expert_photo(value) -> None:
    """A JPEG, PNG or WebP photo of at most 2 MB and 4000 pixels a side, stored without its
    metadata (core.images)."""
    _photo_check(value)


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
