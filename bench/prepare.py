"""Get one benchmark database ready and say which pages to measure (JSON on stdout).

    python bench/prepare.py --scale large     # DATABASE_URL names the database

Migrates; seeds `seed_demo --scale <scale>` unless this database already holds that dataset
(a marker row in `bench_dataset`, a table of the bench databases only, written after a
successful seed); picks the pages (the busiest upcoming event, the biggest group and one of
its ordinary members as the signed-in viewer, given an active membership); and signs that
member in (a session made with Django's SessionStore, as a login would). Sessions made by an
earlier run are deleted first (their keys are kept in `bench_session`).

Run by bench/run.py with the production settings (`DEBUG` off) of `make bench`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from importlib import import_module
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

FLOOR_PATH = "/bench/fortunes/"


def log(message: str) -> None:
    sys.stderr.write(f"[prepare] {message}\n")
    sys.stderr.flush()


def setup_django() -> None:
    import django

    django.setup()


def bench_tables() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_dataset ("
            " scale text PRIMARY KEY, seeded_at timestamptz NOT NULL, seconds real NOT NULL)"
        )
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_session (session_key text PRIMARY KEY)")


def dataset_ready(scale: str) -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM bench_dataset WHERE scale = %s", [scale])
        return cursor.fetchone() is not None


def seed(scale: str) -> float:
    """Seed the dataset unless the marker says it is there; returns the seconds it took."""
    from django.core.management import call_command
    from django.db import connection

    if dataset_ready(scale):
        log(f"dataset '{scale}' already seeded; reusing it")
        return 0.0
    log(f"seeding dataset '{scale}' (seed_demo --scale {scale}); minutes for 'large'")
    started = time.perf_counter()
    call_command("seed_demo", scale=scale, stdout=sys.stderr)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute(
            "INSERT INTO bench_dataset (scale, seeded_at, seconds) VALUES (%s, now(), %s)",
            [scale, seconds],
        )
    log(f"seeded in {seconds:.0f} s")
    return seconds


def counts() -> dict[str, int]:
    from billing.models import Membership
    from discounts.models import Offer
    from events.models import RSVP, Event
    from experts.models import Expert
    from groups.models import Group, GroupMembership
    from members.models import User

    return {
        "members": User.objects.count(),
        "paying": Membership.objects.active().count(),
        "groups": Group.objects.count(),
        "group_memberships": GroupMembership.objects.count(),
        "events": Event.objects.count(),
        "rsvps": RSVP.objects.count(),
        "offers": Offer.objects.count(),
        "experts": Expert.objects.count(),
    }


def ensure_active(user_ids) -> None:
    """Give these users an active membership (the bench's viewer and burst members)."""
    from datetime import timedelta

    from django.utils import timezone

    from billing.models import Membership

    ids = list(user_ids)
    until = timezone.now() + timedelta(days=30)
    Membership.objects.filter(user_id__in=ids).exclude(
        status__in=Membership.ACCESS_STATUSES
    ).update(status=Membership.Status.ACTIVE, past_due_since=None, current_period_end=until)
    have = set(Membership.objects.filter(user_id__in=ids).values_list("user_id", flat=True))
    Membership.objects.bulk_create(
        [
            Membership(user_id=pk, status=Membership.Status.ACTIVE, current_period_end=until)
            for pk in ids
            if pk not in have
        ]
    )


def forget_sessions() -> None:
    """Delete the sessions an earlier bench run made."""
    from django.contrib.sessions.models import Session
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT session_key FROM bench_session")
        keys = [row[0] for row in cursor.fetchall()]
        Session.objects.filter(session_key__in=keys).delete()
        cursor.execute("DELETE FROM bench_session")


def sign_in(user) -> str:
    """A session for `user`, as `django.contrib.auth.login` makes it; returns the cookie."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.db import connection

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]  # as login() would
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_session (session_key) VALUES (%s)", [store.session_key])
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def pick_pages() -> dict:
    from django.utils import timezone

    from events.models import Event
    from groups.models import Group, GroupMembership

    now = timezone.now()
    event = (
        Event.objects.listed()
        .filter(starts_at__gt=now)
        .exclude(slug__startswith="bench-")
        .order_by("-confirmed_places", "starts_at", "pk")
        .first()
    )
    group = Group.objects.published().order_by("-member_count", "pk").first()
    if event is None or group is None:
        raise SystemExit("prepare: the dataset has no upcoming event or no group")
    membership = (
        GroupMembership.objects.filter(group=group, role=GroupMembership.Role.MEMBER)
        .select_related("user")
        .order_by("user_id")
        .first()
    )
    if membership is None:
        raise SystemExit(f"prepare: group {group.slug} has no ordinary member")
    viewer = membership.user
    ensure_active([viewer.pk])
    cookie = sign_in(viewer)
    pages = [
        ("floor", "floor", FLOOR_PATH, None),
        ("home", "anonymous", "/", None),
        ("events", "anonymous", "/events/", None),
        ("event", "anonymous", event.get_absolute_url(), None),
        ("groups", "anonymous", "/groups/", None),
        ("group (member)", "member", group.get_absolute_url(), cookie),
        ("discounts", "anonymous", "/discounts/", None),
        ("directory (member)", "member", "/members/", cookie),
        ("home (member)", "member", "/", cookie),
        ("healthz", "anonymous", "/healthz/", None),
    ]
    labels = {
        "event": "/events/<slug>/",
        "group (member)": "/groups/<slug>/",
        "home (member)": "/ (member home)",
    }
    return {
        "pages": [
            {"name": name, "kind": kind, "path": path, "cookie": cookie}
            | {"label": labels.get(name, path)}
            for name, kind, path, cookie in pages
        ],
        "viewer": viewer.email,
        "event": {"slug": event.slug, "confirmed_places": event.confirmed_places},
        "group": {"slug": group.slug, "member_count": group.member_count},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="large", choices=["demo", "large"])
    args = parser.parse_args()
    setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    bench_tables()
    seconds = seed(args.scale)
    forget_sessions()
    result = pick_pages()
    result["scale"] = args.scale
    result["seed_seconds"] = round(seconds, 1)
    result["counts"] = counts()
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
