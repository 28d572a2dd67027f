import io
import random
import time

import pytest
from django.core.management import call_command
from django.utils import timezone

from events import demo
from events.models import RSVP, Event
from experts import demo as experts_demo
from groups import demo as groups_demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_people():
    call_command(
        "seed_demo",
        "--members",
        "40",
        "--discounts",
        "0",
        "--experts",
        "0",
        "--groups",
        "0",
        "--events",
        "0",
        stdout=io.StringIO(),
    )
    groups_demo.seed(count=6, rng=random.Random(2), stdout=io.StringIO())
    experts_demo.seed(count=4, rng=random.Random(3), stdout=io.StringIO())


def assert_counters_true():
    """Every event's counters match its replies, within capacity; tickets are 1..N."""
    for event in Event.objects.all():
        confirmed = RSVP.objects.filter(event=event, status="confirmed")
        places = sum(1 + r.guests for r in confirmed)
        assert event.confirmed_places == places, event.slug
        if event.capacity is not None:
            assert places <= event.capacity
        waiting = list(
            RSVP.objects.filter(event=event)
            .in_queue_order()
            .values_list("waitlist_ticket", flat=True)
        )
        assert waiting == list(range(1, len(waiting) + 1))
        assert event.waitlist_tickets_issued == len(waiting)


def test_demo_events_past_upcoming_network_wide_and_a_full_one_with_a_waitlist(demo_people):
    created = demo.seed(count=24, rng=random.Random(1), stdout=io.StringIO())

    assert created == 24
    now = timezone.now()
    assert Event.objects.filter(starts_at__lt=now).count() >= 5
    assert Event.objects.filter(starts_at__gt=now).count() >= 12
    assert Event.objects.filter(group__isnull=True).exists()
    assert Event.objects.filter(group__isnull=False).exists()
    assert Event.objects.filter(speaker_links__isnull=False).exists()
    full = Event.objects.get(slug__startswith="demo-full-")
    assert full.is_full and full.starts_at > now
    assert RSVP.objects.filter(event=full, status="waitlisted").count() == demo.FULL_EVENT_WAITING
    assert RSVP.objects.filter(attended=True).exists()
    assert_counters_true()


def test_demo_is_idempotent_and_fast_at_hundreds(demo_people):
    out = io.StringIO()
    demo.seed(count=10, rng=random.Random(1), stdout=out)

    started = time.monotonic()
    created = demo.seed(count=400, rng=random.Random(5), stdout=out)
    elapsed = time.monotonic() - started

    assert created == 390
    assert demo.seed(count=400, rng=random.Random(9), stdout=out) == 0
    assert Event.objects.count() == 400
    assert Event.objects.filter(slug__startswith="demo-full-").count() == 1
    assert elapsed < 20
    assert_counters_true()


def test_demo_without_members_or_groups_still_makes_events():
    out = io.StringIO()

    assert demo.seed(count=5, rng=random.Random(1), stdout=out) == 5
    assert "No demo members yet" in out.getvalue()
    assert not RSVP.objects.exists()
