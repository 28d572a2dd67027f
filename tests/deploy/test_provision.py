"""`make test` provisions the machine first, the same way CI does (scripts/provision)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
PROVISION = str(BASE_DIR / "scripts" / "provision")


def provision(*args, as_nobody=False, **env) -> subprocess.CompletedProcess:
    command = [PROVISION, *args]
    if as_nobody:
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    return subprocess.run(  # noqa: S603 - our own script
        command,
        cwd=BASE_DIR,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_with_everything_there_it_does_nothing_and_says_nothing():
    result = provision("--check")

    assert result.returncode == 0, result.stderr
    assert result.stdout == result.stderr == ""


def test_without_chromium_it_stops_at_once_with_the_command_to_run():
    result = provision("--check", PROVISION_CHROMIUM="/nonexistent/chromium")

    assert result.returncode == 1
    assert "install Chromium (/nonexistent/chromium)" in result.stderr
    assert "Run this once, then make test again:  " in result.stderr
    assert "scripts/provision" in result.stderr


@pytest.mark.skipif(
    os.geteuid() == 0 and not shutil.which("setpriv"), reason="needs setpriv to drop root"
)
def test_without_root_it_asks_for_sudo_and_changes_nothing():
    result = provision(
        as_nobody=os.geteuid() == 0,
        PROVISION_CHROMIUM="/nonexistent/chromium",
        DATABASE_URL="postgres://postgres@127.0.0.1:1/mutual",
        REDIS_URL="redis://localhost:2/0",
    )

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "The tests need a few things set up on this machine first:",
        "  - install Chromium (/nonexistent/chromium)",
        "  - start PostgreSQL on 127.0.0.1:1",
        "  - start Redis on localhost:2",
        "Run this once, then make test again:  sudo scripts/provision",
    ]
    assert result.stdout == ""  # nothing installed, nothing started


def test_servers_on_other_machines_are_left_alone():
    result = provision(
        "--check",
        DATABASE_URL="postgres://mutual@db.example.invalid:5432/mutual",
        REDIS_URL="redis://redis.example.invalid:6379/0",
    )

    assert result.returncode == 0, result.stderr


def test_make_test_provisions_before_anything_else_and_ci_is_make_test():
    dry_run = subprocess.run(
        ["make", "--dry-run", "--always-make", "test"],  # noqa: S607 - make from PATH
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = dry_run.stdout.splitlines()

    first = next(n for n, line in enumerate(lines) if "scripts/provision" in line)
    assert all("pytest" not in line and "pip install" not in line for line in lines[:first])
    assert any("pytest" in line for line in lines[first:])
    ci = (BASE_DIR / ".ci" / "run").read_text()
    assert "exec make test" in ci
    assert "apt-get" not in ci  # one provisioning, in scripts/provision
