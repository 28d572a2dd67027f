"""The production path as it is built: the build step the Dockerfile runs, then gunicorn
serving its result with DEBUG off, on PostgreSQL and Redis."""

import os
import re
import secrets
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import _free_port, wait_until

BASE_DIR = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db(transaction=True)


def outside_env(**values) -> dict[str, str]:
    """This process's environment without its Django and Stripe settings, plus `values`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "STRIPE_", "SECRET_KEY", "EMAIL_URL", "PAYMENTS_"))
    }
    return {**env, **values}


@pytest.fixture(scope="module")
def static_root(tmp_path_factory) -> Path:
    """scripts/build, exactly as the Dockerfile runs it, into a temporary STATIC_ROOT."""
    root = tmp_path_factory.mktemp("staticfiles")
    result = subprocess.run(  # noqa: S603 - our own build script
        [BASE_DIR / "scripts" / "build"],
        cwd=BASE_DIR,
        env=outside_env(PYTHON=sys.executable, STATIC_ROOT=str(root)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return root


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode("utf-8", "replace")
    except OSError:
        return 0, ""


@pytest.fixture
def gunicorn(static_root, settings):
    """gunicorn on config.wsgi with the production settings (DEBUG off) and the built files."""
    port = _free_port()
    db = connection.settings_dict
    env = outside_env(
        DEBUG="false",
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        REDIS_URL=settings.REDIS_URL,
        EMAIL_URL="smtp://127.0.0.1:1025",
        STRIPE_SECRET_KEY="sk_test_build",  # pragma: allowlist secret (a placeholder)
        STRIPE_WEBHOOK_SECRET="whsec_build",  # pragma: allowlist secret (a placeholder)
        STRIPE_PRICE_ID="price_build",
        STATIC_ROOT=str(static_root),
        SITE_URL=f"http://127.0.0.1:{port}",
        # Plain HTTP on loopback, as `make bench` serves it; no TLS proxy in front.
        SECURE_SSL_REDIRECT="false",
        ANONYMOUS_PAGE_CACHE_SECONDS="0",
    )
    server = subprocess.Popen(  # noqa: S603 - gunicorn from this venv
        [sys.executable, "-m", "gunicorn", "config.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", "1", "--error-logfile", "-"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: get(f"{base}/healthz/")[0] or server.poll() is not None, timeout=60)
        assert server.poll() is None, server.communicate()[0]
        yield base
    finally:
        server.terminate()
        try:
            server.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()


def test_the_build_step_writes_the_static_files_manifest(static_root):
    assert (static_root / "staticfiles.json").is_file()
    assert list((static_root / "css").glob("site.*.css.gz"))  # compressed, with its hash


def test_gunicorn_with_debug_off_serves_the_pages_and_the_hashed_static_files(gunicorn):
    status, home = get(f"{gunicorn}/")
    assert status == 200, home

    for path in ("/events/", "/accounts/signup/"):
        status, body = get(f"{gunicorn}{path}")
        assert status == 200, (path, body)

    stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', home)
    assert stylesheet, "the home page should link its stylesheet by its hashed name"
    status, css = get(f"{gunicorn}{stylesheet[1]}")
    assert status == 200
    assert ".payments-simulated" in css
