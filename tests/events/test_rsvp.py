"""Replies, places, guests and the strictly first-come waitlist (the services)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from events import services
from events.models import RSVP, Event
from mail.models import EmailDelivery
from tests.conftest import message_text
from tests.events.factories import EventFactory, in_days, statuses, waitlist_names

pytestmark = pytest.mark.django_db


def yes(event, member, **kwargs):
    return services.rsvp_respond(event=event, member=member, response="yes", **kwargs)


def no(event, member, **kwargs):
    return services.rsvp_respond(event=event, member=member, response="no", **kwargs)


def fresh(event) -> Event:
    return Event.objects.get(pk=event.pk)


def position(event, member):
    return services.waitlist_position(RSVP.objects.get(event=event, member=member))


def test_yes_confirms_until_full_then_waitlists_in_order(make_member):
    event = EventFactory(capacity=2)
    people = [make_member() for _ in range(5)]

    results = [yes(event, person) for person in people]

    assert [r.rsvp.status for r in results] == ["confirmed"] * 2 + ["waitlisted"] * 3
    assert fresh(event).confirmed_places == 2
    assert waitlist_names(event) == [p.pk for p in people[2:]]
    assert [position(event, p) for p in people[2:]] == [1, 2, 3]
    assert "number 3" in results[-1].message


def test_saying_yes_twice_changes_nothing_and_queues_one_email(member):
    event = EventFactory(capacity=5)

    first = yes(event, member)
    second = yes(event, member)

    assert first.changed and not second.changed
    assert second.message == "You're already going."
    assert RSVP.objects.filter(event=event).count() == 1
    assert fresh(event).confirmed_places == 1
    assert EmailDelivery.objects.filter(kind="events_rsvp_confirmed").count() == 1


def test_a_cancellation_promotes_the_head_of_the_waitlist_with_exactly_one_email(
    make_member, smtp_server, django_capture_on_commit_callbacks
):
    event = EventFactory(capacity=1, title="Harbour walk")
    going, first, second = make_member(), make_member(), make_member()
    with django_capture_on_commit_callbacks(execute=True):
        yes(event, going)
        yes(event, first)
        yes(event, second)
    smtp_server.clear()

    with django_capture_on_commit_callbacks(execute=True):
        result = no(event, going)
        no(event, going)  # a second click changes nothing

    assert [r.member_id for r in result.promoted] == [first.pk]
    assert RSVP.objects.get(event=event, member=first).status == "confirmed"
    assert position(event, second) == 1
    assert fresh(event).confirmed_places == 1
    [mail] = smtp_server.to(first.email)
    assert "You're in: Harbour walk" in mail["Subject"]
    assert "you were next on the waitlist" in message_text(mail)
    assert smtp_server.to(second.email) == []
    assert smtp_server.to(going.email) == []
    assert EmailDelivery.objects.filter(kind="events_promoted").count() == 1


def test_promotion_follows_queue_order_not_who_asked_again(make_member):
    event = EventFactory(capacity=1)
    going = make_member()
    queue = [make_member() for _ in range(4)]
    yes(event, going)
    for person in queue:
        yes(event, person)
    # The third in line leaves and comes back: they go to the back, behind the fourth.
    no(event, queue[2])
    yes(event, queue[2])

    promoted = []
    holder = going
    for _ in range(4):
        result = no(event, holder)
        [holder] = [r.member for r in result.promoted]
        promoted.append(holder.pk)

    assert promoted == [queue[0].pk, queue[1].pk, queue[3].pk, queue[2].pk]


def test_positions_stay_contiguous_when_someone_in_the_middle_leaves(make_member):
    event = EventFactory(capacity=1)
    yes(event, make_member())
    queue = [make_member() for _ in range(4)]
    for person in queue:
        yes(event, person)

    no(event, queue[1])

    assert [position(event, p) for p in (queue[0], queue[2], queue[3])] == [1, 2, 3]


def test_guests_take_places_and_count_towards_capacity(make_member):
    event = EventFactory(capacity=4, guests_allowed=2)
    ann, ben, cat = make_member(), make_member(), make_member()

    yes(event, ann, guests=2)
    yes(event, ben)
    third = yes(event, cat)

    assert fresh(event).confirmed_places == 4
    assert third.rsvp.status == "waitlisted"


def test_more_guests_than_allowed_is_refused_with_a_clear_message(member):
    event = EventFactory(capacity=10, guests_allowed=1)
    members_only = EventFactory(capacity=10)

    with pytest.raises(services.RsvpError, match="at most 1 guest"):
        yes(event, member, guests=2)
    with pytest.raises(services.RsvpError, match="members only"):
        yes(members_only, member, guests=1)
    assert not RSVP.objects.exists()


def test_adding_guests_is_refused_when_there_is_no_room(make_member):
    event = EventFactory(capacity=3, guests_allowed=2)
    ann, ben = make_member(), make_member()
    yes(event, ann)
    yes(event, ben)

    with pytest.raises(services.RsvpError, match="only 1 place left"):
        yes(event, ann, guests=2)
    yes(event, ann, guests=1)

    assert RSVP.objects.get(member=ann).guests == 1
    assert fresh(event).confirmed_places == 3


def test_fewer_guests_promotes_from_the_waitlist(make_member):
    event = EventFactory(capacity=3, guests_allowed=2)
    ann, ben = make_member(), make_member()
    yes(event, ann, guests=2)
    yes(event, ben)

    result = yes(event, ann, guests=1)

    assert [r.member_id for r in result.promoted] == [ben.pk]
    assert fresh(event).confirmed_places == 3


def test_strict_fifo_a_head_whose_party_does_not_fit_holds_the_queue(make_member):
    """Documented choice: nobody jumps the queue, even when a smaller party would fit."""
    event = EventFactory(capacity=2, guests_allowed=2)
    ann, ben, cat, dan = make_member(), make_member(), make_member(), make_member()
    yes(event, ann)
    yes(event, ben)
    yes(event, cat, guests=1)  # head of the queue: needs 2 places
    yes(event, dan)  # needs 1

    result = no(event, ann)  # 1 place free: cat's party doesn't fit, dan must wait

    assert result.promoted == []
    assert statuses(event) == {"confirmed": 1, "waitlisted": 2, "cancelled": 1}
    # A new reply with a free place still queues behind them.
    eve = make_member()
    assert yes(event, eve).rsvp.status == "waitlisted"

    no(event, ben)  # now 2 places: cat (with guest) goes in, then nobody else fits
    assert RSVP.objects.get(member=cat).status == "confirmed"
    assert waitlist_names(event) == [dan.pk, eve.pk]


def test_the_head_reducing_their_guests_goes_in(make_member):
    event = EventFactory(capacity=3, guests_allowed=2)
    ann, ben, cat = make_member(), make_member(), make_member()
    yes(event, ann)
    yes(event, ben)
    yes(event, cat, guests=2)
    assert no(event, ann).promoted == []  # 1 place free; cat's party of 3 doesn't fit

    result = yes(event, cat, guests=0)

    assert result.rsvp.status == "confirmed"
    assert "you're going" in result.message


def test_adding_guests_while_people_wait_is_refused(make_member):
    event = EventFactory(capacity=2, guests_allowed=1)
    ann, ben, cat = make_member(), make_member(), make_member()
    yes(event, ann)
    yes(event, ben)
    yes(event, cat)
    no(event, ben)  # cat goes in; the event is full again
    dan = make_member()
    yes(event, dan)

    with pytest.raises(services.RsvpError, match="People are waiting"):
        yes(event, ann, guests=1)


def test_more_places_promote_from_the_waitlist(make_member, django_capture_on_commit_callbacks):
    event = EventFactory(capacity=1)
    people = [make_member() for _ in range(4)]
    for person in people:
        yes(event, person)

    event = fresh(event)
    event.capacity = 3
    services.event_save(event=event)

    assert statuses(event) == {"confirmed": 3, "waitlisted": 1}
    assert waitlist_names(event) == [people[3].pk]
    assert EmailDelivery.objects.filter(kind="events_promoted").count() == 2


def test_fewer_places_than_taken_are_refused(make_member):
    from django.core.exceptions import ValidationError

    event = EventFactory(capacity=3)
    for _ in range(3):
        yes(event, make_member())
    event = fresh(event)
    event.capacity = 2

    with pytest.raises(ValidationError):
        services.event_save(event=event)
    assert fresh(event).capacity == 3


def test_yes_is_refused_after_the_deadline_but_no_still_frees_the_place(make_member):
    event = EventFactory(capacity=1, rsvp_deadline=in_days(1))
    going, waiting = make_member(), make_member()
    yes(event, going)
    yes(event, waiting)
    after_deadline = in_days(1) + timedelta(minutes=1)

    with pytest.raises(services.RsvpError, match="Replies closed on"):
        yes(event, make_member(), now=after_deadline)
    result = no(event, going, now=after_deadline)

    assert [r.member_id for r in result.promoted] == [waiting.pk]


def test_after_the_deadline_guests_can_be_reduced_but_not_added(make_member):
    event = EventFactory(capacity=3, guests_allowed=2, rsvp_deadline=in_days(1))
    ann, ben = make_member(), make_member()
    yes(event, ann, guests=2)
    yes(event, ben)
    after_deadline = in_days(1) + timedelta(minutes=1)

    assert not yes(event, ann, guests=2, now=after_deadline).changed
    result = yes(event, ann, guests=0, now=after_deadline)

    assert [r.member_id for r in result.promoted] == [ben.pk]
    with pytest.raises(services.RsvpError, match="Replies closed on"):
        yes(event, ann, guests=1, now=after_deadline)


def test_replies_close_when_the_event_starts(member):
    event = EventFactory(starts_at=timezone.now() - timedelta(minutes=5))

    with pytest.raises(services.RsvpError, match="already started"):
        yes(event, member)


def test_a_cancelled_or_unpublished_event_takes_no_replies(member):
    cancelled = EventFactory()
    services.event_cancel(event=cancelled)
    draft = EventFactory(is_published=False)

    with pytest.raises(services.RsvpError, match="cancelled"):
        yes(cancelled, member)
    with pytest.raises(services.RsvpError, match="isn't open"):
        yes(draft, member)


def test_only_active_members_can_say_yes_but_anyone_can_give_a_place_back(member, lapsed):
    event = EventFactory(capacity=2)
    RSVP.objects.create(event=event, member=lapsed, status="confirmed", confirmed_at=timezone.now())
    Event.objects.filter(pk=event.pk).update(confirmed_places=1)

    with pytest.raises(services.RsvpError, match="active membership"):
        yes(event, lapsed)
    no(event, lapsed)

    assert fresh(event).confirmed_places == 0


def test_saying_no_without_a_reply_records_a_no(member):
    event = EventFactory()

    result = no(event, member)

    assert result.rsvp.status == "declined"
    assert fresh(event).confirmed_places == 0


def test_attendance_history_never_reorders_the_waitlist(make_member):
    """A regular who always turns up waits behind a newcomer who asked first."""
    past = EventFactory(starts_at=in_days(-10), capacity=None)
    regular, newcomer = make_member(), make_member()
    RSVP.objects.create(event=past, member=regular, status="confirmed", attended=True)
    event = EventFactory(capacity=1)
    yes(event, make_member())
    yes(event, newcomer)
    yes(event, regular)

    assert waitlist_names(event) == [newcomer.pk, regular.pk]


def test_deleting_a_member_gives_their_place_to_the_next_person(make_member):
    event = EventFactory(capacity=1)
    leaver, waiting = make_member(), make_member()
    yes(event, leaver)
    yes(event, waiting)

    leaver.delete()

    assert RSVP.objects.get(event=event).member_id == waiting.pk
    assert RSVP.objects.get(event=event).status == "confirmed"
    assert fresh(event).confirmed_places == 1


def test_the_database_refuses_more_confirmed_places_than_capacity():
    from django.db import IntegrityError, transaction

    event = EventFactory(capacity=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.filter(pk=event.pk).update(confirmed_places=3)


def test_the_database_refuses_two_replies_from_one_member(member):
    from django.db import IntegrityError, transaction

    event = EventFactory()
    RSVP.objects.create(event=event, member=member, status="declined")
    with pytest.raises(IntegrityError), transaction.atomic():
        RSVP.objects.create(event=event, member=member, status="declined")


def test_check_in_marks_attended_and_no_show(make_member):
    event = EventFactory(starts_at=timezone.now() + timedelta(hours=1))
    ann, ben = make_member(), make_member()
    a, b = yes(event, ann).rsvp, yes(event, ben).rsvp

    services.rsvp_check_in(rsvp=a, attended=True)
    services.rsvp_check_in(rsvp=b, attended=False)
    services.rsvp_check_in(rsvp=b, attended=None)

    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.attended, a.checked_in_at is not None) == (True, True)
    assert (b.attended, b.checked_in_at) == (None, None)


def test_check_in_is_refused_until_three_hours_before_the_start(make_member):
    """The service keeps the window whoever calls it, not only the check-in page."""
    event = EventFactory(starts_at=in_days(2))
    rsvp = yes(event, make_member()).rsvp
    opens = event.starts_at - timedelta(hours=3)

    with pytest.raises(services.CheckInNotOpen) as refused:
        services.rsvp_check_in(rsvp=rsvp, attended=True, now=opens - timedelta(seconds=1))
    rsvp.refresh_from_db()
    assert "three hours before the start" in refused.value.message
    assert (rsvp.attended, rsvp.checked_in_at) == (None, None)

    services.rsvp_check_in(rsvp=rsvp, attended=True, now=opens)
    rsvp.refresh_from_db()
    assert (rsvp.attended, rsvp.checked_in_at) == (True, opens)
    assert not services.check_in_is_open(event=event, now=opens - timedelta(seconds=1))
    assert services.check_in_is_open(event=event, now=opens)
