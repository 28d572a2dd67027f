"""Profile one page in-process with the bench settings: where a render's time goes.

    python bench/profile_page.py --path /events/ [--as member000123@example.com] \
        [--cookie bench=uncached] [--renders 40] [--html tmp/bench/profiles/events.html] [--json]

Renders the page through Django's test client (the whole middleware stack, the production
settings of `make bench`, DATABASE_URL's data) a few times to warm up, times `--renders`
renders, counts the queries of one, then profiles `--renders` more with pyinstrument. Prints
the profile (or, with --json, one line of JSON: time per render, queries, own time by area,
the costliest project functions, the slowest queries). `make bench` runs it for every page
that misses a goal.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

AREAS = [  # first match wins; matched against the frame's file path
    ("psycopg", "PostgreSQL (driver and waiting)"),
    ("/django/db/", "Django ORM"),
    ("/django/template/", "templates"),
    ("/templatetags/", "templates"),
    ("crispy", "templates"),
    ("/django/forms/", "forms"),
    ("redis", "Redis"),
    ("kombu", "Redis"),
    ("/django/", "Django (other)"),
    ("/site-packages/", "other libraries"),
]


def area_of(path: str) -> str:
    for needle, area in AREAS:
        if needle in path:
            return area
    if path.startswith(str(BASE_DIR)):
        return "project code"
    return "Python (stdlib and built-ins)"


def shorten(sql: str) -> str:
    """A query without its column list, which says little and takes all the room."""
    sql = re.sub(r"^(DECLARE .*? FOR )", "", sql)
    match = re.match(r"^SELECT (DISTINCT )?(.*?) FROM ", sql)
    if match and len(match.group(2)) > 60:
        sql = f"SELECT {match.group(1) or ''}… FROM " + sql[match.end() :]  # noqa: S608 - shown, never run
    return sql[:240] + ("…" if len(sql) > 240 else "")


def summarise(root, total: float) -> tuple[list, list, list]:
    """As shares of the total: own time by area, the project's functions (inclusive), and
    the functions with the most own time."""
    areas: dict[str, float] = defaultdict(float)
    project: dict[str, float] = defaultdict(float)
    own_time: dict[str, float] = defaultdict(float)

    def walk(frame, path: str, owner: str, stack: frozenset) -> None:
        # Synthetic frames ("[self]", hidden library frames) belong to the real one above.
        file_path = frame.file_path or path
        if frame.file_path:
            owner = f"{frame.file_path_short}:{frame.line_no} {frame.function}"
        children = frame.children
        own = frame.time - sum(child.time for child in children)
        if own > 0:
            areas[area_of(file_path)] += own
            own_time[owner] += own
        key = None
        if (
            frame.file_path
            and frame.file_path.startswith(str(BASE_DIR))
            and "/.venv/" not in frame.file_path
            and "/bench/" not in frame.file_path
        ):
            key = f"{frame.file_path_short}:{frame.line_no} {frame.function}"
            if key not in stack:
                project[key] += frame.time
        inner = stack | {key} if key else stack
        for child in children:
            walk(child, file_path, owner, inner)

    walk(root, "", "?", frozenset())
    by_area = sorted(((a, t / total) for a, t in areas.items()), key=lambda x: -x[1])
    # Leave out what wraps the whole request (middleware, the view itself).
    top = sorted(
        ((k, t / total) for k, t in project.items() if t / total < 0.95), key=lambda x: -x[1]
    )
    hot = sorted(((k, t / total) for k, t in own_time.items()), key=lambda x: -x[1])
    return (
        [(a, round(s, 3)) for a, s in by_area if s >= 0.01],
        [(k, round(s, 3)) for k, s in top[:8] if s >= 0.01],
        [(k, round(s, 3)) for k, s in hot[:8]],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", required=True)
    parser.add_argument("--as", dest="member", help="the email of the member to sign in as")
    parser.add_argument(
        "--cookie", help="NAME=VALUE to send, e.g. one that makes the visitors' cache step aside"
    )
    parser.add_argument("--renders", type=int, default=40)
    parser.add_argument("--html", help="also save pyinstrument's HTML profile here")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from pyinstrument import Profiler

    from members.models import User

    client = Client(HTTP_HOST="127.0.0.1")
    if args.member:
        client.force_login(User.objects.get(email=args.member))
    if args.cookie:
        name, _, value = args.cookie.partition("=")
        client.cookies[name] = value

    def render() -> int:
        response = client.get(args.path)
        if response.status_code != 200:
            raise SystemExit(f"{args.path} answered {response.status_code}")
        return len(response.content)

    started = time.perf_counter()
    for _ in range(3):
        size = render()
    # At most about 15 s for each of the two loops below, however slow the page.
    first_ms = (time.perf_counter() - started) * 1000 / 3
    renders = max(5, min(args.renders, int(15_000 / max(first_ms, 1))))
    started = time.perf_counter()
    for _ in range(renders):
        render()
    ms = (time.perf_counter() - started) * 1000 / renders
    with CaptureQueriesContext(connection) as queries:
        render()
    query_count = len(queries)  # now: the next request resets Django's query log
    timed = sorted(((float(q["time"]) * 1000, q["sql"]) for q in queries), reverse=True)

    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(renders):
        render()
    session = profiler.stop()
    if args.member:
        client.logout()
    if args.html:
        Path(args.html).parent.mkdir(parents=True, exist_ok=True)
        Path(args.html).write_text(profiler.output_html())
    root = session.root_frame()
    areas, project, hot = summarise(root, root.time) if root else ([], [], [])
    if not args.json:
        sys.stdout.write(profiler.output_text(unicode=True, color=False, show_all=False))
        sys.stdout.write(f"\n{ms:.1f} ms a render, {query_count} queries\n")
        return
    result = {
        "path": args.path,
        "renders": renders,
        "ms_per_render": round(ms, 2),
        "bytes": size,
        "queries": query_count,
        "cpu_share": round(session.cpu_time / session.duration, 2) if session.duration else 0,
        "sql_ms": round(sum(t for t, _ in timed), 2),
        "slowest_sql": [(round(t, 2), shorten(sql)) for t, sql in timed[:3]],
        "areas": areas,
        "project": project,
        "hot": hot,
    }
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
