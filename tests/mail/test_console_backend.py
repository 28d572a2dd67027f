"""`make run` prints email readably: headers decoded, and every link whole on its own line."""

from io import StringIO

from django.core.mail import EmailMultiAlternatives

from mail.backends import ReadableConsoleBackend

LINK = (
    "http://127.0.0.1:8000/accounts/confirm-email/"
    "MTQ:1vQm2x:Zq8y3Jk0c9HhQeJ4u6bqVn2t7XwRrYpLkMnBvCxZaSdFgHj/"
)


def printed(message) -> str:
    stream = StringIO()
    ReadableConsoleBackend(stream=stream).send_messages([message])
    return stream.getvalue()


def test_a_long_link_prints_whole_on_its_own_line_with_headers_decoded():
    message = EmailMultiAlternatives(
        subject="[Mutual] Confirm your address, Zoë",
        # Non-ASCII text makes Django encode the body quoted-printable, soft breaks and all.
        body=f"Welcome to Mutual, Zoë — one step left.\n\n{LINK}\n\n— Mutual\n",
        from_email="Mutual <hello@mutual.example>",
        to=["zoe@example.org"],
    )
    message.attach_alternative(f'<p><a href="{LINK}">Confirm</a></p>', "text/html")

    output = printed(message)

    assert LINK in output.splitlines()
    assert "=\n" not in output
    assert "=3D" not in output
    assert "Subject: [Mutual] Confirm your address, Zoë" in output.splitlines()
    assert "From: Mutual <hello@mutual.example>" in output.splitlines()
    assert "To: zoe@example.org" in output.splitlines()
    assert "Welcome to Mutual, Zoë — one step left." in output
    assert "<a href" not in output  # the plain text, not the HTML


def test_an_html_only_message_still_prints_its_body():
    message = EmailMultiAlternatives(
        subject="Hello", body=f"<p>{LINK}</p>", to=["someone@example.org"]
    )
    message.content_subtype = "html"

    assert f"<p>{LINK}</p>" in printed(message)
