import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]


def start_django(**env) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("STRIPE_", "SECRET_KEY", "EMAIL_URL"))
    }
    clean.update({"DJANGO_SETTINGS_MODULE": "config.settings", **env})
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
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


def test_with_debug_on_nothing_needs_to_be_set():
    result = start_django(DEBUG="true", DATABASE_URL="sqlite:////tmp/mutual-settings-test.db")

    assert result.returncode == 0, result.stderr


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
