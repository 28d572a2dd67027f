"""App-level rate limits: a friendly 429 page when someone does one thing too often.

Counters live in the cache, which is Redis outside `make run`, so a limit holds across every
gunicorn worker. Limits come from `settings.RATE_LIMITS` and are read on each request, so they
can be tuned without code changes. Each is one or more comma-separated rates,
"count/period[/per]" (period s, m, h or d), checked in order:

- `member` (the default): each signed-in member, or each client address for visitors;
- `ip`: each client address, signed in or not;
- `all`: everyone together, a ceiling over the rates before it.

A caller may narrow an action to one thing with `scope` (a partner's link, say), so that the
counts are per link and client, and per link overall. A request refused by one rate is not
counted by the rates after it, so one noisy client cannot use up a shared ceiling alone.

The client's address is read the same way for these limits and allauth's (`client_ip`).
"""

from __future__ import annotations

import ipaddress
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
IPV6_PREFIX = 64  # one machine usually holds a whole /64, so it counts as one client


def parse_rate(rate: str) -> tuple[int, int, str]:
    count, period, *per = rate.strip().split("/")
    return int(count), PERIODS[period], per[0] if per else "member"


def client_ip(request) -> str:
    """The address the request came from, read through `ALLAUTH_TRUSTED_PROXY_COUNT` proxies.

    allauth reads it (its adapter's `get_client_ip`): each trusted proxy appends the address it
    saw to X-Forwarded-For, so the client is that many entries from the right, and whatever a
    client wrote further left is ignored. With no proxies configured, it is `REMOTE_ADDR`.
    """
    from allauth.account.adapter import get_adapter

    address = get_adapter(request).get_client_ip(request)
    ip = ipaddress.ip_address(address)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/{IPV6_PREFIX}", strict=False).network_address)
    return str(ip)


def _count(key: str, period: int) -> int:
    """One more use in the current window of `period` seconds; the uses so far."""
    key = f"ratelimit:{key}:{int(time.time() // period)}"
    cache.add(key, 0, timeout=period)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr: this is the first in a new window
        cache.set(key, 1, timeout=period)
        return 1


def over_limit(request, action: str, *, scope: str = "") -> bool:
    """Count this request against `action`; True once it is over any of the action's rates."""
    for rate in settings.RATE_LIMITS[action].split(","):
        count, period, per = parse_rate(rate)
        if per == "all":
            who = "all"
        elif per == "member" and request.user.is_authenticated:
            who = f"user:{request.user.pk}"
        else:
            who = f"ip:{client_ip(request)}"
        if _count(f"{action}:{scope}:{period}{per}:{who}", period) > count:
            return True
    return False


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
