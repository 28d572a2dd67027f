"""Shared fixtures: a real SMTP server, one shared Chromium, and a clean Redis per test."""

import asyncio
import email
import email.policy
import importlib
import socket
import threading
from dataclasses import dataclass, field

import pytest
import zeal
from aiosmtpd.controller import Controller
from celery.signals import task_postrun, task_prerun
from django.core.cache import cache

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(autouse=True)
def _clean_cache():
    """Rate-limit counters and cached values must not leak from one test into the next."""
    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _interest_taxonomy(request):
    """The interests a data migration seeds, present in every test that uses the database.

    Transactional tests (browser, real worker) empty the tables when they finish, and a
    reused test database may have been left that way; seeding again is cheap and idempotent.
    """
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    transactional = marker.kwargs.get("transaction", False)
    request.getfixturevalue("transactional_db" if transactional else "db")
    from django.apps import apps

    from members.models import Interest

    if not Interest.objects.exists():
        migration = importlib.import_module("members.migrations.0002_seed_interests")
        migration.seed(apps, None)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


_zeal_task_tokens: dict[str, object] = {}


@task_prerun.connect
def _zeal_task_start(task_id=None, **kwargs):
    """zeal checks each request (its middleware) and, from here, each Celery task, eager or
    on the real worker's thread: an N+1 in either fails the test (config/test_settings.py)."""
    _zeal_task_tokens[task_id] = zeal.setup()


@task_postrun.connect
def _zeal_task_end(task_id=None, **kwargs):
    token = _zeal_task_tokens.pop(task_id, None)
    if token is not None:
        zeal.teardown(token)


# --- A real SMTP server in the test process ----------------------------------------------


@dataclass
class _Inbox:
    messages: list[email.message.EmailMessage] = field(default_factory=list)
    envelopes: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # address -> replies to give at RCPT before accepting, e.g. ["451 4.3.0 Try later"]
    refusals: dict[str, list[str]] = field(default_factory=dict)
    # address -> threading.Event the server waits on before accepting the message
    holds: dict[str, threading.Event] = field(default_factory=dict)
    # the addresses whose message the server is holding right now (a test waits for this)
    holding: set[str] = field(default_factory=set)
    connections: int = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            queued = self.refusals.get(address)
            if queued:
                reply = queued.pop(0)
                if reply.startswith("5"):
                    queued.insert(0, reply)  # permanent: the same answer every time
                return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        for address in envelope.rcpt_tos:
            hold = self.holds.get(address)
            while hold is not None and not hold.is_set():
                self.holding.add(address)
                await asyncio.sleep(0.05)
            self.holding.discard(address)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
            self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
            self.envelopes.clear()
            self.refusals.clear()
            self.connections = 0
            for hold in self.holds.values():
                hold.set()
            self.holds.clear()

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def _smtp_controller():
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def smtp_server(_smtp_controller, settings):
    """Route Django's mail to an aiosmtpd server in this process; yields its inbox."""
    settings.MAILERS = {
        "default": {
            "BACKEND": "mail.mime.EmailBackend",  # as in production
            "OPTIONS": {
                "host": _smtp_controller.hostname,
                "port": _smtp_controller.port,
                "timeout": 5,
            },
        }
    }
    inbox = _smtp_controller.handler
    inbox.clear()
    yield inbox
    inbox.clear()


def message_text(message: email.message.EmailMessage) -> str:
    """The plain-text body of a message."""
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part else ""


# --- One Chromium for the whole run ------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser tab; the test fails if any page it opened broke the CSP."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    context.close()
    assert violations == [], violations


# --- The offline Stripe stand-in, in a thread of the test process ------------------------


class StripeStandin:
    """localstripe plus our Checkout and Portal routes, served on a free loopback port.

    Tests reach into its state only through `call`, which runs in the server's own loop.
    """

    price_id = "price_mutual_monthly"

    def __init__(self):
        import asyncio

        from aiohttp import web

        from devtools import stripe_standin

        self.module = stripe_standin
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        self.app = stripe_standin.build_app(
            webhook_url="http://127.0.0.1:9/unused/",
            webhook_secret="whsec_unused",
            price_id=self.price_id,
            amount=500,
            currency="gbp",
        )
        self.runner = web.AppRunner(self.app, access_log=None)
        started = threading.Event()

        def serve():
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(self.runner.setup())
            site = web.TCPSite(self.runner, "127.0.0.1", self.port)
            self.loop.run_until_complete(site.start())
            started.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=serve, name="stripe-standin", daemon=True)
        self.thread.start()
        started.wait(10)

    def call(self, func, *args, **kwargs):
        import asyncio

        async def run():
            return func(*args, **kwargs)

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(10)

    def reset(self, *, webhook_url: str | None = None, secret: str = "") -> None:
        from localstripe import webhooks

        def do_reset():
            self.module.reset()
            webhooks._webhooks.clear()
            if webhook_url:
                webhooks.register_webhook("mutual", webhook_url, secret, None)
            self.module.ensure_plan(price_id=self.price_id, amount=500, currency="gbp")

        self.call(do_reset)

    def customer(self, email: str = "member@example.org") -> str:
        from localstripe.resources import Customer

        return self.call(lambda: Customer._api_create(email=email).id)

    def subscribe(self, customer_id: str, card: str = "4242424242424242"):
        from localstripe.resources import Subscription

        def do():
            self.module._attach_card(customer_id, card)
            return Subscription._api_create(customer=customer_id, items=[{"plan": self.price_id}])

        return self.call(do)

    def subscription(self, subscription_id: str):
        from localstripe.resources import Subscription

        return self.call(Subscription._api_retrieve, subscription_id)

    def set_subscription(self, subscription_id: str, **fields) -> None:
        subscription = self.subscription(subscription_id)

        def do():
            for name, value in fields.items():
                setattr(subscription, name, value)

        self.call(do)

    def stop(self):
        import asyncio

        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture(scope="session")
def _stripe_standin_server():
    standin = StripeStandin()
    yield standin
    standin.stop()


@pytest.fixture
def stripe_standin(_stripe_standin_server, settings):
    """Point the site's Stripe SDK at a fresh, empty stand-in."""
    settings.STRIPE_API_BASE = _stripe_standin_server.base_url
    settings.STRIPE_SECRET_KEY = "sk_test_mutual_tests"
    settings.STRIPE_PRICE_ID = _stripe_standin_server.price_id
    _stripe_standin_server.reset()
    return _stripe_standin_server


# --- A real Celery worker over Redis ------------------------------------------------------


@pytest.fixture
def celery_worker():
    """Run tasks the way production does: through the Redis broker to a worker thread.

    Use with `django_db(transaction=True)`, so the worker's own connection sees the data.
    """
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    app.conf.task_always_eager = False
    app.control.purge()
    # Register every app's tasks before the worker builds its table, as a real worker does.
    app.loader.import_default_modules()
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield app
    finally:
        app.conf.task_always_eager = True


def wait_until(condition, *, timeout: float = 15.0, interval: float = 0.1):
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout}s waiting for {condition}")


@pytest.fixture
def admin_client(client):
    """A client signed in as staff who passed their second factor, so /admin/ opens."""
    import time

    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from tests.members.factories import UserFactory

    staff = UserFactory(is_staff=True, is_superuser=True)
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)
    session = client.session
    session["account_authentication_methods"] = [{"method": "mfa", "at": time.time()}]
    session["account_authentication_methods_user"] = str(staff.pk)
    session.save()
    return client
