"""`make bench`: the pages against the floor, data scaling, RSVP burst, memory, digests.

Run by `make bench` with the production settings of its BENCH_ENV (DEBUG off, PostgreSQL,
Redis); it prints one table and writes docs/benchmarks.md. What it does, in order:

1. Collects static files; makes the large dataset in DATABASE_URL (`seed_demo --scale
   large`, reused while the database holds it and it is under a week old) and an almost
   empty one (the default demo) in BENCH_SMALL_DATABASE_URL; empties its Redis database
   (REDIS_URL: the bench's own, db 5 by default).
2. Starts two gunicorns on bench/wsgi.py (the site, plus the floor at /bench/fortunes/), one
   on each database, same settings; checks every page answers 200 (and the member pages as
   the signed-in member); warms every page up on every worker.
3. The floor: `wrk` at saturation and the open-loop generator (bench/loadgen.py) at half that
   rate. Then, page by page: `wrk` at saturation (requests/s, p50, p99, errors), the
   generator at half that rate (p99 at half saturation), full renders (past the visitors'
   microcache) on the large and then the small database (`wrk`, for the latency ratio), and
   the floor again (a short run). A page's ratio to the
   floor uses the floor runs just before and just after it, so slow drift in what else the
   machine is doing cancels out.
4. Memory: each worker's RSS after the warm-up, after the measured runs, and, if fewer than
   20,000 requests had been served by then, after a mixed wrk run over all the pages.
5. RSVP burst (bench/burst.py): 500 members say yes at once to an event with 100 places.
6. Digest throughput (bench/digest_throughput.py), its rows in the same document.
7. Profiles (bench/profile_page.py) of the pages that miss a goal, in the document.

Settings (environment; durations in seconds): BENCH_DURATION (15, each saturation run),
BENCH_RATE_DURATION (15, each half-rate run), BENCH_SMALL_DURATION (8, each full-render run on
either database), BENCH_FLOOR_DURATION (5, the floor between pages), BENCH_WARMUP (20: requests per
worker and page), BENCH_CONNECTIONS (32), BENCH_WORKERS (2 x cores + 1),
BENCH_WORKER_CLASS (sync) and BENCH_THREADS (for gthread), BENCH_PORT (8765, and the next one
for the small database), BENCH_WRK_CPU
(the last core), BENCH_SERVER_CPUS (all the other cores when there are 4 or more, else
unpinned), BENCH_MEMORY_REQUESTS (20000), BENCH_MEMORY_SECONDS (240, a cap),
BENCH_BURST_MEMBERS (500), BENCH_BURST_PLACES (100), BENCH_SMALL (1; 0: no small database),
BENCH_DIGEST_MEMBERS (10000; 0 skips step 6), BENCH_PROFILE (1; 0 skips step 7),
BENCH_PROFILE_RENDERS (40), BENCH_SMALL_DATABASE_URL (DATABASE_URL's name + "_small"),
BENCH_RESEED (0; 1 drops and reseeds both datasets), BENCH_DATASET_MAX_DAYS (7: older datasets
are reseeded, their dates being relative to the seeding), BENCH_OUTPUT (docs/benchmarks.md).
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import shlex
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = BASE_DIR / "bench"
OUT_DIR = BASE_DIR / "tmp" / "bench"  # logs, raw results and profiles (git-ignored)
PY = sys.executable

GOAL_ANONYMOUS = 0.5  # of the floor's requests per second
GOAL_MEMBER = 0.3
GOAL_P99_HALF_MS = 100.0
GOAL_MEMORY_GROWTH = 0.10
GOAL_SCALING = 2.0
DIGEST_HEADER = "| what | size | result | rate | notes |\n|---|---|---|---|---|\n"
# Everything after this line in docs/benchmarks.md is kept from one run to the next: notes on
# what was tried, before/after figures, anything a person wrote.
BYPASS_COOKIE = "bench=uncached"  # a cookie the site ignores: no microcache, a full render
NOTES_MARKER = "<!-- Kept by make bench: notes below this line survive the next run. -->"


def setting(name: str, default):
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    return type(default)(value)


def log(message: str) -> None:
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def run(cmd: list[str], *, env=None, check=True, timeout=None) -> str:
    """Run a command of ours (a fixed program, arguments we built) and return its stdout."""
    result = subprocess.run(  # noqa: S603 - our own commands, no shell
        cmd, env=env, capture_output=True, text=True, check=False, timeout=timeout
    )
    if check and result.returncode != 0:
        sys.stderr.write(result.stderr[-4000:])
        raise SystemExit(f"bench: {' '.join(cmd[:3])} ... failed ({result.returncode})")
    return result.stdout


def with_database(env: dict, url: str) -> dict:
    return {**env, "DATABASE_URL": url}


def small_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_small"))


class Config:
    def __init__(self) -> None:
        cores = os.cpu_count() or 1
        self.cores = cores
        self.duration = setting("BENCH_DURATION", 15)
        self.rate_duration = setting("BENCH_RATE_DURATION", 15)
        self.small_duration = setting("BENCH_SMALL_DURATION", 8)
        self.floor_duration = setting("BENCH_FLOOR_DURATION", 5)
        self.warmup = setting("BENCH_WARMUP", 20)
        self.connections = setting("BENCH_CONNECTIONS", 32)
        self.workers = setting("BENCH_WORKERS", 2 * cores + 1)
        self.worker_class = setting("BENCH_WORKER_CLASS", "sync")
        self.threads = setting("BENCH_THREADS", 4)
        self.port = setting("BENCH_PORT", 8765)
        self.wrk_cpu = setting("BENCH_WRK_CPU", str(cores - 1))
        others = ",".join(str(c) for c in range(cores) if str(c) != self.wrk_cpu)
        self.server_cpus = setting("BENCH_SERVER_CPUS", others if cores >= 4 else "")
        self.memory_requests = setting("BENCH_MEMORY_REQUESTS", 20_000)
        self.memory_seconds = setting("BENCH_MEMORY_SECONDS", 240)
        self.burst_members = setting("BENCH_BURST_MEMBERS", 500)
        self.burst_places = setting("BENCH_BURST_PLACES", 100)
        self.small = setting("BENCH_SMALL", 1)
        self.digest_members = setting("BENCH_DIGEST_MEMBERS", 10_000)
        self.profile = setting("BENCH_PROFILE", 1)
        self.profile_renders = setting("BENCH_PROFILE_RENDERS", 40)
        self.reseed = setting("BENCH_RESEED", 0)
        self.dataset_max_days = setting("BENCH_DATASET_MAX_DAYS", 7.0)
        self.database_url = os.environ["DATABASE_URL"]
        self.small_database_url = setting("BENCH_SMALL_DATABASE_URL", small_url(self.database_url))
        self.output = BASE_DIR / setting("BENCH_OUTPUT", "docs/benchmarks.md")
        self.env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
        self.env.setdefault("SECURE_SSL_REDIRECT", "false")

    def overrides(self) -> str:
        """The BENCH_* settings given in the environment, for the document."""
        return " ".join(
            f"{k}={shlex.quote(v)}"
            for k, v in sorted(os.environ.items())
            if k.startswith("BENCH_") and not k.endswith("_URL")
        )


# --- The server -------------------------------------------------------------------------


class Server:
    def __init__(self, config: Config, database_url: str, label: str, port: int) -> None:
        self.config = config
        self.env = with_database(config.env, database_url)
        self.label = label
        self.port = port
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        c = self.config
        cmd = [
            str(Path(PY).with_name("gunicorn")),
            "bench.wsgi:application",
            f"--bind=127.0.0.1:{self.port}",
            f"--workers={c.workers}",
            f"--worker-class={c.worker_class}",
            "--backlog=2048",
            "--timeout=120",
            "--graceful-timeout=5",
            "--log-level=warning",
        ]
        if c.worker_class == "gthread":
            cmd.append(f"--threads={c.threads}")
        if c.server_cpus:
            cmd = ["taskset", "-c", c.server_cpus, *cmd]
        logfile = (OUT_DIR / f"gunicorn-{self.label}.log").open("w")
        log(f"starting gunicorn ({self.label}): {' '.join(cmd[-7:])}")
        self.process = subprocess.Popen(  # noqa: S603 - our own command
            cmd,
            cwd=BASE_DIR,
            env=self.env,
            stdout=logfile,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"bench: gunicorn exited; see {logfile.name}")
            try:
                status, _ = get(self.port, "/healthz/")
                if status == 200 and len(self.workers()) >= c.workers:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise SystemExit("bench: gunicorn did not answer /healthz/ within 60 s")

    def workers(self) -> list[int]:
        """The gunicorn master's children (read from /proc, like `ps --ppid`)."""
        if self.process is None:
            return []
        master = self.process.pid
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                children.append(int(stat.parent.name))
        return sorted(children)

    def rss(self) -> dict[int, int]:
        """Each worker's resident memory in KiB (VmRSS, what `ps -o rss` shows)."""
        sizes = {}
        for pid in self.workers():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    sizes[pid] = int(line.split()[1])
        return sizes

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # the group we started
            self.process.wait()


