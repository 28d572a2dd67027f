"""The kinds of mail a member can receive and choose to stop (streams), in one place.

Transactional mail (confirmations, receipts, RSVP and waitlist news, payment problems) is not
a stream: it is about the member's own account or actions and cannot be unsubscribed.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Bump when the wording members see next to a checkbox changes; the ledger records it.
CONSENT_WORDING_VERSION = "2026-11-25"


class Stream(models.TextChoices):
    DIGEST = "digest", _("Digest")
    EVENT_INVITES = "event_invites", _("Event invitations")
    EVENT_REMINDERS = "event_reminders", _("Event reminders")
    INTRO_REQUESTS = "intro_requests", _("Introduction requests")


@dataclass(frozen=True)
class StreamInfo:
    stream: Stream
    default_on: bool
    double_opt_in: bool
    wording: "StrOrPromise"  # lazy: translated when shown


STREAMS: dict[str, StreamInfo] = {
    info.stream.value: info
    for info in (
        StreamInfo(
            Stream.DIGEST,
            default_on=False,
            double_opt_in=True,
            wording=_(
                "Send me a short digest of events, groups, offers and experts that match my "
                "interests."
            ),
        ),
        StreamInfo(
            Stream.EVENT_INVITES,
            default_on=False,
            double_opt_in=False,
            wording=_("Group organisers may invite me to their events by email."),
        ),
        StreamInfo(
            Stream.EVENT_REMINDERS,
            default_on=True,
            double_opt_in=False,
            wording=_("Remind me the day before events I've said yes to."),
        ),
        StreamInfo(
            Stream.INTRO_REQUESTS,
            default_on=True,
            double_opt_in=False,
            wording=_("Tell me when a member asks to be introduced to me."),
        ),
    )
}


class DigestFrequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
