"""Test settings: the real settings on PostgreSQL and Redis, with speed-only overrides.

`make test` exports DATABASE_URL and REDIS_URL; these defaults make a bare `pytest` agree.
"""

import os

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mutual")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("SITE_URL", "http://testserver")
os.environ.setdefault("STRIPE_SECRET_KEY", "sk_test_mutual_tests")
os.environ.setdefault("STRIPE_WEBHOOK_SECRET", "whsec_mutual_tests")
os.environ.setdefault("STRIPE_PRICE_ID", "price_mutual_monthly")
# pytest-django swaps in the in-memory backend; tests that need real SMTP use `smtp_server`.
os.environ.setdefault("EMAIL_URL", "smtp://127.0.0.1:1025")
# Playwright's sync API runs an event loop in the test thread; the ORM calls that tests
# make beside it are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from config.settings import *  # noqa: F403

ALLOWED_HOSTS = ["*"]
# The test client and the live server speak plain HTTP on loopback.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Unit tests run tasks inline; the tests that need a real worker start one over Redis.
CELERY_TASK_ALWAYS_EAGER = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
# Tests change data and look at it straight away; tests/test_page_cache.py turns it on.
ANONYMOUS_PAGE_CACHE_SECONDS = 0
# Pages render as on a real site even while a test pays through the stand-in (which points
# STRIPE_API_BASE at it at run time); tests/deploy/test_simulated_payments.py turns it on.
PAYMENTS_SIMULATED = False

# The tests' Stripe stand-in listens on a free loopback port.
SECURE_CSP = {
    **SECURE_CSP,  # noqa: F405
    "form-action": [*SECURE_CSP["form-action"], "http://127.0.0.1:*"],  # noqa: F405
}

# django-zeal fails a test on any N+1 query in a request (its middleware, first so that the
# other middleware is covered too) or in a Celery task (tests/conftest.py connects it to the
# task signals). Test settings only: it patches the ORM, which production should not pay for.
INSTALLED_APPS = [*INSTALLED_APPS, "zeal"]  # noqa: F405
MIDDLEWARE = ["zeal.middleware.zeal_middleware", *MIDDLEWARE]  # noqa: F405
ZEAL_RAISE = True
ZEAL_SHOW_ALL_CALLERS = True
ZEAL_ALLOWLIST = [
    # Django and allauth load these themselves, more than once in a request that signs in,
    # out or up (the session again after it is flushed or its key cycled, the address being
    # confirmed, the content types the admin log and MFA ask for). Every line in between is
    # in site-packages, so zeal pins the repeat on our middleware's `get_response` call.
    {"model": "sessions.Session", "field": "get()"},
    {"model": "account.EmailAddress", "field": "get()"},
    # allauth's change-email flow, on confirming the new address, removes the old one(s) and
    # each removal reads its row's user.
    {"model": "account.EmailAddress", "field": "user"},
    {"model": "contenttypes.ContentType", "field": "get()"},
]
