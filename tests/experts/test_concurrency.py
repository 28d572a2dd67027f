"""The three-open-requests limit holds when a member's submissions arrive at the same time."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from core import faults
from experts import services
from experts.models import ExpertRequest
from tests.experts.factories import ExpertFactory, ExpertRequestFactory, future_date
from tests.members.factories import UserFactory, make_active_member

pytestmark = pytest.mark.django_db(transaction=True)


def ask(member, expert, days: int):
    return services.expert_request_create(
        member=member,
        expert=expert,
        event_name=f"Breakfast in {days} days",
        event_date=future_date(days),
        town="Leeds",
        audience=30,
        topic="Leadership",
        message="A monthly breakfast for owner-managers in Leeds.",
    )


def in_thread(target):
    """Run `target` in a thread with its own database connection; returns (thread, outcome)."""
    outcome = {}

    def run():
        try:
            outcome["result"] = target()
        except Exception as error:
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_a_second_submission_waits_for_the_first_and_then_sees_the_limit(monkeypatch):
    """Fails without the row lock: the second would count 2 open and file a 4th."""
    member = UserFactory()
    make_active_member(member)
    expert = ExpertFactory()
    ExpertRequestFactory.create_batch(2, member=member)
    first_holds_lock = threading.Event()
    release_first = threading.Event()

    def hold_the_first():
        # Only the first gets here: the second waits for the lock, then is refused before it.
        first_holds_lock.set()
        release_first.wait(10)

    # The service runs in its own (durable) transaction: it is held inside it, lock taken.
    monkeypatch.setattr(faults, "after_check", hold_the_first)
    first_thread, first_outcome = in_thread(lambda: ask(member, expert, 20))
    assert first_holds_lock.wait(10)
    second_thread, second_outcome = in_thread(lambda: ask(member, expert, 21))

    second_thread.join(1.0)
    assert second_thread.is_alive(), "the second submission should wait for the first"
    release_first.set()
    first_thread.join(10)
    second_thread.join(10)

    assert "error" not in first_outcome
    assert isinstance(second_outcome.get("error"), ValidationError)
    assert "You already have 3 open requests" in str(second_outcome["error"])
    assert ExpertRequest.objects.filter(member=member).open().count() == 3


def test_many_simultaneous_submissions_file_at_most_three():
    member = UserFactory()
    make_active_member(member)
    expert = ExpertFactory()
    start = threading.Barrier(6)

    def submit(days):
        start.wait(10)
        return ask(member, expert, days)

    runs = [in_thread(lambda d=days: submit(d)) for days in range(10, 16)]
    for thread, _outcome in runs:
        thread.join(20)

    outcomes = [outcome for _thread, outcome in runs]
    assert sum("result" in o for o in outcomes) == 3
    assert all(isinstance(o["error"], ValidationError) for o in outcomes if "error" in o)
    assert ExpertRequest.objects.filter(member=member).count() == 3
