"""Consent-first introductions between members."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from mail.services import email_queue
from mail.streams import Stream
from members.models import IntroRequest, User
from members.selectors import intro_offer


class IntroRefused(Exception):
    """The introduction can't be requested or answered; the message says why."""


@transaction.atomic
def intro_request_create(
    *, sender: User, recipient: User, note: str, sender_contact: str
) -> IntroRequest:
    """Ask `recipient` for an introduction. Repeating an open request returns it unchanged.

    Raises `IntroRefused` with the reason `members.selectors.intro_offer` gives, the same
    rule the profile page uses to offer the button or say why not.
    """
    # One request at a time per sender: the daily count the rule makes can't be raced past.
    User.objects.select_for_update().filter(pk=sender.pk).first()
    offer = intro_offer(sender=sender, recipient=recipient)
    if offer.pending is not None:
        return offer.pending
    if not offer.allowed:
        raise IntroRefused(offer.refusal)
    try:
        with transaction.atomic():
            intro = IntroRequest.objects.create(
                sender=sender,
                recipient=recipient,
                note=note.strip(),
                sender_contact=sender_contact.strip(),
            )
    except IntegrityError:
        return IntroRequest.objects.get(
            sender=sender, recipient=recipient, status=IntroRequest.Status.PENDING
        )
    email_queue(
        kind="intro_request",
        to_email=recipient.email,
        user=recipient,
        stream=Stream.INTRO_REQUESTS,
        dedupe_key=f"intro_request:{intro.pk}",
        payload={"intro": intro.pk},
    )
    return intro


@transaction.atomic
def intro_request_answer(
    *, intro: IntroRequest, by: User, accept: bool, recipient_contact: str = ""
) -> IntroRequest:
    """The recipient accepts (sharing a contact detail) or declines. Answering twice is refused."""
    intro = IntroRequest.objects.select_for_update().get(pk=intro.pk)
    if intro.recipient_id != by.pk:
        raise IntroRefused("Only the person asked can answer this introduction.")
    if intro.status != IntroRequest.Status.PENDING:
        if (intro.status == IntroRequest.Status.ACCEPTED) == accept:
            return intro  # the same answer again: nothing to do
        raise IntroRefused("You've already answered this introduction.")
    intro.status = IntroRequest.Status.ACCEPTED if accept else IntroRequest.Status.DECLINED
    intro.recipient_contact = recipient_contact.strip() if accept else ""
    intro.responded_at = timezone.now()
    intro.save(update_fields=["status", "recipient_contact", "responded_at"])
    if accept:
        email_queue(
            kind="intro_accepted",
            to_email=intro.sender.email,
            user=intro.sender,
            dedupe_key=f"intro_accepted:{intro.pk}",
            payload={"intro": intro.pk},
        )
    return intro


@transaction.atomic
def intro_request_withdraw(*, intro: IntroRequest, by: User) -> IntroRequest:
    intro = IntroRequest.objects.select_for_update().get(pk=intro.pk)
    if intro.sender_id != by.pk:
        raise IntroRefused("Only the person who asked can withdraw this introduction.")
    if intro.status == IntroRequest.Status.PENDING:
        intro.status = IntroRequest.Status.WITHDRAWN
        intro.responded_at = timezone.now()
        intro.save(update_fields=["status", "responded_at"])
    return intro
