"""The outbox's fast MIME encoder (mail/mime.py) against Django's own.

Whatever `encode()` writes must parse to the same message as Django's
`EmailMessage.message()`: the same headers, the same text and HTML, for any subject, body and
header the site can produce; and what it can't write the same way it must leave to Django.
"""

import contextlib
import email
import email.policy
import re

import pytest
from django.core.mail import EmailMessage, EmailMultiAlternatives
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from mail import mime
from tests.conftest import message_text

FROM = "Mutual <hello@mutual.example>"
# Any text but lone surrogates (which no str that came from a template can hold).
any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=3000)
one_line = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\r\n"), max_size=200
) | st.text(st.sampled_from(" \tabc-:=?é"), max_size=300)
ascii_value = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=300)
addresses = st.one_of(
    st.emails(),
    st.sampled_from(["member@example.com", "a.b+c@mail.example.org", "Ünï@exämple.com"]),
)


def parsed(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)


def django_bytes(message) -> bytes:
    return message.message(policy=email.policy.SMTP).as_bytes()


def lines(text: str) -> str:
    return re.sub(r"\r\n|\r", "\n", text)


def same_message(ours: bytes, message) -> None:
    a, b = parsed(ours), parsed(django_bytes(message))
    assert a["MIME-Version"] == "1.0"  # (Django's multipart messages leave it out)
    for name in ("Subject", "From", "To", *message.extra_headers):
        assert str(a[name]) == str(b[name]), name
    assert a.get_content_type() == b.get_content_type()
    for kind in ("plain", "html"):
        ours_part, django_part = a.get_body((kind,)), b.get_body((kind,))
        assert (ours_part is None) == (django_part is None)
        if ours_part is not None and django_part is not None:
            assert lines(ours_part.get_content()) == lines(django_part.get_content())
    assert a["Date"].datetime is not None
    assert re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", str(a["Message-ID"]))


def well_formed(data: bytes) -> None:
    assert data.isascii()
    assert b"\n" not in data.replace(b"\r\n", b"")  # no bare LF
    assert b"\r" not in data.replace(b"\r\n", b"")  # no bare CR
    assert max(len(line) for line in data.split(b"\r\n")) <= 998


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    subject=one_line,
    text=any_text,
    html=st.none() | any_text,
    to=addresses,
    unsubscribe=ascii_value,
)
def test_whatever_it_writes_parses_like_djangos_message(subject, text, html, to, unsubscribe):
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=FROM,
        to=[to],
        headers={"List-Unsubscribe": f"<{unsubscribe}>", "List-Id": "Mutual <digest.example>"},
    )
    if html is not None:
        message.attach_alternative(html, "text/html")
    try:
        django_bytes(message)
    except ValueError:  # Django refuses it (e.g. a line separator in the subject)
        with contextlib.suppress(ValueError):  # so do we, or we leave it to Django
            assert mime.encode(message) is None
        return
    ours = mime.encode(message)
    if ours is None:
        # Left to Django: only what the fast path is not for.
        assert (
            not mime._PLAIN_ADDRESS.match(to)
            or mime._CONTROL.search(subject)
            or mime._NOT_7BIT.search(unsubscribe)
            or (html is not None and not text)  # Django sends the HTML alone
        )
        return
    well_formed(ours)
    same_message(ours, message)


def test_an_ordinary_digest_takes_the_fast_path_with_quoted_printable_for_non_ascii():
    message = EmailMultiAlternatives(
        subject="Your Mutual week: what\u2019s on for you",
        body="Events · \u201cFounders\u2019 breakfast\u201d\n" + "x" * 1200 + "\n.\nEnd",
        from_email=FROM,
        to=["member@example.com"],
        headers={"List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
    message.attach_alternative("<p>Plain <b>ASCII</b> HTML</p>", "text/html")
    ours = mime.encode(message)
    assert ours is not None
    well_formed(ours)
    assert b"Content-Transfer-Encoding: quoted-printable" in ours  # the text part
    assert b"Content-Transfer-Encoding: 7bit" in ours  # the ASCII HTML part
    assert b"=?utf-8?" in ours  # the subject, RFC 2047
    same_message(ours, message)


def test_a_line_break_in_the_subject_is_refused_as_django_refuses_it():
    message = EmailMessage(
        subject="Hello\nBcc: everyone@example.com", body="x", from_email=FROM, to=["a@b.example"]
    )
    with pytest.raises(ValueError, match="linefeed or carriage return"):
        message.message()
    with pytest.raises(ValueError, match="linefeed or carriage return"):
        mime.encode(message)


@pytest.mark.parametrize(
    "change",
    [
        {"cc": ["c@example.com"]},
        {"bcc": ["c@example.com"]},
        {"reply_to": ["c@example.com"]},
        {"to": ["a@example.com", "b@example.com"]},
        {"to": ["Name <a@example.com>"]},
        {"to": ["ünï@example.com"]},
        {"to": ["a@exämple.com"]},
        {"to": ["a@example.com\nBcc: x@example.com"]},
        {"from_email": "Mütual <hello@mutual.example>"},
        {"headers": {"List-Id": "Mütual"}},
        {"headers": {"X-Evil": "a\r\nBcc: x@example.com"}},
        {"headers": {"Message-ID": "<mine@example.com>"}},
        {"headers": {"Date": "Mon, 01 Jan 2024 00:00:00 +0000"}},
        {"headers": {"Bad Name": "x"}},
        {"headers": {"X-Long": "x" * 1000}},
    ],
)
def test_anything_unusual_is_left_to_django(change):
    fields = {"subject": "Hi", "body": "Hello", "from_email": FROM, "to": ["a@example.com"]}
    message = EmailMessage(**{**fields, **change})
    assert mime.encode(message) is None


def test_attachments_and_other_subclasses_are_left_to_django():
    message = EmailMultiAlternatives(subject="Hi", body="x", from_email=FROM, to=["a@b.example"])
    message.attach("notes.txt", "hello", "text/plain")
    assert mime.encode(message) is None

    class Custom(EmailMessage):
        pass

    assert mime.encode(Custom(subject="Hi", body="x", from_email=FROM, to=["a@b.example"])) is None


def test_the_backend_sends_both_kinds_over_smtp(smtp_server):
    from django.core.mail import mailers

    fast = EmailMultiAlternatives(
        subject="Fast", body="Café\n", from_email=FROM, to=["fast@example.com"]
    )
    fast.attach_alternative("<p>Café</p>", "text/html")
    general = EmailMessage(
        subject="General",
        body="Hello",
        from_email=FROM,
        to=["general@example.com"],
        cc=["copy@example.com"],
    )
    assert mailers.default.send_messages([fast, general]) == 2

    (received,) = smtp_server.to("fast@example.com")
    assert received["Subject"] == "Fast"
    assert lines(message_text(received)) == "Café\n"
    assert lines(received.get_body(("html",)).get_content()) == "<p>Café</p>\n"
    assert received.get_boundary().startswith("=_")  # written by mail/mime.py
    envelopes = {tuple(envelope.rcpt_tos) for envelope in smtp_server.envelopes}
    assert envelopes == {("fast@example.com",), ("general@example.com", "copy@example.com")}
    (copy,) = smtp_server.to("general@example.com")
    assert copy["Cc"] == "copy@example.com"
    assert not copy.get_boundary()  # Django's own single-part message
