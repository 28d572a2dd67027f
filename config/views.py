import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from kombu import Connection
from kombu.connection import ConnectionPool

from discounts.selectors import current_offers
from events.selectors import upcoming_events
from experts.selectors import featured_experts
from groups.selectors import featured_groups
from home.views import signed_in_home
from members.models import Interest

logger = logging.getLogger(__name__)


def home(request):
    """`/`: the public page for visitors (the same for all of them, so `config/urls.py` lets
    the visitors' microcache keep it), and the signed-in home for everyone signed in."""
    if request.user.is_authenticated:
        return signed_in_home(request)
    return render(
        request,
        "home.html",
        {
            "interests": Interest.objects.by_category(),
            "offers": current_offers(limit=3),
            "featured_experts": featured_experts(limit=3),
            "featured_groups": featured_groups(limit=3),
            "upcoming_events": upcoming_events(limit=3),
        },
    )


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_cache() -> None:
    cache.set("healthz", "ok", timeout=10)
    if cache.get("healthz") != "ok":
        raise RuntimeError("cache did not return what was stored")


_broker_pools: dict[str, ConnectionPool] = {}


def _check_broker() -> None:
    """Ping the broker over a pooled connection (a probe should not open a connection each)."""
    url = settings.CELERY_BROKER_URL
    pool = _broker_pools.get(url)
    if pool is None:
        pool = _broker_pools.setdefault(url, Connection(url, connect_timeout=2).Pool(limit=8))
    with pool.acquire(block=True, timeout=2) as broker:
        broker.ensure_connection(max_retries=1, timeout=2)
        client = getattr(broker.default_channel, "client", None)
        if client is not None:  # Redis: a round trip on the pooled connection proves it's up
            client.ping()


@never_cache
def healthz(request):
    """200 when the database, the cache and the Celery broker answer; 503 naming what doesn't."""
    checks = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}
    report = {}
    for name, check in checks.items():
        try:
            check()
        except Exception:
            logger.exception("healthz: %s is down", name)
            report[name] = "down"
        else:
            report[name] = "ok"
    healthy = all(value == "ok" for value in report.values())
    return JsonResponse(report, status=200 if healthy else 503)
