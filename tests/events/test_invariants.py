"""A model-based check of the reply rules: random yes, no, guest and capacity changes, with
the invariants checked after every step (R4, with a seeded generator instead of Hypothesis)."""

import random

import pytest
from django.core.exceptions import ValidationError

from events import services
from events.models import RSVP, Event
from tests.events.factories import EventFactory, active_member

pytestmark = pytest.mark.django_db

STEPS = 150


def check_invariants(event: Event) -> None:
    event.refresh_from_db()
    replies = list(RSVP.objects.filter(event=event))
    confirmed = [r for r in replies if r.status == "confirmed"]
    waiting = sorted(
        (r for r in replies if r.status == "waitlisted"), key=lambda r: r.waitlist_ticket or 0
    )
    taken = sum(r.places for r in confirmed)
    assert event.confirmed_places == taken
    if event.capacity is not None:
        assert taken <= event.capacity
    if waiting:
        # Promotion is automatic and strictly FIFO: the head is waiting only if it can't fit.
        assert event.capacity is not None
        assert waiting[0].places > event.capacity - taken
    tickets = [r.waitlist_ticket for r in waiting]
    assert None not in tickets  # (so sorting by `or 0` above sorted by the ticket)
    assert len(set(tickets)) == len(tickets)
    positions = [services.waitlist_position(r) for r in waiting]
    assert positions == list(range(1, len(waiting) + 1))
    assert len({r.member_id for r in replies}) == len(replies)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_replies_keep_every_invariant(seed):
    rng = random.Random(seed)
    event = EventFactory(capacity=4, guests_allowed=2)
    people = [active_member() for _ in range(10)]

    for _ in range(STEPS):
        action = rng.choice(["yes", "yes", "no", "guests", "capacity"])
        person = rng.choice(people)
        try:
            if action in ("yes", "guests"):  # "yes" again from someone going changes guests
                services.rsvp_respond(
                    event=event, member=person, response="yes", guests=rng.randint(0, 2)
                )
            elif action == "no":
                services.rsvp_respond(event=event, member=person, response="no")
            else:
                fresh = Event.objects.get(pk=event.pk)
                fresh.capacity = rng.randint(3, 8)
                services.event_save(event=fresh)
        except (services.RsvpError, ValidationError):
            pass  # refusals are part of the rules; the invariants must still hold
        check_invariants(event)
