"""Helpers for the tests that race many members against each other on real PostgreSQL."""

import threading
from contextlib import contextmanager

from django.db import connection, connections


def burst(calls, *, refused: type[Exception] | tuple[type[Exception], ...] = ()) -> list:
    """Run every call at once, each in its own thread and connection, released by a barrier.

    Returns one `(kind, value)` per call: ("ok", result), ("refused", error) for the
    `refused` exceptions the service raises on purpose, or ("error", error).
    """
    barrier = threading.Barrier(len(calls))
    outcomes: list[tuple[str, object]] = [("missing", None)] * len(calls)

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

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


@contextmanager
def without_constraint(model, name: str, *, reset):
    """Drop a CHECK constraint for a negative-control test, then put it back.

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
