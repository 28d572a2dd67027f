"""Writes for events, split by sub-domain: replies and the waitlist, organising, invitations,
reminders and calendar feeds."""

from events.services.calendar import calendar_feed_create, calendar_feed_reset
from events.services.invites import (
    InvitePlan,
    InvitesClosed,
    invite_plan,
    invites_check_open,
    invites_send,
)
from events.services.organising import (
    EventError,
    event_cancel,
    event_duplicate,
    event_message_send,
    event_publish,
    event_save,
    event_set_speakers,
)
from events.services.reminders import reminders_queue
from events.services.rsvp import (
    CheckInNotOpen,
    RsvpError,
    RsvpResult,
    check_in_is_open,
    member_rsvps_release,
    rsvp_check_in,
    rsvp_respond,
    waitlist_position,
    waitlist_promote,
)

__all__ = [
    "CheckInNotOpen",
    "EventError",
    "InvitePlan",
    "InvitesClosed",
    "RsvpError",
    "RsvpResult",
    "calendar_feed_create",
    "calendar_feed_reset",
    "check_in_is_open",
    "event_cancel",
    "event_duplicate",
    "event_message_send",
    "event_publish",
    "event_save",
    "event_set_speakers",
    "invite_plan",
    "invites_check_open",
    "invites_send",
    "member_rsvps_release",
    "reminders_queue",
    "rsvp_check_in",
    "rsvp_respond",
    "waitlist_position",
    "waitlist_promote",
]
