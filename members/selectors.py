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


def directory_profiles(
    *, viewer: User, q: str = "", interest: str = "", city: str = "", open_to: str = ""
):
    """Profiles in the directory: active paying members who chose to appear, never the viewer.

    Filters by a search term, an interest slug, a town and what they are open to.
    """
    from django.db.models import Count, Q

    from members.models import OPEN_TO_FIELDS, Profile

    profiles = (
        Profile.objects.in_directory()
        .filter(user__membership__in=Membership.objects.active())
        .exclude(user=viewer)
    )
    if q:
        profiles = profiles.filter(
            Q(display_name__icontains=q) | Q(headline__icontains=q) | Q(bio__icontains=q)
        )
    if interest:
        # A subquery, not a join: a join would also narrow the shared-interest count below.
        tagged = Profile.interests.through.objects.filter(interest__slug=interest)
        profiles = profiles.filter(pk__in=tagged.values("profile_id"))
    if city:
        profiles = profiles.filter(city__iexact=city)
    if open_to and f"open_to_{open_to}" in OPEN_TO_FIELDS:
        profiles = profiles.filter(**{f"open_to_{open_to}": True})
    viewer_interests = viewer.profile.interests.values("pk") if hasattr(viewer, "profile") else []
    return (
        profiles.annotate(
            shared_count=Count("interests", filter=Q(interests__in=viewer_interests), distinct=True)
        )
        .prefetch_related("interests")
        .order_by("-shared_count", "display_name", "pk")
    )
