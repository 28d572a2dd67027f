"""The experts app's kinds of email, rendered by the members outbox at send time.

Both are transactional: one tells a member about their own request, the other tells staff
there is a request to act on. The delivery's payload holds only the status change's id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from experts.models import ExpertRequest, ExpertRequestStatusChange
from mail.emails import EmailContent, absolute_url, email_kind, single_line

if TYPE_CHECKING:
    from mail.models import EmailDelivery

MEMBER_KIND = "expert_request_member"
STAFF_KIND = "expert_request_staff"
Status = ExpertRequest.Status


def _change(delivery: EmailDelivery) -> ExpertRequestStatusChange | None:
    return (
        ExpertRequestStatusChange.objects.select_related(
            "request__expert", "request__member__profile"
        )
        .filter(pk=delivery.payload.get("change"))
        .first()
    )


def _display_name(user) -> str:
    profile = getattr(user, "profile", None)
    return profile.display_name if profile else ""


@email_kind(MEMBER_KIND)
def _member_email(delivery: EmailDelivery) -> EmailContent | None:
    change = _change(delivery)
    if change is None:
        return None  # the request was deleted with the member's account
    expert_request = change.request
    expert = expert_request.expert
    context = {
        "change": change,
        "expert_request": expert_request,
        "expert": expert,
        "name": _display_name(expert_request.member),
        "requests_url": absolute_url("experts:requests"),
    }
    if change.is_creation:
        subject = _("We've received your request for %(expert)s") % {"expert": expert.name}
        return EmailContent(
            subject=subject, template="experts/email/request_received", context=context
        )
    subject = _("Your request for %(expert)s: %(status)s") % {
        "expert": expert.name,
        "status": Status(change.to_status).label.lower(),
    }
    return EmailContent(subject=subject, template="experts/email/request_status", context=context)


@email_kind(STAFF_KIND)
def _staff_email(delivery: EmailDelivery) -> EmailContent | None:
    change = _change(delivery)
    if change is None:
        return None
    expert_request = change.request
    event = single_line(expert_request.event_name)
    if len(event) > 60:
        event = event[:59].rstrip() + "…"
    values = {"expert": expert_request.expert.name, "event": event}
    if change.is_creation:
        subject = _("New expert request: %(expert)s for “%(event)s”") % values
    else:
        subject = _("Expert request withdrawn: %(expert)s for “%(event)s”") % values
    return EmailContent(
        subject=subject,
        template="experts/email/staff_request",
        context={
            "change": change,
            "expert_request": expert_request,
            "expert": expert_request.expert,
            "member_name": _display_name(expert_request.member) or _("A member"),
            "admin_url": absolute_url(
                "admin:experts_expertrequest_change", object_id=expert_request.pk
            ),
        },
    )
