"""Everything Mutual holds about one member, for them to download."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from billing.models import Membership
from discounts.models import Redemption
from events.models import RSVP
from experts.models import ExpertRequest
from groups.models import GroupMembership, Post
from mail.models import ConsentEvent, StreamSubscription
from members.models import IntroRequest, User


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def member_export(user: User) -> dict[str, Any]:
    """A JSON-ready copy of the member's own data (never anyone else's contact details)."""
    profile = getattr(user, "profile", None)
    membership = Membership.objects.filter(user=user).first()
    data: dict[str, Any] = {
        "exported_at": timezone.now().isoformat(),
        "account": {
            "email": user.email,
            "joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
        },
        "profile": None,
        "interests": [],
        "membership": None,
        "email_choices": [
            {"stream": s.stream, "status": s.status, "frequency": s.frequency}
            for s in StreamSubscription.objects.filter(user=user)
        ],
        "consents": [
            {
                "stream": e.stream,
                "action": e.action,
                "source": e.source,
                "wording_version": e.wording_version,
                "wording": e.wording,
                "at": _iso(e.created_at),
            }
            for e in ConsentEvent.objects.filter(user=user).order_by("created_at", "pk")
        ],
        "groups": [
            {"group": m.group.name, "role": m.role, "joined": _iso(m.joined_at)}
            for m in GroupMembership.objects.filter(user=user).select_related("group")
        ],
        "posts": [
            {
                "group": p.thread.group.name,
                "thread": p.thread.title,
                "body": p.body,
                "at": _iso(p.created_at),
                "hidden": p.is_hidden,
            }
            for p in Post.objects.filter(author=user).select_related("thread__group")
        ],
        "introductions": [
            {
                "direction": "sent" if i.sender_id == user.pk else "received",
                "with": (i.recipient if i.sender_id == user.pk else i.sender).profile.display_name,
                "note": i.note,
                "status": i.status,
                "you_shared": i.sender_contact if i.sender_id == user.pk else i.recipient_contact,
                "at": _iso(i.created_at),
            }
            for i in IntroRequest.objects.involving(user).select_related(
                "sender__profile", "recipient__profile"
            )
        ],
        "expert_requests": [
            {
                "expert": r.expert.name,
                "event_name": r.event_name,
                "event_date": _iso(r.event_date),
                "status": r.status,
                "message": r.message,
                "at": _iso(r.created_at),
            }
            for r in ExpertRequest.objects.filter(member=user).select_related("expert")
        ],
        "redemptions": [
            {"offer": r.offer.title, "code": r.code_text, "at": _iso(r.created_at)}
            for r in Redemption.objects.filter(member=user).select_related("offer")
        ],
        "rsvps": [
            {
                "event": r.event.title,
                "starts_at": _iso(r.event.starts_at),
                "status": r.status,
                "guests": r.guests,
                "attended": r.attended,
                "checked_in_at": _iso(r.checked_in_at),
                "replied_at": _iso(r.created_at),
            }
            for r in RSVP.objects.filter(member=user).select_related("event")
        ],
    }
    if profile is not None:
        data["profile"] = {
            "display_name": profile.display_name,
            "handle": profile.handle,
            "headline": profile.headline,
            "bio": profile.bio,
            "city": profile.city,
            "website": profile.website,
            "open_to": profile.open_to,
            "in_directory": profile.in_directory,
            "shown_on_whos_going_lists": profile.shows_attending,
            "photo": profile.photo.url if profile.photo else None,
            "contact_details": profile.contact_details,
        }
        data["interests"] = list(profile.interests.values_list("name", flat=True))
    if membership is not None:
        data["membership"] = {
            "status": membership.status,
            "current_period_end": _iso(membership.current_period_end),
            "cancel_at_period_end": membership.cancel_at_period_end,
            "stripe_customer": membership.stripe_customer_id,
            "stripe_subscription": membership.stripe_subscription_id,
        }
    return data
