"""Mutual's one settings module.

Everything that differs between a laptop, CI and production is an environment variable
(see `.env.example`). With `DEBUG` on and nothing else set, the site runs on embedded
defaults: a SQLite file, Celery tasks inline, email printed to the console. With `DEBUG`
off, every secret must be set or start-up stops with a message naming what is missing.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core ------------------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env("SECRET_KEY", default="django-insecure-mutual-development-only-key")
else:
    _missing = [
        name
        for name in (
            "SECRET_KEY",
            "STRIPE_SECRET_KEY",
            "STRIPE_WEBHOOK_SECRET",
            "STRIPE_PRICE_ID",
            "EMAIL_URL",
            # Never SQLite, inline Celery and a per-process cache on a real site by accident.
            "DATABASE_URL",
            "REDIS_URL",
        )
        if not env.str(name, default="")
    ]
    if _missing:
        raise ImproperlyConfigured(
            "DEBUG is off, so these settings must be set in the environment: "
            + ", ".join(_missing)
            + ". See .env.example."
        )
    SECRET_KEY = env("SECRET_KEY")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "members",
    "billing",
    "mail",
    "audit",
    "groups",
    "events",
    "discounts",
    "experts",
    "digests",
    "privacy",
    "home",
    # Development tools: the demo seeder and the offline Stripe stand-in's command (which alone
    # imports the stand-in, when it runs).
    "devtools",
]

MIDDLEWARE = [
    # 400 for control characters (NUL...) in the address, before anything reads it.
    "core.request_checks.RefuseControlCharactersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Public pages for visitors without cookies, from a short-lived cache (core/page_cache.py).
    "core.page_cache.VisitorPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "members.middleware.StaffMFAMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "billing.context_processors.site",
            ],
        },
    },
]
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Data ------------------------------------------------------------------------------

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = env.bool(
        "DATABASE_POOL", default=False
    )
    if not DATABASES["default"]["OPTIONS"]["pool"]:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)

elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # `make run`: webhooks arrive concurrently; take the write lock up front and wait for it.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "mutual",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    # `make run` needs no Redis: one process, so a local-memory cache is consistent.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery ----------------------------------------------------------------------------

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60 * 60}
CELERY_TIMEZONE = env.str("TIME_ZONE", default="Europe/London")
CELERY_BEAT_SCHEDULE = {
    "memberships-reconcile-nightly": {
        "task": "billing.tasks.memberships_reconcile_task",
        "schedule": crontab(hour=3, minute=15),
    },
    # The digests go out early in the site's time zone (CELERY_TIMEZONE).
    "digest-weekly": {
        "task": "digests.tasks.digest_run_task",
        "schedule": crontab(day_of_week="mon", hour=7, minute=0),
        "args": ["weekly"],
    },
    "digest-monthly": {
        "task": "digests.tasks.digest_run_task",
        "schedule": crontab(day_of_month="1", hour=7, minute=30),
        "args": ["monthly"],
    },
    "events-reminders": {
        "task": "events.tasks.event_reminders_task",
        "schedule": crontab(minute="*/15"),
    },
    "email-outbox-sweeper": {
        "task": "mail.tasks.deliveries_sweep_task",
        "schedule": crontab(minute="*/5"),
    },
}

# --- Accounts --------------------------------------------------------------------------

AUTH_USER_MODEL = "members.User"
# Django's and allauth's backends, loading the membership and profile with the user.
AUTHENTICATION_BACKENDS = [
    "members.backends.ModelBackend",
    "members.backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email",)},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

ACCOUNT_ADAPTER = "members.adapters.AccountAdapter"
ACCOUNT_SIGNUP_FORM_CLASS = "members.forms.SignupExtrasForm"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
# One address per account, changed through allauth's change-email flow: the new address
# replaces the old only once confirmed. An address someone holds unconfirmed never blocks its
# owner's sign-up, and a password reset is only ever mailed to a confirmed address.
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_FORMS = {
    "login": "members.account_forms.LoginForm",
    "signup": "members.account_forms.SignupForm",
    "reset_password": "members.account_forms.ResetPasswordForm",  # pragma: allowlist secret
}
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
# The link in the confirmation email shows a button (mail scanners only GET), and pressing it
# in the browser that signed up, within ACCOUNT_LOGIN_TIMEOUT (15 minutes), signs the member
# in and takes them to the first step of setting up (AccountAdapter.get_signup_redirect_url).
# Anywhere else it confirms the address and asks them to sign in.
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# What the account emails call the site ("— Mutual"), never the host they were asked from.
SITE_NAME = "Mutual"
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
ACCOUNT_PRESERVE_USERNAME_CASING = False
# allauth's rate limits (login, failed logins, sign-up, password reset) live in the cache:
# Redis everywhere but `make run`, so they hold across gunicorn workers. Wrong passwords count
# per client address and account (the adapter's key), under a generous ceiling per address
# (an office or a phone network shares one), so nobody can lock another person out.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "30/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}
# A way in nobody else can block: a one-time code mailed to the member ("Send me a sign-in
# code" on the sign-in page), with allauth's own limits on asking and on guessing.
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
# Behind a load balancer or reverse proxy, the number of proxies in front of the site, each
# appending to X-Forwarded-For: the client's address is read that many entries from the right,
# for allauth's limits and ours (core.ratelimit.client_ip). 0: the connecting address.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Second factors: an authenticator app, recovery codes, and passkeys (WebAuthn). A passkey
# also signs a member in on its own ("Sign in with a passkey"): allauth then requires user
# verification (a fingerprint, face or PIN on the device), so it is two factors in one and
# counts as the second factor for staff (members/staff.py). Signing up with a passkey is off:
# allauth allows it only with emailed codes instead of our confirmation link.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_PASSKEY_SIGNUP_ENABLED = False
# Passkeys need https, or http://localhost (so `make run`'s passkeys work at
# http://localhost:8000); no browser makes one for an IP address such as 127.0.0.1, whatever
# the site says. This switch would only skip checking which site a passkey answered, so it
# stays off even with DEBUG on: it would not make 127.0.0.1 work.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = False
MFA_ADAPTER = "members.adapters.MFAAdapter"
MFA_FORMS = {
    "add_webauthn": "members.account_forms.AddPasskeyForm",
    "authenticate_webauthn": "members.account_forms.AuthenticatePasskeyForm",
    "login_webauthn": "members.account_forms.LoginPasskeyForm",
    "reauthenticate_webauthn": "members.account_forms.ReauthenticatePasskeyForm",
}
MFA_TOTP_ISSUER = SITE_NAME
# allauth's security notices: an email to the account whenever an authenticator is added or
# removed, recovery codes are made, or the password or address changes.
ACCOUNT_EMAIL_NOTIFICATIONS = True
# Staff use staff powers (the admin, organiser tools) only in a session that used their second
# factor, and set one up only from a one-time link mailed to them (members/staff.py). The demo
# staff login (`seed_demo`, DEBUG only) may skip MFA; the admin shows a banner saying so.
DEMO_ADMIN_EMAIL = "admin@example.com"

# --- Email -----------------------------------------------------------------------------

# Django 6.1 configures outgoing mail through MAILERS. EMAIL_URL (e.g. smtp://127.0.0.1:1025,
# smtp+tls://user:pass@host:587) picks the SMTP server; without it mail goes to the console.
if env.str("EMAIL_URL", default=""):
    _email = env.email_url("EMAIL_URL")
    MAILERS = {
        "default": {
            # Django's SMTP backend, with a fast encoder for ordinary messages (mail/mime.py).
            "BACKEND": "mail.mime.EmailBackend"
            if _email["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
            else _email["EMAIL_BACKEND"],
            "OPTIONS": {
                "host": _email.get("EMAIL_HOST") or "127.0.0.1",
                "port": _email.get("EMAIL_PORT") or 25,
                "username": _email.get("EMAIL_HOST_USER") or None,
                "password": _email.get("EMAIL_HOST_PASSWORD") or None,
                "use_tls": bool(_email.get("EMAIL_USE_TLS")),
                "use_ssl": bool(_email.get("EMAIL_USE_SSL")),
                "timeout": 10,
            },
        }
    }
else:
    # Printed readably (mail/backends.py): headers and text decoded, each link whole on a line.
    MAILERS = {"default": {"BACKEND": "mail.backends.ReadableConsoleBackend"}}
# Seconds before each retry of a batch the SMTP server deferred (4xx); then it is failed.
EMAIL_RETRY_DELAYS = (30, 120, 600, 1800, 3600)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Mutual <hello@mutual.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Membership and Stripe -------------------------------------------------------------

MEMBERSHIP_PRICE = env.str("MEMBERSHIP_PRICE", default="5.00")
MEMBERSHIP_CURRENCY = env.str("MEMBERSHIP_CURRENCY", default="GBP").upper()
MEMBERSHIP_GRACE_DAYS = env.int("MEMBERSHIP_GRACE_DAYS", default=7)
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_PRICE_ID = env.str("STRIPE_PRICE_ID", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
STRIPE_STANDIN_PORT = env.int("STRIPE_STANDIN_PORT", default=12111)
if DEBUG and not STRIPE_SECRET_KEY:
    # `make run` pays through the offline stand-in (`manage.py stripe_standin`).
    STRIPE_SECRET_KEY = "sk_test_standin"  # noqa: S105 - the offline stand-in's key
    STRIPE_WEBHOOK_SECRET = STRIPE_WEBHOOK_SECRET or "whsec_standin"
    STRIPE_PRICE_ID = STRIPE_PRICE_ID or "price_mutual_monthly"
    STRIPE_API_BASE = STRIPE_API_BASE or f"http://127.0.0.1:{STRIPE_STANDIN_PORT}"
# Any other API base (the offline stand-in) charges no card, so a site can only run on one
# on purpose: PAYMENTS_SIMULATED says so, and every page then shows a banner saying so.
STRIPE_OWN_API_BASE = "https://api.stripe.com"
_payments_real = STRIPE_API_BASE.rstrip("/") in ("", STRIPE_OWN_API_BASE)
PAYMENTS_SIMULATED = env.bool("PAYMENTS_SIMULATED", default=DEBUG and not _payments_real)
if not DEBUG and not _payments_real and not PAYMENTS_SIMULATED:
    raise ImproperlyConfigured(
        f"STRIPE_API_BASE is {STRIPE_API_BASE}, not Stripe's own API ({STRIPE_OWN_API_BASE}), "
        "so no card would ever be charged. If payments are meant to be simulated, set "
        "PAYMENTS_SIMULATED=true (every page then says so); otherwise unset STRIPE_API_BASE."
    )
if PAYMENTS_SIMULATED and STRIPE_SECRET_KEY.startswith(("sk_live_", "rk_live_")):
    raise ImproperlyConfigured(
        "PAYMENTS_SIMULATED is on, but STRIPE_SECRET_KEY is a live key that charges real cards."
        " Turn one of them off."
    )
AKISMET_API_KEY = env.str("AKISMET_API_KEY", default="")
# How long a public page is served from the cache to visitors who are not signed in (seconds;
# 0 turns it off). Members always get a fresh page. Off in development, where edits should show.
ANONYMOUS_PAGE_CACHE_SECONDS = env.int("ANONYMOUS_PAGE_CACHE_SECONDS", default=0 if DEBUG else 10)
# App-level limits (core.ratelimit), per member unless a rate says "/ip" (per client
# address) or "/all" (a ceiling for everyone): over them, a friendly 429 page.
RATE_LIMITS = {
    "rsvp": "30/m",
    "redeem": "20/m",
    "invite": "20/h",
    "intro": "20/h",
    "post": "20/m",
    "expert_request": "10/h",
    # A partner's code checks, per secret link: per till (client), under a ceiling per link.
    "partner_check": "30/m/ip,300/m/all",
}
# Where the akismet client sends comment-check (tests point it at a local stand-in).
AKISMET_API_URL = env.str("AKISMET_API_URL", default="https://rest.akismet.com")
AKISMET_TIMEOUT = env.float("AKISMET_TIMEOUT", default=2.0)

# --- Internationalisation ----------------------------------------------------------------

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True

# --- Static and media ------------------------------------------------------------------

STATIC_URL = "static/"
# The build step (scripts/build) collects here; its test collects into a temporary folder.
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security --------------------------------------------------------------------------

# With DEBUG off everything defaults to HTTPS-only; `manage.py check --deploy` passes as is.
_secure = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=_secure)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=_secure)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_secure)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if _secure else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=_secure)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=_secure)
# Behind a proxy that terminates TLS, set TRUST_X_FORWARDED_PROTO=true so Django knows the
# request came in over HTTPS (only if the proxy overwrites that header from clients).
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# A bare "www.example.org" in a post becomes an https:// link (Django 2028's default).
URLIZE_ASSUME_HTTPS = True

# Content Security Policy (Django's own): scripts only from us, and only with the nonce when
# inline; forms may post to us and, through the redirect that starts a payment, to Stripe.
_payment_origins = ["https://checkout.stripe.com", "https://billing.stripe.com"]
if STRIPE_API_BASE:
    from urllib.parse import urlsplit

    _standin = urlsplit(STRIPE_API_BASE)
    _payment_origins.append(f"{_standin.scheme}://{_standin.netloc}")
SECURE_CSP: dict[str, list[str]] = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],  # allauth's two-factor QR code is a data: image
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF, *_payment_origins],
}

# --- Logging: one JSON object a line on stdout ----------------------------------------------

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django.server": {"level": "INFO"},
        "mail.log": {"level": "WARNING"},  # aiosmtpd's per-command chatter
    },
}
