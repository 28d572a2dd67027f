"""An open-loop, constant-rate HTTP load generator (stdlib only): latency at a given load.

    python bench/loadgen.py --url http://127.0.0.1:8765/events/ --rate 150 --duration 15 \
        [--cookie "sessionid=..."]
    python bench/loadgen.py --count 2000 --concurrency 5 --max-seconds 60 \
        --target http://127.0.0.1:8765/ --target "http://127.0.0.1:8765/members/ sessionid=..."

The second form is a plain closed loop for warming up and for the memory run: `concurrency`
clients, each sending its next request when the last is answered, cycling over the targets
until `count` have been answered (wrk cannot stop at a count).

Request i is due at start + i / rate, whatever happened to the requests before it, and its
latency is measured from that due time to the end of the response. So a server that stalls
is charged for the whole wait of every request queued behind the stall (no "coordinated
omission"), which wrk's closed loop, even paced with a Lua `delay()`, would hide: there the
next request of a connection is only sent after the previous answer, and the offered rate
falls with the latency. wrk has no rate option, and wrk2, which has, is not packaged in
Debian. Each request is made on its own connection with `Connection: close`, as gunicorn's
sync workers answer anyway. Prints one line of JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from urllib.parse import urlsplit

MAX_IN_FLIGHT = 2000
TIMEOUT = 30.0  # seconds; a request slower than this counts as a socket error


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


def build(url: str, cookie: str | None) -> tuple[str, int, bytes]:
    """Host, port and the bytes of a GET request for `url`."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    head = [f"GET {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close"]
    if cookie:
        head.append(f"Cookie: {cookie}")
    return host, port, ("\r\n".join(head) + "\r\n\r\n").encode()


async def fetch(host: str, port: int, request: bytes) -> int:
    """One request on its own connection; returns the status (OSError, TimeoutError)."""
    async with asyncio.timeout(TIMEOUT):
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(request)
        status_line = await reader.readline()
        while await reader.read(65536):
            pass
        writer.close()
    try:
        return int(status_line.split()[1])
    except (IndexError, ValueError):
        raise OSError(f"not an HTTP answer: {status_line[:40]!r}") from None


async def closed_loop(targets: list[str], count: int, concurrency: int, seconds: float) -> dict:
    requests = [
        build(url, cookie or None) for url, _, cookie in (t.partition(" ") for t in targets)
    ]
    answered = not_2xx = errors = 0
    deadline = time.perf_counter() + seconds

    async def client(offset: int) -> None:
        nonlocal answered, not_2xx, errors
        index = offset
        while answered + errors < count and time.perf_counter() < deadline:
            host, port, request = requests[index % len(requests)]
            index += 1
            try:
                status = await fetch(host, port, request)
            except (OSError, TimeoutError):
                errors += 1
                continue
            answered += 1
            not_2xx += not 200 <= status < 300

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(concurrency)))
    return {
        "requests": answered,
        "not_2xx": not_2xx,
        "socket_errors": errors,
        "seconds": round(time.perf_counter() - started, 2),
    }


async def run(url: str, rate: float, duration: float, cookie: str | None) -> dict:
    host, port, request = build(url, cookie)

    latencies: list[float] = []
    service: list[float] = []
    statuses: dict[int, int] = {}
    errors = {"socket": 0, "dropped": 0}
    in_flight = 0

    async def one(due: float) -> None:
        nonlocal in_flight
        in_flight += 1
        started = time.perf_counter()
        try:
            status = await fetch(host, port, request)
        except (OSError, TimeoutError):
            errors["socket"] += 1
            return
        finally:
            in_flight -= 1
        finished = time.perf_counter()
        statuses[status] = statuses.get(status, 0) + 1
        latencies.append(finished - due)
        service.append(finished - started)

    total = max(int(rate * duration), 1)
    tasks = set()
    start = time.perf_counter() + 0.05
    for i in range(total):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if in_flight >= MAX_IN_FLIGHT:
            errors["dropped"] += 1
            continue
        task = asyncio.create_task(one(due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    sent_seconds = time.perf_counter() - start
    while tasks:
        await asyncio.gather(*list(tasks))
    elapsed = time.perf_counter() - start

    latencies.sort()
    service.sort()
    not_2xx = sum(n for status, n in statuses.items() if not 200 <= status < 300)
    return {
        "rate": rate,
        "requests": total,
        "completed": len(latencies),
        "achieved_rate": round(total / sent_seconds, 1) if sent_seconds else 0.0,
        "elapsed": round(elapsed, 2),
        "not_2xx": not_2xx,
        "socket_errors": errors["socket"],
        "dropped": errors["dropped"],
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p90_ms": round(percentile(latencies, 90) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
        "max_ms": round((latencies[-1] if latencies else 0) * 1000, 2),
        "service_p50_ms": round(percentile(service, 50) * 1000, 2),
        "service_p99_ms": round(percentile(service, 99) * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url")
    parser.add_argument("--rate", type=float, help="requests per second")
    parser.add_argument("--duration", type=float, help="seconds")
    parser.add_argument("--cookie")
    parser.add_argument("--target", action="append", help="closed loop: 'URL [COOKIE]'")
    parser.add_argument("--count", type=int, help="closed loop: stop after this many answers")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--max-seconds", type=float, default=300)
    args = parser.parse_args()
    if args.count is not None:
        result = asyncio.run(
            closed_loop(args.target, args.count, args.concurrency, args.max_seconds)
        )
    elif args.url and args.rate and args.duration:
        result = asyncio.run(run(args.url, args.rate, args.duration, args.cookie))
    else:
        parser.error("give --url, --rate and --duration, or --count and --target")
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