def get(port: int, path: str, cookie: str | None = None) -> tuple[int, str]:
    status, body, _ = get_full(port, path, cookie)
    return status, body


def get_full(port: int, path: str, cookie: str | None = None) -> tuple[int, str, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        headers = {k.lower(): v for k, v in response.getheaders()}
        return response.status, response.read().decode(errors="replace"), headers
    finally:
        conn.close()


def open_connections(port: int) -> int:
    """Server-side TCP connections on `port` not yet answered and closed (/proc/net/tcp):
    established, waiting to be accepted, or closed by the client but not yet served."""
    busy = {"01", "03", "08"}  # ESTABLISHED, SYN_RECV, CLOSE_WAIT
    suffix = f":{port:04X}"
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[1].endswith(suffix) and fields[3] in busy:
                count += 1
    return count


def wait_idle(port: int, timeout: float = 300) -> None:
    """Wait until the server has answered everything queued: when wrk stops, the requests
    it had in flight are still in gunicorn's queue, and would slow the next run down."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not open_connections(port):
            return
        time.sleep(0.2)
    log("the server is still busy after the last run; going on")


def preflight(port: int, pages: list[dict]) -> None:
    """Every page answers 200, and the member pages really are seen signed in. Notes which
    pages come from the visitors' microcache (core/page_cache.py) the second time."""
    for page in pages:
        for _ in range(2):
            status, body, headers = get_full(port, page["path"], page["cookie"])
            if status != 200:
                raise SystemExit(f"bench: {page['path']} answered {status}, not 200")
        signed_in = "/accounts/logout/" in body
        if signed_in != (page["kind"] == "member"):
            raise SystemExit(f"bench: {page['path']} signed in: {signed_in}, expected the other")
        page["cached"] = headers.get("x-visitor-cache") == "hit"


def uncached(page: dict) -> dict:
    """The page as a visitor the microcache skips (any cookie will do; this one is unused)."""
    return page if page["cookie"] else {**page, "cookie": BYPASS_COOKIE}


# --- Load -------------------------------------------------------------------------------


def wrk(config: Config, page: dict, duration: int, *, connections=None) -> dict:
    cmd = [
        "taskset",
        "-c",
        config.wrk_cpu,
        "wrk",
        "-t1",
        f"-c{connections or config.connections}",
        f"-d{duration}s",
        "--timeout=30s",
        "--latency",
        "-s",
        str(BENCH_DIR / "wrk" / "report.lua"),
    ]
    if page.get("cookie"):
        cmd += ["-H", f"Cookie: {page['cookie']}"]
    cmd.append(f"http://127.0.0.1:{page['port']}{page['path']}")
    out = run(cmd, timeout=duration + 120)
    wait_idle(page["port"])
    line = next(x for x in out.splitlines() if x.startswith("BENCH_JSON "))
    data = json.loads(line.removeprefix("BENCH_JSON "))
    seconds = data["duration_us"] / 1e6
    errors = data["connect"] + data["read"] + data["write"] + data["timeout"]
    return {
        "rps": data["requests"] / seconds if seconds else 0.0,
        "requests": data["requests"],
        "p50_ms": data["p50_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "errors": data["not_2xx"] + errors,
        "not_2xx": data["not_2xx"],
        "socket_errors": errors,
    }


def half_rate(config: Config, page: dict, rate: float) -> dict:
    cmd = [
        "taskset",
        "-c",
        config.wrk_cpu,
        PY,
        str(BENCH_DIR / "loadgen.py"),
        f"--url=http://127.0.0.1:{page['port']}{page['path']}",
        f"--rate={max(rate, 0.1):.2f}",
        f"--duration={config.rate_duration}",
    ]
    if page.get("cookie"):
        cmd.append(f"--cookie={page['cookie']}")
    data = json.loads(run(cmd, timeout=config.rate_duration + 120))
    wait_idle(page["port"])
    data["errors"] = data["not_2xx"] + data["socket_errors"] + data["dropped"]
    return data


def mix(config: Config, pages: list[dict], requests: int, seconds: int) -> dict:
    """A closed loop over `pages` (one client per worker) until `requests` are answered, or
    for at most `seconds` (bench/loadgen.py: wrk cannot stop at a count)."""
    if requests <= 0:
        return {"requests": 0, "errors": 0}
    slots = config.workers * (config.threads if config.worker_class == "gthread" else 1)
    cmd = [
        "taskset",
        "-c",
        config.wrk_cpu,
        PY,
        str(BENCH_DIR / "loadgen.py"),
        f"--count={requests}",
        f"--concurrency={slots}",
        f"--max-seconds={seconds}",
    ]
    for page in pages:
        target = f"http://127.0.0.1:{page['port']}{page['path']}"
        cmd.append(
            f"--target={target} {page['cookie']}" if page["cookie"] else f"--target={target}"
        )
    data = json.loads(run(cmd, timeout=seconds + 120))
    wait_idle(pages[0]["port"])
    return {"requests": data["requests"], "errors": data["not_2xx"] + data["socket_errors"]}


# --- Steps ------------------------------------------------------------------------------


def dataset_age_days(url: str, scale: str) -> float | None:
    """Days since the dataset was seeded (bench/prepare.py's marker), None if it is not."""
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            row = conn.execute(
                "SELECT extract(epoch FROM now() - seeded_at) / 86400 FROM bench_dataset"
                " WHERE scale = %s",
                [scale],
            ).fetchone()
    except psycopg.Error:  # no database yet, or no marker table
        return None
    return float(row[0]) if row else None


def drop_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.startswith("mutual_bench"):
        raise SystemExit(f"bench: will not drop {name!r}; only databases named mutual_bench*")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def prepare(config: Config, url: str, scale: str) -> dict:
    """Migrate, seed (once), pick the pages and sign the viewer in: see bench/prepare.py.

    The dataset's dates are relative to when it was seeded (events over the next ten weeks,
    this month's offers), so a dataset older than BENCH_DATASET_MAX_DAYS is made afresh, as
    it is with BENCH_RESEED=1.
    """
    age = dataset_age_days(url, scale)
    if age is not None and (config.reseed or age > config.dataset_max_days):
        log(f"dropping {urlsplit(url).path.lstrip('/')} (dataset {age:.1f} days old) to reseed")
        drop_database(url)
    env = with_database(config.env, url)
    run([PY, "manage.py", "check_services"], env=env)
    started = time.perf_counter()
    log(f"preparing {urlsplit(url).path.lstrip('/')} (dataset '{scale}')")
    proc = subprocess.run(  # noqa: S603 - our own command
        [PY, str(BENCH_DIR / "prepare.py"), f"--scale={scale}"],
        env=env,
        cwd=BASE_DIR,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit("bench: prepare.py failed")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    log(f"prepared in {time.perf_counter() - started:.0f} s: {data['counts']}")
    return data


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def warm_up(config: Config, pages: list[dict]) -> None:
    """Every page, about BENCH_WARMUP times per worker (at most a minute a page), so that
    every worker has rendered every page before anything is measured."""
    for page in pages:
        result = mix(config, [page], config.warmup * config.workers, 60)
        if result["errors"]:
            log(f"warm-up of {page['path']}: {result['errors']} errors")


def measure(
    config: Config, pages: list[dict], small_pages: dict[str, dict], server: Server
) -> dict:
    """The floor, then each page (saturation, half load, full renders on both databases)
    and the floor again; returns the results by page name, each with the server's worker
    RSS after it."""
    floor = pages[0]
    results: dict[str, dict] = {}
    saturation = wrk(config, floor, config.duration)
    half = half_rate(config, floor, saturation["rps"] / 2)
    results[floor["name"]] = {"page": floor, "saturation": saturation, "half": half}
    results[floor["name"]]["rss"] = server.rss()
    floors = [saturation]
    report(floor["name"], results[floor["name"]])
    for page in pages[1:]:
        entry = {"page": page, "saturation": wrk(config, page, config.duration)}
        entry["half"] = half_rate(config, page, entry["saturation"]["rps"] / 2)
        if page["name"] in small_pages:  # full renders on each dataset, one after the other
            entry["large"] = wrk(config, uncached(page), config.small_duration)
            small = uncached(small_pages[page["name"]])
            entry["small"] = wrk(config, small, config.small_duration)
        floors.append(wrk(config, floor, config.floor_duration))
        entry["floor_rps"] = statistics.mean(r["rps"] for r in floors[-2:])
        entry["rss"] = server.rss()
        results[page["name"]] = entry
        report(page["name"], entry)
    results[floor["name"]]["floor_rps"] = statistics.mean(r["rps"] for r in floors)
    results[floor["name"]]["floor_runs"] = floors
    return results


def report(name: str, entry: dict) -> None:
    sat, half = entry["saturation"], entry["half"]
    line = (
        f"{name:19} {sat['rps']:8.1f} req/s  p50 {sat['p50_ms']:7.1f} ms  p99 "
        f"{sat['p99_ms']:7.1f} ms  errors {sat['errors']} | half load: p99 {half['p99_ms']:.1f}"
        f" ms, errors {half['errors']}"
    )
    if "small" in entry:
        line += (
            f" | full render p50: {entry['large']['p50_ms']:.1f} ms,"
            f" small DB {entry['small']['p50_ms']:.1f} ms"
        )
    log(line)


def served(results: dict) -> int:
    """Requests the large database's server answered during the measured runs."""
    total = 0
    for entry in results.values():
        total += entry["saturation"]["requests"] + entry["half"]["completed"]
        total += sum(r["requests"] for r in entry.get("floor_runs", [])[1:])
    return total


def burst(config: Config) -> dict:
    log(f"RSVP burst: {config.burst_members} members, {config.burst_places} places")
    out = run(
        [
            PY,
            str(BENCH_DIR / "burst.py"),
            f"--base=http://127.0.0.1:{config.port}",
            f"--members={config.burst_members}",
            f"--places={config.burst_places}",
        ],
        env=with_database(config.env, config.database_url),
        timeout=900,
    )
    return json.loads(out.strip().splitlines()[-1])


def digest(config: Config) -> str:
    if config.digest_members <= 0:
        return ""
    log(f"digest throughput ({config.digest_members} members)")
    return run(
        [PY, str(BENCH_DIR / "digest_throughput.py"), str(config.digest_members)],
        env=with_database(config.env, config.database_url),
    )


def profile(config: Config, page: dict, viewer: str) -> dict:
    cmd = [
        PY,
        str(BENCH_DIR / "profile_page.py"),
        f"--path={page['path']}",
        f"--renders={config.profile_renders}",
        f"--html={OUT_DIR / 'profiles' / (slug(page['name']) + '.html')}",
        "--json",
    ]
    if page["kind"] == "member":
        cmd.append(f"--as={viewer}")
    else:  # the full render, not the visitors' microcache
        cmd.append(f"--cookie={BYPASS_COOKIE}")
    out = run(cmd, env=with_database(config.env, config.database_url), timeout=900)
    return json.loads(out.strip().splitlines()[-1])


def slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name).strip("-")


# --- Report -----------------------------------------------------------------------------


def machine() -> dict:
    meminfo = Path("/proc/meminfo").read_text().split()
    memory_gib = int(meminfo[meminfo.index("MemTotal:") + 1]) / 1024 / 1024
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    commit = run(["git", "rev-parse", "--short", "HEAD"], check=False).strip() or "unknown"
    # Changes other than to the document this run writes (it differs after every run).
    output = str(Path(setting("BENCH_OUTPUT", "docs/benchmarks.md")))
    dirty = run(
        ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", f":!{output}"],
        check=False,
    ).strip()
    return {
        "commit": commit + (" (with uncommitted changes)" if dirty else ""),
        "cores": os.cpu_count(),
        "memory_gib": round(memory_gib, 1),
        "cpu": model or platform.processor(),
        "python": platform.python_version(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def fmt(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def evaluate(results: dict) -> list[dict]:
    rows = []
    for key, entry in results.items():
        page, sat, half = entry["page"], entry["saturation"], entry["half"]
        floor_rps = entry["floor_rps"]
        ratio = sat["rps"] / floor_rps if floor_rps else 0.0
        goal = {"anonymous": GOAL_ANONYMOUS, "member": GOAL_MEMBER}.get(page["kind"])
        large, small = entry.get("large"), entry.get("small")
        scaling = large["p50_ms"] / small["p50_ms"] if small and small["p50_ms"] else None
        errors = sat["errors"] + half["errors"]
        errors += (large["errors"] + small["errors"]) if small else 0
        checks = {
            "throughput": goal is None or ratio >= goal,
            "p99 at half load": page["kind"] == "floor" or half["p99_ms"] < GOAL_P99_HALF_MS,
            "errors": errors == 0,
            "scaling": scaling is None or scaling <= GOAL_SCALING,
        }
        rows.append(
            {
                "key": key,
                "page": page,
                "sat": sat,
                "half": half,
                "ratio": ratio,
                "floor_rps": floor_rps,
                "goal": goal,
                "large": large,
                "small": small,
                "scaling": scaling,
                "errors": errors,
                "checks": checks,
                "met": all(checks.values()),
            }
        )
    return rows


def table(rows: list[dict]) -> str:
    lines = [
        "| page | path | req/s | p50 ms | p99 ms | errors | floor req/s | x floor (goal) "
        "| p99 at half load, ms | full render: req/s | p50 ms | p50 on small DB, ms "
        "| large ÷ small | goals |",
        "|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        goal = f" (≥ {r['goal']})" if r["goal"] is not None else ""
        failed = [name for name, ok in r["checks"].items() if not ok]
        verdict = "met" if r["met"] else "**not met**: " + ", ".join(failed)
        if r["page"]["kind"] == "floor":
            verdict = "the floor" + ("" if r["errors"] == 0 else f" (**{r['errors']} errors**)")
        large, small = r["large"], r["small"]
        lines.append(
            "| {name} | `{path}` | {rps} | {p50} | {p99} | {errors} | {floor} | {ratio}{goal} "
            "| {half} | {full_rps} | {full_p50} | {small} | {scaling} | {verdict} |".format(
                name=r["key"] + (" (microcache)" if r["page"].get("cached") else ""),
                path=r["page"]["label"],
                rps=fmt(r["sat"]["rps"]),
                p50=fmt(r["sat"]["p50_ms"]),
                p99=fmt(r["sat"]["p99_ms"]),
                errors=r["errors"],
                floor=fmt(r["floor_rps"]),
                ratio=f"{r['ratio']:.2f}" if r["page"]["kind"] != "floor" else "-",
                goal=goal,
                half=fmt(r["half"]["p99_ms"]),
                full_rps=fmt(large["rps"]) if large else "-",
                full_p50=fmt(large["p50_ms"]) if large else "-",
                small=fmt(small["p50_ms"]) if small else "-",
                scaling=f"{r['scaling']:.2f}" if r["scaling"] else "-",
                verdict=verdict,
            )
        )
    return "\n".join(lines) + "\n"


def goals(rows, memory, burst_result, digest_rows, config) -> list:
    pages = [r for r in rows if r["page"]["kind"] != "floor"]

    def failing(check):
        return [r["key"] for r in pages if not r["checks"][check]]

    items: list[tuple[str, bool | None, str]] = []  # None: not measured
    for kind, goal in (("anonymous", GOAL_ANONYMOUS), ("member", GOAL_MEMBER)):
        chosen = [r for r in pages if r["page"]["kind"] == kind]
        short = [f"{r['key']} {r['ratio']:.2f}" for r in chosen if r["ratio"] < goal]
        items.append(
            (
                f"{kind.capitalize()} pages at least {goal} of the floor's throughput",
                not short,
                "short: " + ", ".join(short) if short else "all pages",
            )
        )
    slow = failing("p99 at half load")
    items.append(
        (
            f"p99 at half of saturation under {GOAL_P99_HALF_MS:.0f} ms",
            not slow,
            "over: " + ", ".join(slow) if slow else "all pages",
        )
    )
    noisy = failing("errors")
    burst_errors = burst_result.get("server_errors", 0) + burst_result.get("socket_errors", 0)
    items.append(
        (
            "Zero errors (non-2xx and socket errors, every run; no 5xx in the burst)",
            not noisy and not burst_errors,
            ("errors on: " + ", ".join(noisy) if noisy else "none on the pages")
            + f"; burst {burst_errors}",
        )
    )
    growth = memory.get("growth")
    items.append(
        (
            f"gunicorn worker memory growth under {GOAL_MEMORY_GROWTH:.0%} "
            f"over {config.memory_requests:,} requests",
            None if growth is None else growth < GOAL_MEMORY_GROWTH,
            memory.get("summary", "not measured"),
        )
    )
    if any(r["scaling"] is not None for r in pages):
        far = [f"{r['key']} {r['scaling']:.2f}" for r in pages if not r["checks"]["scaling"]]
        items.append(
            (
                f"Latency (p50 of a full render) on the 100,000-member dataset within "
                f"{GOAL_SCALING:.0f}x of the almost empty database",
                not far,
                "over: " + ", ".join(far) if far else "all pages",
            )
        )
    if digest_rows:  # bench/digest_throughput.py states its own goal in its rows
        verdict = "NOT met" not in digest_rows if "met" in digest_rows else None
        items.append(
            ("Digest throughput: its own goal, in its rows below", verdict, "see the rows")
        )
    if burst_result:
        items.append(
            (
                f"RSVP burst: exactly {burst_result['places']} confirmed, the rest waitlisted "
                "at positions 1..N, no 5xx",
                burst_result["ok"],
                f"{burst_result['confirmed']} confirmed, {burst_result['waitlisted']} waitlisted"
                f" (contiguous: {burst_result['positions_contiguous']}), answers "
                f"{burst_result['statuses']}, in {burst_result['seconds']:.2f} s",
            )
        )
    return items


def memory_summary(samples: list[tuple[str, int, dict[int, int]]]) -> dict:
    """Worker RSS growth from the first sample to the last; `samples` are (label, requests
    served since the first sample, {pid: KiB})."""
    (_, _, first), (_, requests, last) = samples[0], samples[-1]
    common = [pid for pid in first if pid in last]
    if not common:
        return {"growth": None, "summary": "workers were replaced; not comparable"}
    growth = max((last[pid] - first[pid]) / first[pid] for pid in common)
    replaced = len(first) - len(common)
    steps = " → ".join(
        f"{statistics.mean(sizes.get(p, 0) for p in common) / 1024:.0f} MiB ({label})"
        for label, _, sizes in samples
    )
    summary = (
        f"{requests:,} requests; mean worker RSS {steps}; largest growth of one worker "
        f"{growth:+.1%}" + (f"; {replaced} worker(s) replaced meanwhile" if replaced else "")
    )
    return {"growth": growth, "summary": summary, "samples": samples}


METHOD = """\
## What is measured, and how

- **Server**: gunicorn on `bench/wsgi.py` with the production settings (`DEBUG` off,
  PostgreSQL with persistent connections, Redis cache and rate limits, WhiteNoise, every
  middleware), `{worker_class}` workers x {workers}{threads}. Sync workers, 2 x cores + 1,
  are gunicorn's own starting point: one request at a time per process, so no GIL
  contention, while some workers wait on PostgreSQL others use the cores. They do not keep
  connections alive (behind a proxy they need not): wrk and the load generator open one per
  request, for the floor and the pages alike. No access log; `SECURE_SSL_REDIRECT=false`
  (set for the bench only, in the Makefile's BENCH_ENV) so plain HTTP on loopback is not
  redirected; the session and CSRF cookies keep their `Secure` flag, which the load tools
  ignore.
- **Cores**: {cores}, shared by PostgreSQL, gunicorn and the load generator. wrk and
  `bench/loadgen.py` run pinned to core {wrk_cpu} (`taskset`); gunicorn {server_pinning};
  PostgreSQL and Redis are not pinned. So the load generator takes some of the CPU the
  server could use, the same for the floor and the pages; compare ratios, not absolutes.
- **The floor** (`/bench/fortunes/`): served by the same gunicorn, as TechEmpower's Django
  "fortunes" test: Django's handler with no middleware, one ORM query of a dozen rows (the
  twelve "wellbeing" interests, as model instances), one row added in Python, sorted, an
  autoescaped template extending a base. Measured first ({duration} s, and at half load), then
  for {floor_duration} s after each page; a page's ratio uses the floor runs just before and
  after it ("floor req/s"). This run's floor runs: {floor_runs} req/s.
- **Saturation**: `taskset -c {wrk_cpu} wrk -t1 -c{connections} -d{duration}s --latency`
  per page, after a warm-up in which every worker renders every page about {warmup} times
  (`bench/loadgen.py --count`, at most a minute a page); requests/s, p50 and p99. Errors are
  socket errors plus every answer that is not 2xx (counted by `bench/wrk/report.lua`: wrk
  itself ignores 3xx, and a member page that redirects to sign-in must count). Every page
  is first checked to answer 200, and the member pages to be seen signed in.
- **Half load**: `bench/loadgen.py`, an open-loop generator: a request every 1/rate seconds
  at half the page's measured saturation rate for {rate_duration} s, latency counted from when
  each request was due (so queueing behind a stall counts). wrk has no rate option, and a
  Lua `delay()` only adds think time in a closed loop, hiding exactly those stalls.
- **Member pages** (a group's page, the directory, and the member home at `/`: what's on
  for them, from every app) carry the session cookie of a demo member (a session made with
  Django's SessionStore, as a login would): one of the biggest group's ordinary members, with
  an active membership. Anonymous pages carry no cookie (`/` is then the public page).
- **Microcache**: public pages marked for it are served to visitors without cookies from a
  10-second cache (core/page_cache.py); the main columns measure what visitors get,
  "(microcache)" marking the pages that came from it. The "full render" columns measure
  every page rendered in full: visitors' pages with a cookie the site ignores
  (`{bypass}`), which the microcache skips.
- **Datasets**: the large one is `seed_demo --scale large` ({large_counts}); the small one
  is the default demo ({small_counts}), served by a second gunicorn with the same settings
  (idle while the other is measured). "large ÷ small" divides the p50 of full renders at
  saturation on the large dataset by the same on the small one, measured right after it
  ({small_duration} s each), so that both see the machine in the same state.
- **Memory**: RSS of every worker (VmRSS in /proc, what `ps` shows) after the warm-up, after
  the measured runs, and, if those served fewer than {memory_requests:,} requests, after a
  closed loop over all the pages for the rest (`bench/loadgen.py --count`, at most
  {memory_seconds} s).
- **RSVP burst** (`bench/burst.py`): {burst_members} members, each signed in and holding the
  CSRF token from the event page they loaded, post "yes" at the same moment (a thread each,
  connected beforehand, released by one barrier) to a new event with {burst_places} places.
  The database is then checked.
- **Digests**: `bench/digest_throughput.py` (its own method in its docstring).
- Goals are benchmark figures, never timed tests. Raw results: `tmp/bench/results.json`.
"""


def document(config, info, rows, goal_items, memory, burst_result, digest_rows, extra) -> str:
    floor = extra["floor"]
    server_pinning = (
        f"to cores {config.server_cpus}"
        if config.server_cpus
        else "is not pinned (with 2 cores, pinning it to the other one would halve its CPU)"
    )
    method = METHOD.format(
        worker_class=config.worker_class,
        workers=config.workers,
        threads=f" x {config.threads} threads" if config.worker_class == "gthread" else "",
        cores=config.cores,
        wrk_cpu=config.wrk_cpu,
        server_pinning=server_pinning,
        floor_runs=", ".join(fmt(r["rps"], 0) for r in floor),
        floor_duration=config.floor_duration,
        memory_seconds=config.memory_seconds,
        bypass=BYPASS_COOKIE,
        connections=config.connections,
        duration=config.duration,
        warmup=config.warmup,
        rate_duration=config.rate_duration,
        small_duration=config.small_duration,
        large_counts=counts_text(extra["large_counts"]),
        small_counts=counts_text(extra.get("small_counts")),
        memory_requests=config.memory_requests,
        burst_members=config.burst_members,
        burst_places=config.burst_places,
    )
    command = (f"{config.overrides()} " if config.overrides() else "") + "make bench"
    parts = [
        "# Benchmarks\n",
        "Written by `make bench` (bench/run.py); each run replaces this file. Figures drift "
        "on a shared machine: compare ratios measured in the same run.\n",
        f"Commit {info['commit']}; {info['cores']} cores ({info['cpu']}), "
        f"{info['memory_gib']} GiB; Python {info['python']}; {info['date']}. "
        f"Command: `{command}`.\n",
        "## Pages\n",
        table(rows),
        "## Goals\n",
        "\n".join(
            f"- {'met' if ok else ('not measured' if ok is None else '**not met**')}: "
            f"{text} ({detail})"
            for text, ok, detail in goal_items
        )
        + "\n",
    ]
    if burst_result:
        parts += [
            "## RSVP burst\n",
            f"{burst_result['members']} members at once, {burst_result['places']} places: "
            f"{burst_result['confirmed']} confirmed, {burst_result['waitlisted']} waitlisted "
            f"(positions contiguous: {burst_result['positions_contiguous']}; the event's "
            f"counter {burst_result['counter']}); answers {burst_result['statuses']}; the last "
            f"answer {burst_result['seconds']:.2f} s after the barrier, median "
            f"{burst_result['p50_ms']:.0f} ms.\n",
        ]
    if digest_rows:
        parts += ["## Digest throughput (#9)\n", DIGEST_HEADER + digest_rows]
    if extra.get("profiles"):
        parts.append("## Profiles of the pages that miss a goal\n")
        parts.append(
            f"`bench/profile_page.py`: up to {config.profile_renders} renders (about 15 s) "
            "timed, then as many profiled with pyinstrument, in one process with the bench "
            "settings on the large dataset (Django's test client, all middleware; visitors' "
            "pages with the cookie that skips the microcache, so full renders). HTML "
            "profiles in `tmp/bench/profiles/`.\n"
        )
        parts.extend(profile_text(p) for p in extra["profiles"])
    parts.append(method)
    return "\n".join(parts)


def counts_text(counts: dict | None) -> str:
    if not counts:
        return "not measured"
    return ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in counts.items())


def profile_text(p: dict) -> str:
    lines = [
        f"### {p['name']} (`{p['path']}`)\n",
        f"{p['ms_per_render']:.1f} ms a render in-process (mean of {p['renders']}; wall "
        f"clock, of which the process had the CPU {p['cpu_share']:.0%}), {p['queries']} "
        f"queries ({p['sql_ms']:.1f} ms in SQL as timed by Django), {p['bytes']:,} bytes.\n",
        "Where the time goes (own time, by area): "
        + ", ".join(f"{area} {share:.0%}" for area, share in p["areas"])
        + ".\n",
        "Costliest project functions (inclusive):\n",
    ]
    lines += [f"- {share:.0%} `{where}`" for where, share in p["project"]]
    lines.append("\nMost own time (the function itself, not what it calls):\n")
    lines += [f"- {share:.0%} `{where}`" for where, share in p["hot"]]
    if p.get("slowest_sql"):
        lines.append("\nSlowest queries:\n")
        lines += [f"- {ms:.1f} ms: `{sql}`" for ms, sql in p["slowest_sql"]]
    return "\n".join(lines) + "\n"


# --- Main -------------------------------------------------------------------------------


def main() -> None:
    config = Config()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "profiles").mkdir(exist_ok=True)
    started = time.monotonic()
    flush_redis(config.env["REDIS_URL"])
    run([PY, "manage.py", "collectstatic", "--noinput", "-v0"], env=config.env)
    large_info = prepare(config, config.database_url, "large")
    small_info = prepare(config, config.small_database_url, "demo") if config.small else None
    pages = [{**page, "port": config.port} for page in large_info["pages"]]
    small_pages = {
        page["name"]: {**page, "port": config.port + 1}
        for page in (small_info["pages"] if small_info else [])
        if page["kind"] != "floor"
    }

    large = Server(config, config.database_url, "large", config.port)
    small = Server(config, config.small_database_url, "small", config.port + 1)
    try:
        large.start()
        preflight(config.port, pages)
        if small_pages:
            small.start()
            preflight(config.port + 1, list(small_pages.values()))
        log("warming up")
        warm_up(config, pages)
        warm_up(config, list(small_pages.values()))
        samples = [("after warm-up", 0, large.rss())]
        results = measure(config, pages, small_pages, large)
        done = served(results)
        samples.append(("after the measured runs", done, large.rss()))
        if done < config.memory_requests:
            top_up = mix(config, pages, config.memory_requests - done, config.memory_seconds)
            samples.append(("after the top-up", done + top_up["requests"], large.rss()))
        memory = memory_summary(samples)
        memory["by_page"] = {
            name: round(statistics.mean(entry["rss"].values()) / 1024, 1)
            for name, entry in results.items()
            if entry["rss"]
        }
        memory["summary"] += "; mean after each page: " + ", ".join(
            f"{mib:.0f}" for mib in memory["by_page"].values()
        )
        log(f"memory: {memory['summary']}")
        burst_result = burst(config) if config.burst_members > 0 else {}
        log(f"burst: {burst_result}")
    finally:
        small.stop()
        large.stop()

    rows = evaluate(results)
    digest_rows = digest(config)
    profiles = []
    if config.profile:
        for row in rows:
            if row["page"]["kind"] != "floor" and not row["met"]:
                log(f"profiling {row['key']}")
                data = profile(config, row["page"], large_info["viewer"])
                profiles.append({"name": row["key"], **data})
    goal_items = goals(rows, memory, burst_result, digest_rows, config)
    info = machine()
    extra = {
        "floor": results[pages[0]["name"]]["floor_runs"],
        "large_counts": large_info["counts"],
        "small_counts": small_info["counts"] if small_info else None,
        "profiles": profiles,
    }
    text = document(config, info, rows, goal_items, memory, burst_result, digest_rows, extra)
    config.output.parent.mkdir(parents=True, exist_ok=True)
    old = config.output.read_text() if config.output.exists() else ""
    notes = old.split(NOTES_MARKER, 1)[1] if NOTES_MARKER in old else "\n## Notes\n"
    config.output.write_text(text.rstrip("\n") + "\n\n" + NOTES_MARKER + notes)
    raw = {
        "machine": info,
        "results": {k: {**v, "page": v["page"]["path"]} for k, v in results.items()},
        "memory": memory,
        "burst": burst_result,
        "profiles": profiles,
        "prepare": {"large": large_info, "small": small_info},
    }
    (OUT_DIR / "results.json").write_text(json.dumps(raw, indent=2, default=str))
    sys.stdout.write(table(rows) + "\n")
    for text_, ok, detail in goal_items:
        status = "met" if ok else ("not measured" if ok is None else "NOT MET")
        sys.stdout.write(f"- {status}: {text_} ({detail})\n")
    if digest_rows:
        sys.stdout.write("\n" + DIGEST_HEADER + digest_rows)
    log(f"done in {(time.monotonic() - started) / 60:.1f} min; wrote {config.output}")


if __name__ == "__main__":
    main()
