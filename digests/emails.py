from django.utils.translation import gettext as _

from mail.emails import EmailContent, absolute_url, email_kind


@email_kind("digest")
def _digest(delivery) -> EmailContent | None:
    """The digest, from what the batch chose (no queries here)."""
    payload = delivery.payload
    weekly = payload.get("frequency") == "weekly"
    return EmailContent(
        subject=_("Your Mutual week: what's on for you")
        if weekly
        else _("Your Mutual month: what's on for you"),
        template="digests/email/digest",
        context={
            **payload,
            "weekly": weekly,
            "events_url": absolute_url("events:list"),
            "offers_url": absolute_url("discounts:list"),
        },
    )
