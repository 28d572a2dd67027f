"""Helpers for the tests that race many members against each other on real PostgreSQL.

Scarce things have two guards: the row lock taken before counting, and a CHECK constraint
that refuses whatever slips past it. Each guard is proved on its own: `without_constraint`
takes the constraint away (the lock must keep the count exact), and `core.faults`
takes the lock away (the constraint must refuse cleanly). `burst(..., all_check_first=True)`
makes the race certain rather than likely: with the lock off, every racer counts what is
left before any of them writes.
"""

import threading
import time
from contextlib import contextmanager

from django.db import connection, connections

from core import faults

WAIT_SECONDS = 30


class _Rendezvous:
    """Holds each racer at the service's `faults.checked()` until every other racer has got
    there too, is waiting on a database lock, or has finished; then lets them all go.

    With the lock off, nothing stops the racers before the check, so they all count the same
    committed state before any of them writes: the race happens on every run. With the lock
    on, the racer holding it goes on as soon as the others are queued behind the lock.
    """

    def __init__(self, racers: int):
        self.racers = racers
        self.state = threading.Lock()
        self.held: list[threading.Event] = []
        self.finished = 0
        # Our own connection, outside any transaction, so that each look at pg_stat_activity
        # is fresh (inside a transaction PostgreSQL shows one snapshot of it).
        self.monitor = connection.get_new_connection(connection.get_connection_params())
        self.monitor.autocommit = True

    def close(self) -> None:
        self.monitor.close()

    def finish(self) -> None:
        with self.state:
            self.finished += 1

    def hold(self) -> None:
        gate = threading.Event()
        with self.state:
            self.held.append(gate)
        deadline = time.monotonic() + WAIT_SECONDS
        while not gate.wait(0.01):
            if time.monotonic() > deadline:
                raise RuntimeError("The racers never all reached the check.")
            self._open_when_settled()

    def _open_when_settled(self) -> None:
        with self.state:
            running = self.racers - len(self.held) - self.finished
            if running > 0 and running > self._waiting_on_locks():
                return
            for gate in self.held:
                gate.set()
            self.held.clear()

    def _waiting_on_locks(self) -> int:
        with self.monitor.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            return cursor.fetchone()[0]


def burst(
    calls,
    *,
    refused: type[Exception] | tuple[type[Exception], ...] = (),
    all_check_first: bool = False,
) -> list:
    """Run every call at once, each in its own thread and connection, released by a barrier.

    With `all_check_first`, each racer is also held between its check and its write (see
    `_Rendezvous`), so that, without the lock, all of them check before any of them writes.

    Returns one `(kind, value)` per call: ("ok", result), ("refused", error) for the
    `refused` exceptions the service raises on purpose, or ("error", error).
    """
    barrier = threading.Barrier(len(calls))
    outcomes: list[tuple[str, object]] = [("missing", None)] * len(calls)
    rendezvous = _Rendezvous(len(calls)) if all_check_first else None

    def run(index, call):
        try:
            barrier.wait(timeout=20)
            outcomes[index] = ("ok", call())
        except refused as error:
            outcomes[index] = ("refused", error)
        except Exception as error:
            outcomes[index] = ("error", error)
        finally:
            connections.close_all()
            if rendezvous is not None:
                rendezvous.finish()

    previous_hook = faults.after_check
    if rendezvous is not None:
        faults.after_check = rendezvous.hold
    try:
        threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        faults.after_check = previous_hook
        if rendezvous is not None:
            rendezvous.close()
    return outcomes


@contextmanager
def without_constraint(model, name: str, *, reset):
    """Drop a CHECK constraint, so that a test shows what the lock alone does; then put it back.

    `reset()` undoes what the test wrote, so that the constraint can be added again.
    """
    constraint = next(c for c in model._meta.constraints if c.name == name)
    with connection.schema_editor() as editor:
        editor.remove_constraint(model, constraint)
    try:
        yield
    finally:
        reset()
        with connection.schema_editor() as editor:
            editor.add_constraint(model, constraint)
