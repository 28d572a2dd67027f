"""Members' email: introductions and staff enrolment links."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from mail.emails import EmailContent, absolute_url, email_kind

if TYPE_CHECKING:
    from mail.models import EmailDelivery


@email_kind("intro_request")
def _intro_request(delivery: EmailDelivery) -> EmailContent | None:
    from members.models import IntroRequest

    intro = (
        IntroRequest.objects.select_related("sender__profile")
        .filter(pk=delivery.payload.get("intro"), status=IntroRequest.Status.PENDING)
        .first()
    )
    if intro is None:
        return None  # withdrawn or answered before we got to it
    name = intro.sender.profile.display_name
    return EmailContent(
        subject=_("%(name)s would like to be introduced") % {"name": name},
        template="members/email/intro_request",
        context={"intro": intro, "name": name, "intros_url": absolute_url("members:intros")},
    )


@email_kind("intro_accepted")
def _intro_accepted(delivery: EmailDelivery) -> EmailContent | None:
    from members.models import IntroRequest

    intro = (
        IntroRequest.objects.select_related("recipient__profile")
        .filter(pk=delivery.payload.get("intro"), status=IntroRequest.Status.ACCEPTED)
        .first()
    )
    if intro is None:
        return None
    name = intro.recipient.profile.display_name
    return EmailContent(
        subject=_("%(name)s accepted your introduction") % {"name": name},
        template="members/email/intro_accepted",
        context={"intro": intro, "name": name, "intros_url": absolute_url("members:intros")},
    )


@email_kind("staff_enrolment")
def _staff_enrolment(delivery: EmailDelivery) -> EmailContent | None:
    from members.models import StaffEnrolment
    from members.staff import enrolment_token

    enrolment = StaffEnrolment.objects.usable().filter(pk=delivery.payload.get("enrolment")).first()
    if enrolment is None:
        return None  # used, replaced by a newer link, or expired before we got to it
    return EmailContent(
        subject=_("Set up two-factor authentication for your Mutual staff account"),
        template="members/email/staff_enrolment",
        context={
            "granted": enrolment.reason == StaffEnrolment.Reason.GRANTED,
            "valid_days": (enrolment.expires_at - enrolment.created_at).days,
            "enrol_url": absolute_url("members:staff_enrol", token=enrolment_token(enrolment)),
        },
    )
