"""Reads about members that several apps need."""

from members.email_streams import STREAMS, StreamInfo
from members.models import Membership, StreamSubscription, User


def membership_of(user: User) -> Membership | None:
    """The user's membership row, if they ever started one (cached on the user object)."""
    if not user.is_authenticated:
        return None
    try:
        return user.membership
    except Membership.DoesNotExist:
        return None


def member_is_active(user: User) -> bool:
    """The one answer to "is this person a paying member right now?" (see the contract)."""
    membership = membership_of(user)
    return membership is not None and membership.is_active()


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


def users_receiving(stream: str):
    """Everyone who receives `stream`: one query, for fan-outs (invites, digests)."""
    info = STREAMS[stream]
    rows = StreamSubscription.objects.filter(stream=stream)
    if info.default_on:
        opted_out = rows.exclude(status=StreamSubscription.Status.SUBSCRIBED).values("user_id")
        return User.objects.filter(is_active=True).exclude(pk__in=opted_out)
    opted_in = rows.filter(status=StreamSubscription.Status.SUBSCRIBED).values("user_id")
    return User.objects.filter(is_active=True, pk__in=opted_in)


def email_preferences(user: User) -> list[dict]:
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
