"""A short-lived cache of public pages for visitors who are not signed in (a "microcache").

Most traffic to the public pages (the landing page, events, groups, offers, experts) comes
from visitors without a session; each of those pages costs tens of milliseconds to build
and is the same for all of them. For `ANONYMOUS_PAGE_CACHE_SECONDS` (a few seconds to a
minute) the first visitor's copy is served to the others, as nginx's or Varnish's
microcaching would do in front of the site.

What is never cached or served from the cache:
- any request carrying a cookie (a session, a CSRF token, messages): signed-in members,
  and anyone mid-way through a form, always get a fresh page;
- anything but GET/HEAD, anything but a 200 HTML answer, an answer that sets a cookie or
  says `Cache-Control: private/no-store`, and views not marked with `@cache_for_visitors`.

The Content-Security-Policy nonce is per response: the stored copy keeps a placeholder
where the nonce was, and each answer from the cache gets a fresh nonce, in the page and (by
the CSP middleware, which sits outside this one) in the header. The security headers are
added on the way out as for any answer.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse

NONCE_PLACEHOLDER = b"\x00csp-nonce\x00"
KEY_PREFIX = "visitor-page:"


def cache_for_visitors(view):
    """Mark a public view whose page is the same for every visitor who is not signed in."""
    view.cache_for_visitors = True
    return view


def _key(request) -> str:
    raw = f"{request.get_host()}|{request.get_full_path()}".encode()
    return KEY_PREFIX + hashlib.sha256(raw).hexdigest()


def _eligible(request) -> bool:
    return (
        settings.ANONYMOUS_PAGE_CACHE_SECONDS > 0
        and request.method in ("GET", "HEAD")
        and not request.COOKIES
    )


class VisitorPageCacheMiddleware:
    """Serve and store visitors' copies of pages marked with `@cache_for_visitors`.

    Goes after the security, CSP and static-file middleware and before the session
    middleware, so that a page from the cache skips sessions, authentication and the view.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _eligible(request):
            return self.get_response(request)
        key = _key(request)
        stored = cache.get(key)
        if stored is not None:
            return self._from_cache(request, stored)
        response = self.get_response(request)
        if getattr(request, "_cache_for_visitors", False) and self._storable(response):
            self._store(request, key, response)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        request._cache_for_visitors = getattr(view_func, "cache_for_visitors", False)

    @staticmethod
    def _storable(response) -> bool:
        cache_control = response.get("Cache-Control", "")
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and response.get("Content-Type", "").startswith("text/html")
            and "private" not in cache_control
            and "no-store" not in cache_control
        )

    @staticmethod
    def _store(request, key: str, response) -> None:
        body = response.content
        nonce = getattr(request, "_csp_nonce", None)
        if nonce:  # the page used this response's nonce: keep a placeholder in its place
            body = body.replace(str(nonce).encode(), NONCE_PLACEHOLDER)
        headers = [
            (name, value)
            for name, value in response.items()
            if name.lower() not in ("content-length", "set-cookie")
        ]
        cache.set(key, (body, headers), settings.ANONYMOUS_PAGE_CACHE_SECONDS)

    @staticmethod
    def _from_cache(request, stored) -> HttpResponse:
        body, headers = stored
        if NONCE_PLACEHOLDER in body:
            # A fresh nonce for this answer; the CSP middleware puts the same one in the header.
            body = body.replace(NONCE_PLACEHOLDER, str(request._csp_nonce).encode())
        response = HttpResponse(body)
        for name, value in headers:
            response[name] = value
        response["X-Visitor-Cache"] = "hit"
        return response
