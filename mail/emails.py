"""Building the site's email: kinds, rendering, list headers and unsubscribe tokens.

Each kind of message registers a renderer with `@email_kind("name")`; the outbox calls it at
send time with the delivery row and gets back the subject, the template and its context.
Stream mail (a member can stop it) gets RFC 8058 one-click unsubscribe headers, a List-Id and
a visible "why you got this" footer; transactional mail gets none of them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import css_inline
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse
from django.utils.translation import gettext as _

from mail.streams import STREAMS

if TYPE_CHECKING:
    from mail.models import EmailDelivery

# The salts keep the app's old name: links in mail already sent must keep working.
UNSUBSCRIBE_SALT = "members.unsubscribe"
CONFIRM_SALT = "members.stream-confirm"
CONFIRM_MAX_AGE = 7 * 24 * 3600
LIST_DOMAIN = "lists.mutual.example"


@dataclass(frozen=True)
class EmailContent:
    subject: str
    template: str = ""  # without extension: "<app>/email/<name>" renders .txt and .html
    context: dict = field(default_factory=dict)
    # Or bodies rendered already (allauth's account mail): then no template is used.
    text: str = ""
    html: str = ""


Renderer = Callable[["EmailDelivery"], EmailContent | None]
_KINDS: dict[str, Renderer] = {}


def email_kind(name: str) -> Callable[[Renderer], Renderer]:
    """Register the renderer of one kind of message. It may return None: nothing to send."""

    def register(renderer: Renderer) -> Renderer:
        _KINDS[name] = renderer
        return renderer

    return register


def render(delivery: EmailDelivery) -> EmailContent | None:
    try:
        renderer = _KINDS[delivery.kind]
    except KeyError as error:
        raise LookupError(f"No renderer registered for email kind {delivery.kind!r}") from error
    return renderer(delivery)


def absolute_url(name: str, *args, **kwargs) -> str:
    if not args and not kwargs:  # the same for every message: worked out once
        return settings.SITE_URL + _path(name, settings.ROOT_URLCONF, get_script_prefix())
    return settings.SITE_URL + reverse(name, args=args, kwargs=kwargs)


@functools.lru_cache(maxsize=256)
def _path(name: str, urlconf: str, script_prefix: str) -> str:
    return reverse(name)


def single_line(text: str) -> str:
    """Header-safe text: user-written names and titles can never start a new header."""
    return " ".join(str(text).split())


def unsubscribe_token(*, user_id: int | None, stream: str, email: str = "") -> str:
    """A signed, non-expiring token for one member (or, for a guest, one address) and stream."""
    if user_id:
        return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object([user_id, stream])
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object([0, stream, email.lower()])


def unsubscribe_token_read(token: str) -> tuple[int, str, str]:
    """(user id or 0, stream, guest address or "") from a token.

    Raises `signing.BadSignature` if it was tampered with.
    """
    values = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
    user_id, stream, email = (*values, "")[:3]
    if stream not in STREAMS or not (user_id or email):
        raise signing.BadSignature("Unknown stream")
    return int(user_id), stream, email


def confirm_token(*, user_id: int, stream: str) -> str:
    return signing.TimestampSigner(salt=CONFIRM_SALT).sign_object([user_id, stream])


def confirm_token_read(token: str) -> tuple[int, str]:
    user_id, stream = signing.TimestampSigner(salt=CONFIRM_SALT).unsign_object(
        token, max_age=CONFIRM_MAX_AGE
    )
    if stream not in STREAMS:
        raise signing.BadSignature("Unknown stream")
    return int(user_id), stream


_UNKNOWN = object()


def build_message(
    *, delivery: EmailDelivery, content: EmailContent, opted_in_at=_UNKNOWN
) -> EmailMultiAlternatives:
    """The message for `delivery`. Stream mail says when the member opted in: pass
    `opted_in_at` when the caller has it already (the outbox reads it for a whole chunk)."""
    context = {"site_url": settings.SITE_URL, **content.context}
    headers = {}
    if delivery.stream:
        info = STREAMS[delivery.stream]
        unsubscribe_url = absolute_url(
            "mail:unsubscribe",
            token=unsubscribe_token(
                user_id=delivery.user_id, stream=delivery.stream, email=delivery.to_email
            ),
        )
        if opted_in_at is _UNKNOWN:
            from mail.models import StreamSubscription

            subscription = (
                StreamSubscription.objects.filter(
                    user_id=delivery.user_id, stream=delivery.stream
                ).first()
                if delivery.user_id  # a guest (invited by address) has no subscription row
                else None
            )
            opted_in_at = subscription.confirmed_at if subscription else None
        context.update(
            opted_in_at=opted_in_at,
            stream_label=info.stream.label,
            stream_wording=info.wording,
            unsubscribe_url=unsubscribe_url,
            settings_url=absolute_url("mail:settings"),
        )
        headers = {
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"Mutual {info.stream.label} <{delivery.stream.replace('_', '-')}."
            f"{LIST_DOMAIN}>",
        }
    text: str
    if content.template:
        text = render_to_string(f"{content.template}.txt", context)
        html = css_inline.inline(render_to_string(f"{content.template}.html", context))
    else:
        text, html = content.text, content.html
    message = EmailMultiAlternatives(
        subject=single_line(content.subject),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.to_email],
        headers=headers,
    )
    message.attach_alternative(html, "text/html")
    return message


# --- Mail's own kinds ------------------------------------------------------------------------


@email_kind("stream_confirm")
def _stream_confirm(delivery: EmailDelivery) -> EmailContent | None:
    if delivery.user_id is None:  # the account was deleted: nobody is left to confirm
        return None
    stream = delivery.payload["stream"]
    return EmailContent(
        subject=_("Please confirm: %(stream)s emails from Mutual")
        % {"stream": STREAMS[stream].stream.label.lower()},
        template="mail/email/stream_confirm",
        context={
            "stream_label": STREAMS[stream].stream.label,
            "wording": STREAMS[stream].wording,
            "confirm_url": absolute_url(
                "mail:stream_confirm",
                token=confirm_token(user_id=delivery.user_id, stream=stream),
            ),
        },
    )


@email_kind("prerendered")
def _prerendered(delivery: EmailDelivery) -> EmailContent | None:
    """Account mail that allauth rendered; the payload is cleared once it is sent."""
    if not delivery.payload:
        return None
    return EmailContent(
        subject=delivery.payload["subject"],
        text=delivery.payload["text"],
        html=delivery.payload["html"],
    )


def html_from_text(text: str) -> str:
    """Our email layout around a plain-text body (for allauth's text-only messages)."""
    return css_inline.inline(render_to_string("mail/email/plain.html", {"body": text}))
