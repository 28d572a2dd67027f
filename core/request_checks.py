"""Refuse addresses no browser or link of ours ever makes, before any view sees them.

A NUL in a path or query value (`/events/?group=%00`, `/calendar/%00.ics`) reaches the
database as a query parameter, and PostgreSQL refuses text containing NUL with an error:
every view that looks something up by a value from the address would answer 500. Other
control characters are never part of a real address either. So this middleware answers
400 "Bad request" for any of them, in one place, rather than each view checking.
Tabs and line breaks stay allowed in query values (a search box may send them).
"""

from __future__ import annotations

import re

from django.core.exceptions import BadRequest

_IN_PATH = re.compile(r"[\x00-\x1f\x7f]")
_IN_QUERY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class RefuseControlCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _IN_PATH.search(request.path_info) or any(
            _IN_QUERY.search(name) or any(_IN_QUERY.search(value) for value in values)
            for name, values in request.GET.lists()
        ):
            # Django's 400 handler answers with templates/400.html.
            raise BadRequest("Control characters in the address.")
        return self.get_response(request)
