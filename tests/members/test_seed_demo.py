import io

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command

from members.models import Profile, User

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_members_with_profiles_and_is_idempotent(settings):
    settings.DEBUG = False
    call_command("seed_demo", members=25)

    assert User.objects.count() == 25
    assert Profile.objects.count() == 25
    assert EmailAddress.objects.filter(verified=True).count() == 25
    assert all(3 <= p.interests.count() <= 7 for p in Profile.objects.all())
    assert not User.objects.filter(is_staff=True).exists()

    call_command("seed_demo", members=30)

    assert User.objects.count() == 30


def test_seed_demo_creates_the_demo_staff_login_only_with_debug_on(client, settings):
    settings.DEBUG = True
    call_command("seed_demo", members=2)

    admin = User.objects.get(email="admin@example.com")
    assert admin.is_staff
    assert admin.check_password("admin-password-123")


def test_seed_demo_spread_mode_spreads_replies_and_keeps_every_counter_true(settings):
    """The large dataset's mode (`--rsvps`, `--paying`), at a small scale."""
    from django.db.models import Count, Q, Sum

    from billing.models import Membership
    from events.models import RSVP, Event
    from groups.models import Group, GroupMembership

    settings.DEBUG = False
    options = {
        "members": 200,
        "groups": 6,
        "events": 40,
        "rsvps": 1200,
        "discounts": 3,
        "experts": 3,
        "paying": 0.5,
        "stdout": io.StringIO(),
    }
    call_command("seed_demo", **options)

    assert User.objects.count() == 200
    assert Group.objects.count() == 6
    assert Event.objects.count() == 40
    assert 900 <= RSVP.objects.count() <= 1500
    assert 80 <= Membership.objects.active().count() <= 120
    # Replies come from all the members, not only the first few.
    assert RSVP.objects.values("member").distinct().count() > 150
    assert RSVP.objects.filter(status="waitlisted").exists()

    for event in Event.objects.annotate(
        places=Sum("rsvps__guests", filter=Q(rsvps__status="confirmed"), default=0)
        + Count("rsvps", filter=Q(rsvps__status="confirmed"))
    ):
        assert event.confirmed_places == event.places, event.slug
        if event.capacity is not None:
            assert event.confirmed_places <= event.capacity
        tickets = list(
            RSVP.objects.filter(event=event)
            .in_queue_order()
            .values_list("waitlist_ticket", flat=True)
        )
        assert tickets == list(range(1, len(tickets) + 1))
        assert event.waitlist_tickets_issued == len(tickets)
        if tickets:  # nobody waits while there are places
            assert event.is_full
    for group in Group.objects.annotate(n=Count("memberships")):
        assert group.member_count == group.n
        assert group.memberships.filter(role=GroupMembership.Role.ORGANISER).count() == 1

    counts = (User.objects.count(), RSVP.objects.count(), Membership.objects.count())
    call_command("seed_demo", **options)
    assert (User.objects.count(), RSVP.objects.count(), Membership.objects.count()) == counts


def test_seed_demo_options_override_the_scale_preset():
    from billing.models import Membership
    from events.models import Event

    call_command(
        "seed_demo",
        scale="large",
        members=50,
        groups=2,
        events=6,
        rsvps=60,
        discounts=1,
        experts=1,
        stdout=io.StringIO(),
    )

    assert User.objects.count() == 50
    assert Event.objects.count() == 6
    # Not given, so the preset's: nine in ten demo members pay.
    assert 40 <= Membership.objects.active().count() <= 50
