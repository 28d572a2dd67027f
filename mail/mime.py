"""A fast wire encoding for the outbox's ordinary messages, and the SMTP backend that uses it.

Django's `EmailMessage.message()` builds the message with the modern `email` API, which
parses every header into a structured object and folds it again on output: about 1.8 ms of
CPU for a digest, more than choosing, rendering and sending it together. Almost everything
the site sends has one shape: a text part, an optional HTML alternative, one recipient and a
few ASCII headers. For that shape `encode()` writes the MIME bytes directly: RFC 2047 for a
non-ASCII subject, quoted-printable (the C codec in `binascii`) for bodies that are not plain
7-bit ASCII, CRLF line ends and lines of at most 998 octets.

Anything else (attachments, Cc, Bcc or Reply-To, a non-ASCII or unusual address, a header
that is not short single-line ASCII, a custom Date or Message-ID) returns None, and Django's
own encoder handles it, except that the one-click unsubscribe headers (RFC 8058) are written
plain on that path too (`encode_with_django()`): the `email` package RFC 2047-encodes any
header with a word longer than a line, and a mail client then no longer sees a URL. Bad input
is refused the way Django refuses it: a line break in the subject raises ValueError.
`tests/mail/test_mime.py` checks that the two encoders give the same message once parsed,
for generated subjects, bodies and headers.
"""

from __future__ import annotations

import binascii
import functools
import re
import secrets
from datetime import UTC, datetime
from email.header import Header
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends import smtp
from django.core.mail.utils import DNS_NAME
from django.utils import timezone

MAX_LINE = 998  # RFC 5322 2.1.1, without the CRLF
FOLD_AT = 78
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# A plain ASCII addr-spec (dot-atom @ hostname): anything else goes through Django's parser.
_PLAIN_ADDRESS = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@{_LABEL}(?:\.{_LABEL})+\Z")
_HEADER_NAME = re.compile(r"[!-9;-~]+\Z")  # printable ASCII but ":" (RFC 5322 2.2)
_OWN_HEADERS = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "reply-to",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
    }
)
_NEWLINES = re.compile(r"\r\n|\r|\n")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
_NOT_7BIT = re.compile(r"[^\t\r\n -~]")  # 7bit is printable ASCII, tabs and line ends
# Written as they are on both paths: mail clients read these as a URL and a fixed token.
VERBATIM_HEADERS = ("List-Unsubscribe", "List-Unsubscribe-Post")
# Headers stored with `set_raw()` go out untouched; every other header is folded as usual.
_SMTP_VERBATIM = SMTP.clone(refold_source="none")


