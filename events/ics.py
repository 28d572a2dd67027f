"""iCalendar (RFC 5545) files for one event and for a member's private feed.

Built with the `icalendar` package. Times are written in UTC, so every calendar shows them in
its own zone. UIDs are stable per event and SEQUENCE goes up when the time or place changes
(or the event is cancelled), so calendars update the entry instead of adding another. No
email address appears in any file: no ORGANIZER or ATTENDEE lines.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, timedelta
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.utils import timezone

from events.models import Event

PRODID = "-//Mutual//Events//EN"


def site_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "mutual.example"


def _uid(event: Event) -> str:
    return f"event-{event.pk}@{site_host()}"


def _vevent(event: Event, *, online: bool, now) -> icalendar.Event:
    url = settings.SITE_URL + event.get_absolute_url()
    lines = [event.description.strip(), "", url]
    if online and event.online_url:
        lines[1:1] = ["", f"Online: {event.online_url}"]
    vevent = icalendar.Event.new(
        uid=_uid(event),
        stamp=now,
        start=event.starts_at.astimezone(UTC),
        end=event.ends_at.astimezone(UTC),
        summary=event.title,
        description="\n".join(lines).strip(),
        location=", ".join(p for p in (event.venue_name, event.venue_address) if p),
        url=url,
        sequence=event.sequence,
        last_modified=event.updated_at.astimezone(UTC),
        status=icalendar.STATUS.CANCELLED if event.is_cancelled else icalendar.STATUS.CONFIRMED,
    )
    return vevent


def calendar_bytes(
    events: Iterable[Event],
    *,
    name: str,
    uid: str,
    online_for: set[int] | None = None,
    feed: bool = False,
) -> bytes:
    """One VCALENDAR with a VEVENT per event. `online_for`: ids whose online link may show.

    `uid` names the calendar itself (RFC 7986) and must stay the same between downloads.
    """
    now = timezone.now().astimezone(UTC)
    calendar = icalendar.Calendar.new(prodid=PRODID, name=name, uid=uid)
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    if feed:
        # Hints for calendar apps that poll a subscribed feed (RFC 7986 and the de facto one).
        calendar.add("REFRESH-INTERVAL", timedelta(hours=1), parameters={"VALUE": "DURATION"})
        calendar.add("X-PUBLISHED-TTL", "PT1H")
    online_for = online_for or set()
    for event in events:
        calendar.add_component(_vevent(event, online=event.pk in online_for, now=now))
    return calendar.to_ical()
