"""RSVP burst: N signed-in members say yes at the same moment to an event with P places.

    python bench/burst.py --base http://127.0.0.1:8765 --members 500 --places 100

Over HTTP against the running gunicorn, as browsers would: a fresh event with P places;
N members with an active membership, each signed in (a session) and holding the CSRF
token of the event page they loaded (one GET each, beforehand); N threads, each with its
connection already open, wait at a barrier and then all post "yes" to /events/<slug>/rsvp/.
Then the database is checked: exactly P confirmed, the other N - P on the waitlist at
positions 1..N-P with no gap, the event's counter equal to the confirmed places, and no
5xx answer. Prints one line of JSON. Uses DATABASE_URL (the same database as the server).
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.prepare import ensure_active, setup_django, sign_in

SLUG_PREFIX = "bench-burst"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def make_event(places: int):
    from django.utils import timezone

    from events.models import Event

    Event.objects.filter(slug__startswith=SLUG_PREFIX).delete()
    starts = timezone.now().replace(microsecond=0) + timedelta(days=7)
    return Event.objects.create(
        title="Benchmark burst: a popular breakfast",
        slug=f"{SLUG_PREFIX}-{int(time.time())}",
        description="Made by bench/burst.py; deleted by its next run.",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        venue_name="The Corner Café",
        venue_address="Call Lane, Leeds LS1 7BR",
        city="Leeds",
        capacity=places,
        is_published=True,
    )


def members(count: int):
    from members.models import User

    users = list(
        User.objects.filter(
            is_active=True, email__startswith="member", email__endswith="@example.com"
        ).order_by("pk")[1000 : 1000 + count]
    )
    if len(users) < count:  # a small dataset: take whoever there is
        users = list(
            User.objects.filter(is_active=True, email__startswith="member").order_by("pk")[:count]
        )
    ensure_active(u.pk for u in users)
    return users


def load_form(host: str, port: int, path: str, cookie: str) -> tuple[str, str]:
    """GET the event page as the member: returns the CSRF cookie and the form's token."""
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.request("GET", path, headers={"Cookie": cookie})
    response = conn.getresponse()
    body = response.read().decode()
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"GET {path} answered {response.status}")
    csrf_cookie = ""
    for header, value in response.getheaders():
        if header.lower() == "set-cookie" and value.startswith("csrftoken="):
            csrf_cookie = value.split(";", 1)[0]
    match = TOKEN.search(body)
    if not csrf_cookie or not match:
        raise RuntimeError(f"no CSRF cookie or no RSVP form on {path} for this member")
    return csrf_cookie, match.group(1)


def burst(host: str, port: int, path: str, people: list[tuple[str, str, str]]) -> dict:
    """All post at once; returns the answers' statuses and timings."""
    moment: list[float] = []
    barrier = threading.Barrier(len(people), action=lambda: moment.append(time.perf_counter()))
    results: list[tuple[int, float]] = [(0, 0.0)] * len(people)

    def post(index: int) -> None:
        session, csrf_cookie, token = people[index]
        body = urlencode({"csrfmiddlewaretoken": token, "response": "yes", "guests": "0"})
        headers = {
            "Cookie": f"{session}; {csrf_cookie}",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        conn = http.client.HTTPConnection(host, port, timeout=120)
        try:
            conn.connect()
            barrier.wait(timeout=60)
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            results[index] = (response.status, time.perf_counter())
        except (OSError, http.client.HTTPException):
            results[index] = (-1, time.perf_counter())
        finally:
            conn.close()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(people))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    start = moment[0] if moment else time.perf_counter()
    statuses: dict[str, int] = {}
    for status, _ in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    latencies = sorted(end - start for _, end in results)
    return {
        "statuses": statuses,
        "seconds": round(latencies[-1], 3),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
    }


def check(event, expected_confirmed: int, expected_waiting: int) -> dict:
    from events.models import RSVP

    event.refresh_from_db()
    confirmed = RSVP.objects.filter(event=event).confirmed().count()
    positions = list(
        RSVP.objects.filter(event=event).waitlisted().with_positions().order_by("waitlist_ticket")
    )
    waiting = len(positions)
    contiguous = [r.position for r in positions] == list(range(1, waiting + 1))
    tickets = [r.waitlist_ticket or 0 for r in positions]  # waitlisted rows all have one
    return {
        "confirmed": confirmed,
        "waitlisted": waiting,
        "positions_contiguous": contiguous,
        "tickets_increasing": tickets == sorted(tickets) and len(set(tickets)) == len(tickets),
        "counter": event.confirmed_places,
        "ok": confirmed == expected_confirmed
        and waiting == expected_waiting
        and contiguous
        and event.confirmed_places == confirmed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="e.g. http://127.0.0.1:8765")
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--places", type=int, default=100)
    args = parser.parse_args()
    setup_django()
    base = urlsplit(args.base)
    host, port = base.hostname, base.port or 80

    event = make_event(args.places)
    users = members(args.members)
    sessions = [sign_in(user) for user in users]
    page = event.get_absolute_url()
    with ThreadPoolExecutor(max_workers=4) as pool:
        forms = list(pool.map(lambda s: load_form(host, port, page, s), sessions))
    people = [(s, c, t) for s, (c, t) in zip(sessions, forms, strict=True)]
    answers = burst(host, port, f"{page}rsvp/", people)
    n = len(people)
    verdict = check(event, min(args.places, n), max(n - args.places, 0))
    server_errors = sum(v for k, v in answers["statuses"].items() if k.startswith("5"))
    result = {
        "members": n,
        "places": args.places,
        **answers,
        **verdict,
        "server_errors": server_errors,
        "socket_errors": answers["statuses"].get("-1", 0),
    }
    result["ok"] = verdict["ok"] and server_errors == 0 and result["socket_errors"] == 0
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
