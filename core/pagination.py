"""Page numbers from the address, kept to what a list can have."""

from __future__ import annotations

# Past any real list (240,000 rows at 24 a page), and far inside what a database OFFSET holds.
MAX_PAGE = 10_000


def page_number(value) -> int:
    """`?page=` as a whole number from 1 to `MAX_PAGE`: anything else is the first page, and
    anything past the end the last one we serve (an empty page with a way back)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), MAX_PAGE)
