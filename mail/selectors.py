"""Reads about who receives which mail."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from mail.models import StreamSubscription
from mail.streams import STREAMS, StreamInfo

if TYPE_CHECKING:
    # The type only: at run time this app reaches the (swappable) user model through
    # `get_user_model()` and `settings.AUTH_USER_MODEL`, never by importing `members`.
    from members.models import User


def stream_subscription_status(subscription: StreamSubscription | None, info: StreamInfo) -> str:
    """A stream's effective status: the member's choice, or the stream's default."""
    if subscription is not None:
        return subscription.status
    return (
        StreamSubscription.Status.SUBSCRIBED
        if info.default_on
        else StreamSubscription.Status.UNSUBSCRIBED
    )


def stream_is_on(user: User, stream: str) -> bool:
    """Whether `user` receives `stream` now (a digest waiting for confirmation does not)."""
    subscription = StreamSubscription.objects.filter(user=user, stream=stream).first()
    status = stream_subscription_status(subscription, STREAMS[stream])
    return status == StreamSubscription.Status.SUBSCRIBED


def users_receiving(stream: str) -> QuerySet[User]:
    """Everyone who receives `stream`: one query, for fan-outs (invites, digests)."""
    info = STREAMS[stream]
    rows = StreamSubscription.objects.filter(stream=stream)
    if info.default_on:
        opted_out = rows.exclude(status=StreamSubscription.Status.SUBSCRIBED).values("user_id")
        return get_user_model().objects.filter(is_active=True).exclude(pk__in=opted_out)
    opted_in = rows.filter(status=StreamSubscription.Status.SUBSCRIBED).values("user_id")
    return get_user_model().objects.filter(is_active=True, pk__in=opted_in)


def email_preferences(user: User) -> list[dict[str, Any]]:
    """Each stream with its label, wording and the member's effective status, for settings."""
    subscriptions = {s.stream: s for s in StreamSubscription.objects.filter(user=user)}
    return [
        {
            "stream": stream,
            "info": info,
            "subscription": subscriptions.get(stream),
            "status": stream_subscription_status(subscriptions.get(stream), info),
        }
        for stream, info in STREAMS.items()
    ]
