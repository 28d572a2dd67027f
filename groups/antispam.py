"""The checks every post passes before anyone sees it.

In order: a honeypot field that people never fill in (bots do: the post is dropped without a
word); no email addresses (contact details are never published); no links from accounts
younger than a week; per-member rate limits in the cache; then two checks that hold a post
for staff review instead of refusing it: hard-selling phrases, and Akismet when
`AKISMET_API_KEY` is set.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from datetime import timedelta

import akismet
import httpx
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

HONEYPOT_FIELD = "website"
NEW_ACCOUNT_AGE = timedelta(days=7)
AKISMET_DEFAULT_URL = "https://rest.akismet.com"

LINK_PATTERN = re.compile(
    r"(?:https?://|www\.|\[[^\]]*\]\([^)]*\)"
    r"|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|co|uk|biz|info|shop|store|online|site)\b)",
    re.IGNORECASE,
)
EMAIL_PATTERN = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)

# Phrases of the hard sell. One is ordinary conversation; two or more in a post hold it.
SELLING_PHRASES = (
    "buy now",
    "limited time",
    "limited offer",
    "special offer",
    "exclusive offer",
    "discount code",
    "promo code",
    "act now",
    "don't miss out",
    "dont miss out",
    "click here",
    "sign up today",
    "book a call",
    "book a free call",
    "dm me",
    "message me for",
    "whatsapp me",
    "guaranteed results",
    "100% guaranteed",
    "make money",
    "earn £",
    "earn $",
    "passive income",
    "work from home opportunity",
    "crypto",
    "investment opportunity",
    "free trial",
    "only a few spots",
    "last chance",
)
SELLING_THRESHOLD = 2


@dataclass(frozen=True)
class RateLimit:
    count: int
    seconds: int


RATE_LIMITS = (RateLimit(count=5, seconds=10 * 60), RateLimit(count=30, seconds=24 * 3600))


class PostRefused(Exception):
    """A post that breaks a rule the member can fix; the message says how."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Verdict:
    """What the holding checks found: a post with any flag waits for staff."""

    flags: list[str] = field(default_factory=list)

    @property
    def hold(self) -> bool:
        return bool(self.flags)


# --- Refusals ------------------------------------------------------------------------------


def honeypot_filled(value: str | None) -> bool:
    return bool((value or "").strip())


def check_contact_details(text: str) -> None:
    if EMAIL_PATTERN.search(text):
        raise PostRefused(
            _(
                "Please take out the email address: Mutual never publishes contact details. "
                "Meet people at the group, or swap details in person."
            )
        )


def check_links(*, text: str, user) -> None:
    """Accounts younger than a week may not post links (the commonest spam of all)."""
    if timezone.now() - user.date_joined >= NEW_ACCOUNT_AGE:
        return
    if LINK_PATTERN.search(text):
        raise PostRefused(
            _(
                "New members can post links after their first week. Please describe it in "
                "words for now, or take the link out."
            )
        )


def _bucket_key(user_id: int, limit: RateLimit, now: float) -> str:
    return f"groups:posts:{user_id}:{limit.seconds}:{int(now // limit.seconds)}"


def check_rate_limits(*, user_id: int) -> None:
    """Count this post against each window; refuse (without counting it) when one is full.

    `incr` is atomic in Redis, so two posts sent at once cannot both slip under a limit.
    """
    now = time.time()
    counted: list[str] = []
    for limit in RATE_LIMITS:
        key = _bucket_key(user_id, limit, now)
        cache.add(key, 0, timeout=limit.seconds + 60)
        try:
            value = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=limit.seconds + 60)
            value = 1
        counted.append(key)
        if value > limit.count:
            for done in counted:
                cache.decr(done)
            raise PostRefused(_rate_limit_message(limit))


def _rate_limit_message(limit: RateLimit) -> str:
    if limit.seconds <= 3600:
        return _(
            "You've posted %(count)d times in the last %(minutes)d minutes, which is our "
            "limit. Please wait a few minutes before posting again."
        ) % {"count": limit.count, "minutes": limit.seconds // 60}
    return _(
        "You've posted %(count)d times today, which is our daily limit. Thank you for "
        "joining in so much: please carry on tomorrow."
    ) % {"count": limit.count}


# --- Holds ---------------------------------------------------------------------------------


def selling_score(text: str) -> int:
    lowered = " ".join(text.lower().split()).replace("\u2019", "'")
    return sum(1 for phrase in SELLING_PHRASES if phrase in lowered)


@dataclass(frozen=True)
class Submission:
    """What Akismet is told about a post (never the author's email address)."""

    content: str
    author_name: str
    user_ip: str = ""
    user_agent: str = ""
    permalink: str = ""


def assess(submission: Submission) -> Verdict:
    verdict = Verdict()
    if selling_score(submission.content) >= SELLING_THRESHOLD:
        verdict.flags.append("selling")
    if akismet_says_spam(submission):
        verdict.flags.append("akismet")
    return verdict


class _RebasedTransport(httpx.BaseTransport):
    """Sends the client's requests to `AKISMET_API_URL` instead of Akismet's own host.

    The `akismet` package has the service's address built in; this lets tests (and a
    self-hosted compatible service) answer instead, with the package's real HTTP calls.
    """

    def __init__(self, base_url: str):
        self.base = httpx.URL(base_url)
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(
            scheme=self.base.scheme, host=self.base.host, port=self.base.port
        )
        request.headers["Host"] = self.base.netloc.decode("ascii")
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def _akismet_http_client() -> httpx.Client:
    base_url = getattr(settings, "AKISMET_API_URL", "") or AKISMET_DEFAULT_URL
    transport = None if base_url == AKISMET_DEFAULT_URL else _RebasedTransport(base_url)
    return httpx.Client(
        headers={"User-Agent": akismet.USER_AGENT},
        timeout=getattr(settings, "AKISMET_TIMEOUT", 2.0),
        transport=transport,
    )


def akismet_says_spam(submission: Submission) -> bool:
    """Ask Akismet's comment-check when a key is set. If it can't answer, the post goes on.

    Failing open keeps the discussion working when Akismet is down; the other checks
    (links, rate limits, selling phrases, reports) still apply.
    """
    key = settings.AKISMET_API_KEY
    if not key:
        return False
    with _akismet_http_client() as http_client:
        client = akismet.SyncClient(
            config=akismet.Config(key=key, url=settings.SITE_URL), http_client=http_client
        )
        try:
            result = client.comment_check(
                user_ip=submission.user_ip or "127.0.0.1",
                user_agent=submission.user_agent,
                comment_content=submission.content,
                comment_type="forum-post",
                comment_author=submission.author_name,
                permalink=submission.permalink,
                blog_lang="en_gb",
                blog_charset="UTF-8",
            )
        except akismet.AkismetError:
            logger.warning("Akismet could not check a post", exc_info=True)
            return False
    return result != akismet.CheckResponse.HAM