def encode(message: EmailMessage) -> bytes | None:
    """The message as it goes on the wire, or None if it needs Django's general encoder."""
    if type(message) not in (EmailMessage, EmailMultiAlternatives):  # not subclasses
        return None
    alternatives = getattr(message, "alternatives", [])
    if (
        message.attachments
        or message.cc
        or message.bcc
        or message.reply_to
        or len(message.to) != 1
        or (message.encoding or settings.DEFAULT_CHARSET).lower() != "utf-8"
        or (alternatives and not message.body)
        or message.content_subtype != "plain"
        or len(alternatives) > 1
        or (alternatives and alternatives[0].mimetype != "text/html")
        or not isinstance(message.body, str)
    ):
        return None
    to = message.to[0]
    from_line = _from_line(str(message.from_email))
    if not (isinstance(to, str) and _PLAIN_ADDRESS.match(to)) or from_line is None:
        return None
    extra = []
    for name, value in message.extra_headers.items():
        value = str(value)
        if (
            name.lower() in _OWN_HEADERS
            or not _HEADER_NAME.match(name)
            or _NOT_7BIT.search(value)
            or "\r" in value
            or "\n" in value
            or len(name) + 2 + len(value) > MAX_LINE
        ):
            return None
        extra.append(f"{name}: {value}\r\n")

    boundary = "=_" + secrets.token_hex(16)  # "=_" never occurs in quoted-printable
    parts = [_part("text/plain", message.body, boundary)]
    if alternatives:
        html = alternatives[0].content
        if not isinstance(html, str):
            return None
        parts.append(_part("text/html", html, boundary))
    bodies = [part for part in parts if part is not None]
    if len(bodies) < len(parts):
        return None

    subject = _subject(str(message.subject))
    if subject is None:
        return None
    head = [
        f"Subject: {subject}\r\n",
        from_line,
        f"To: {to}\r\n",
        f"Date: {_now()}\r\n",
        f"Message-ID: {make_msgid(domain=DNS_NAME)}\r\n",
        *extra,
        "MIME-Version: 1.0\r\n",
    ]
    if alternatives:
        head.append(f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n')
        # The CRLF before each delimiter belongs to the delimiter (RFC 2046 5.1.1).
        delimiter = f"--{boundary}\r\n".encode()
        body = delimiter + (b"\r\n" + delimiter).join(bodies) + f"\r\n--{boundary}--\r\n".encode()
        return "".join(head).encode("ascii") + body
    return "".join(head).encode("ascii") + bodies[0]


def _part(mimetype: str, text: str, boundary: str) -> bytes | None:
    data = _NEWLINES.sub("\r\n", text)
    if not data.endswith("\r\n"):
        data += "\r\n"
    raw = data.encode("utf-8")
    if not _NOT_7BIT.search(data) and max(map(len, data.split("\r\n"))) <= MAX_LINE:
        if boundary in data:
            return None
        encoding, payload = "7bit", raw
    else:
        # istext: line breaks stay line breaks (CRLF, as found), soft breaks at 76.
        encoding, payload = "quoted-printable", binascii.b2a_qp(raw, istext=True)
    return (
        f'Content-Type: {mimetype}; charset="utf-8"\r\n'
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
    ).encode("ascii") + payload


def _subject(subject: str) -> str | None:
    if len(subject.splitlines()) > 1 or "\r" in subject or "\n" in subject:
        raise ValueError("Header values may not contain linefeed or carriage return characters")
    subject = subject.lstrip(" \t")  # as a header's reader sees it
    if _CONTROL.search(subject):
        return None  # control characters and line separators: Django's encoder decides
    if not subject.isascii():
        return Header(subject, "utf-8", header_name="Subject").encode(linesep="\r\n")
    return _fold("Subject", subject)


def _fold(name: str, value: str) -> str | None:
    """An ASCII value folded before spaces to lines of about 78, or None if a word won't fit."""
    line = len(name) + 2
    if line + len(value) <= FOLD_AT:
        return value
    out: list[str] = []
    for word in re.split(r"(?=[ \t])", value):
        if out and line + len(word) > FOLD_AT and word.strip(" \t"):
            out.append("\r\n")
            line = 0
        if line + len(word) > MAX_LINE:
            return None
        out.append(word)
        line += len(word)
    return "".join(out)


@functools.lru_cache(maxsize=16)
def _from_line(from_email: str) -> str | None:
    """The From header line, folded by the standard library once per sender."""
    if not from_email.isascii() or "\r" in from_email or "\n" in from_email:
        return None
    try:
        name, value = SMTP.header_store_parse("From", from_email)
        if value.defects or len(value.addresses) != 1:
            return None
        return SMTP.fold(name, value)
    except (ValueError, IndexError):
        return None


def encode_with_django(message: EmailMessage) -> bytes:
    """Django's general encoder, with the one-click unsubscribe headers written plain."""
    msg = message.message(policy=_SMTP_VERBATIM)
    for name, value in message.extra_headers.items():
        if name.lower() not in {header.lower() for header in VERBATIM_HEADERS}:
            continue
        value = str(value)
        folded = None if _NOT_7BIT.search(value) or _CONTROL.search(value) else _fold(name, value)
        if folded is not None and len(name) + 2 + len(value) <= MAX_LINE:
            del msg[name]
            msg.set_raw(name, folded)
    return msg.as_bytes()


def _now() -> str:
    zone = timezone.get_current_timezone() if settings.EMAIL_USE_LOCALTIME else UTC
    return format_datetime(datetime.now(zone))


class EmailBackend(smtp.EmailBackend):
    """Django's SMTP backend, writing ordinary messages with `encode()`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._envelope_from: dict[str, str] = {}  # the sender, checked once

    def _send(self, email_message):
        encoded = encode(email_message)
        if encoded is None:
            # As Django's backend does it, with its encoder but the list headers plain.
            if not email_message.recipients():
                return False
            sender = self.prep_address(email_message.from_email)
            recipients = [self.prep_address(address) for address in email_message.recipients()]
            encoded = encode_with_django(email_message)
        else:
            sender = str(email_message.from_email)
            if sender not in self._envelope_from:
                self._envelope_from[sender] = self.prep_address(sender)
            sender, recipients = self._envelope_from[sender], [email_message.to[0]]
        try:
            self.connection.sendmail(sender, recipients, encoded)
        except smtp.smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True
