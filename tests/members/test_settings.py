import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]


def start_django(*, without=(), **env) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("STRIPE_", "SECRET_KEY", "EMAIL_URL", "PAYMENTS_"))
        and k not in without
    }
    clean.update({"DJANGO_SETTINGS_MODULE": "config.settings", **env})
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print('started', 'simulated' if settings.PAYMENTS_SIMULATED else 'real')",
        ],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_with_debug_off_missing_secrets_stop_start_up_with_a_clear_message():
    result = start_django(DEBUG="false")

    assert result.returncode != 0
    assert "these settings must be set in the environment: SECRET_KEY, STRIPE_SECRET_KEY" in (
        result.stderr
    )


def test_with_debug_off_and_secrets_set_the_site_starts():
    result = start_django(
        DEBUG="false",
        SECRET_KEY="x" * 50,
        STRIPE_SECRET_KEY="sk_test_x",
        STRIPE_WEBHOOK_SECRET="whsec_x",
        STRIPE_PRICE_ID="price_x",
        EMAIL_URL="smtp://127.0.0.1:1025",
    )

    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 50,
    "STRIPE_SECRET_KEY": "sk_test_x",
    "STRIPE_WEBHOOK_SECRET": "whsec_x",
    "STRIPE_PRICE_ID": "price_x",
    "EMAIL_URL": "smtp://127.0.0.1:1025",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/mutual",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


@pytest.mark.parametrize("name", ["DATABASE_URL", "REDIS_URL"])
def test_with_debug_off_a_missing_database_or_redis_url_stops_start_up_naming_it(name):
    env = {k: v for k, v in PRODUCTION.items() if k != name}

    result = start_django(without={name}, **env)

    assert result.returncode != 0
    assert "these settings must be set in the environment: " + name in result.stderr


def test_with_debug_off_a_stripe_api_base_that_is_not_stripes_is_refused():
    result = start_django(**PRODUCTION, STRIPE_API_BASE="http://127.0.0.1:12111")

    assert result.returncode != 0
    assert "STRIPE_API_BASE is http://127.0.0.1:12111, not Stripe's own API" in result.stderr
    assert "PAYMENTS_SIMULATED=true" in result.stderr


def test_with_debug_off_simulated_payments_start_only_when_said_on_purpose():
    result = start_django(
        **PRODUCTION, STRIPE_API_BASE="http://stripe:12111", PAYMENTS_SIMULATED="true"
    )

    assert result.returncode == 0, result.stderr
    assert "started simulated" in result.stdout


@pytest.mark.parametrize("base", ["", "https://api.stripe.com", "https://api.stripe.com/"])
def test_with_debug_off_stripes_own_api_needs_nothing_more(base):
    result = start_django(**PRODUCTION, STRIPE_API_BASE=base)

    assert result.returncode == 0, result.stderr
    assert "started real" in result.stdout


def test_simulated_payments_with_a_live_stripe_key_are_refused():
    live_key = "sk_live_x"  # pragma: allowlist secret (not a real key)

    result = start_django(
        **{**PRODUCTION, "STRIPE_SECRET_KEY": live_key}, PAYMENTS_SIMULATED="true"
    )

    assert result.returncode != 0
    assert "PAYMENTS_SIMULATED is on, but STRIPE_SECRET_KEY is a live key" in result.stderr


def test_with_debug_on_nothing_needs_to_be_set():
    result = start_django(
        without={"REDIS_URL"}, DEBUG="true", DATABASE_URL="sqlite:////tmp/mutual-settings-test.db"
    )

    assert result.returncode == 0, result.stderr
    # `make run` pays through the offline stand-in, so every page says payments are simulated.
    assert "started simulated" in result.stdout


@pytest.mark.django_db
def test_the_standin_refuses_a_live_key(settings):
    from django.core.management import CommandError, call_command

    settings.STRIPE_SECRET_KEY = "sk_live_abc"

    with pytest.raises(CommandError, match="live key"):
        call_command("stripe_standin")


def test_production_settings_pass_djangos_deploy_checks_with_nothing_silenced():
    import secrets

    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("STRIPE_", "SECRET_KEY", "EMAIL_URL", "DJANGO_"))
    }
    clean.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        STRIPE_SECRET_KEY="sk_test_x",
        STRIPE_WEBHOOK_SECRET="whsec_x",
        STRIPE_PRICE_ID="price_x",
        EMAIL_URL="smtp+tls://user:pass@smtp.example.com:587",
        SITE_URL="https://mutual.example",
        ALLOWED_HOSTS="mutual.example",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 silenced" in result.stdout
