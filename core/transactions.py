"""Is a database transaction of our own open? (The tests' wrapping does not count.)

pytest-django runs each test inside Django's `TestCase` atomic blocks, so
`connection.in_atomic_block` is always true there. The question our code asks ("am I inside
a transaction my callers opened?") must ignore those blocks, or a check would pass in every
test and mean nothing. Django's own `atomic(durable=True)` tells them apart the same way.
"""

from django.db import DEFAULT_DB_ALIAS, transaction


def in_transaction(using: str = DEFAULT_DB_ALIAS) -> bool:
    """True inside an `atomic` block opened by the code, not by a test case around it."""
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        return False
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)
