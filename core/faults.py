"""The one fault switch, for the tests that prove each concurrency guard on its own.

Scarce things (places at an event, codes for an offer) have two guards: the row lock taken
before counting, and a CHECK constraint that refuses whatever slips past it. A test can only
show that each guard works alone if it can take the other away, so the services that lock
read these two module attributes (after pretix's `skip-locking` switch):

- `skip_locking`: `locked(queryset)` leaves out the `select_for_update()`;
- `after_check`: a function `checked()` calls between counting what is left and taking it,
  where a test holds every racer so that they all count before any of them writes.

Nothing in settings or the environment can set them: only a test, with
`monkeypatch.setattr(faults, ...)`. In production each costs one attribute read.
"""

from collections.abc import Callable

from django.db.models import Manager, Model, QuerySet

skip_locking: bool = False
after_check: Callable[[], None] | None = None


def locked[M: Model](rows: Manager[M] | QuerySet[M]) -> QuerySet[M]:
    """`rows.select_for_update()`, unless a test has turned locking off."""
    return rows.all() if skip_locking else rows.select_for_update()


def checked() -> None:
    """Mark the moment between checking what is left and taking it (a no-op in production)."""
    if after_check is not None:
        after_check()
