"""`make run`'s email: each message printed the way a person reads it.

Django's console backend prints the wire format: a non-ASCII subject RFC 2047-encoded and the
body quoted-printable, where a long line is cut with `=` soft breaks. A confirmation link
copied from that is missing its middle and answers 404. This backend prints the headers
people look at, decoded, and the plain-text body decoded, so every link is whole on its line.
"""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.core.mail.backends import console

SHOWN_HEADERS = ("From", "To", "Cc", "Reply-To", "Subject")


class ReadableConsoleBackend(console.EmailBackend):
    def write_message(self, message: EmailMessage) -> None:
        parsed = message.message()
        lines = [f"{name}: {parsed[name]}" for name in SHOWN_HEADERS if parsed[name]]
        text = parsed.get_body(preferencelist=("plain",))
        html = parsed.get_body(preferencelist=("html",))
        if text is not None and html is not None:
            lines.append("(An HTML version goes with it; the plain text follows.)")
        attachments = [
            part.get_filename() or part.get_content_type() for part in parsed.iter_attachments()
        ]
        if attachments:
            lines.append(f"Attachments: {', '.join(attachments)}")
        shown = text if text is not None else html
        body = shown.get_content() if shown is not None else ""
        self.stream.write("\n".join([*lines, "", body.rstrip("\n"), "-" * 79, ""]))
