"""Rendering and sending the site's own email: one HTML and one plain-text part per message."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse


def absolute_url(name: str, *args, **kwargs) -> str:
    return settings.SITE_URL + reverse(name, args=args, kwargs=kwargs)


def send_transactional_email(*, to: str, subject: str, template: str, context: dict) -> None:
    """Send a message the member cannot opt out of (it is about their own account)."""
    context = {"site_url": settings.SITE_URL, **context}
    text = render_to_string(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject.replace("\n", " ").replace("\r", " "),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    message.attach_alternative(html, "text/html")
    message.send()
