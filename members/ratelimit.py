"""App-level rate limits: a friendly 429 page when a member does one thing too often.

Counters live in the cache, which is Redis outside `make run`, so a limit holds across every
gunicorn worker. Limits come from `settings.RATE_LIMITS` ("count/period", period s, m, h
or d) and are read on each request, so they can be tuned without code changes.
"""

from __future__ import annotations

import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    count, period = rate.split("/")
    return int(count), PERIODS[period]


def over_limit(request, action: str) -> bool:
    """Count this request against `action`; True once the member has gone over the limit."""
    count, period = parse_rate(settings.RATE_LIMITS[action])
    who = (
        f"user:{request.user.pk}"
        if request.user.is_authenticated
        else f"ip:{request.META.get('REMOTE_ADDR', '')}"
    )
    window = int(time.time() // period)
    key = f"ratelimit:{action}:{who}:{window}"
    cache.add(key, 0, timeout=period)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr: this is the first in a new window
        cache.set(key, 1, timeout=period)
        used = 1
    return used > count


def rate_limited(action: str, *, methods: tuple[str, ...] = ("POST",)):
    """Limit a view's state-changing requests; over the limit it answers 429 and does nothing."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method in methods and over_limit(request, action):
                return render(request, "429.html", status=429)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
