"""The benchmark's WSGI entry point: the site, plus the floor at /bench/fortunes/.

gunicorn runs this module in `make bench` so that the floor and the pages are served by the
same processes in the same run. Every path but FLOOR_PATH goes to the site's own application
(`config.wsgi`, all middleware included); FLOOR_PATH goes to a second Django handler with no
middleware at all, whose one view does what TechEmpower's Django "fortunes" test does: one ORM
query of a dozen rows (the twelve "wellbeing" interests, as model instances), one more row
added in Python, a sort, and an autoescaped template that extends a base template.

It is the floor for this machine and this Django: what a page costs with nothing but the
framework's minimum. Pages are reported as a ratio to it. This module is not part of the
product; nothing outside bench/ imports it.
"""

from __future__ import annotations

import os
from operator import attrgetter
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpResponse
from django.template import Context, Engine
from django.urls import path

from config.wsgi import application as site  # runs django.setup()
from members.models import Interest

FLOOR_PATH = "/bench/fortunes/"
FLOOR_CATEGORY = Interest.Category.WELLBEING  # twelve rows in the seeded taxonomy
EXTRA = "Additional fortune added at request time."

# Its own engine (cached loader, autoescape on), so the floor needs no settings change.
engine = Engine(dirs=[str(Path(__file__).resolve().parent / "templates")], debug=False)


def fortunes(request):
    rows = list(Interest.objects.filter(category=FLOOR_CATEGORY).order_by())
    rows.append(Interest(id=0, name=EXTRA))
    rows.sort(key=attrgetter("name"))
    html = engine.get_template("fortunes.html").render(Context({"fortunes": rows}))
    return HttpResponse(html)


urlpatterns = [path(FLOOR_PATH.strip("/") + "/", fortunes)]


class FloorHandler(WSGIHandler):
    """Django's WSGI handler with an empty middleware stack and this module's URLconf."""

    def load_middleware(self, is_async=False):
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        self._middleware_chain = convert_exception_to_response(self._get_response)

    def resolve_request(self, request):
        request.urlconf = __name__
        return super().resolve_request(request)


floor = FloorHandler()


def application(environ, start_response):
    if environ.get("PATH_INFO") == FLOOR_PATH:
        return floor(environ, start_response)
    return site(environ, start_response)
