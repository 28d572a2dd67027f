from datetime import datetime, timedelta

import factory
from django.utils import timezone

from events.models import RSVP, Event, EventSpeaker
from groups.models import Group, GroupMembership
from members.models import Interest
from tests.factories import ModelFactory
from tests.members.factories import UserFactory, make_active_member


def in_days(days: float, *, hour: int = 18) -> datetime:
    """An aware time `days` from now at `hour` o'clock (site time)."""
    local = timezone.localtime() + timedelta(days=days)
    return local.replace(hour=hour, minute=30, second=0, microsecond=0)


class GroupFactory(ModelFactory[Group]):
    class Meta:
        model = Group
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Test group {n}")
    slug = factory.Sequence(lambda n: f"test-group-{n}")
    summary = "People who meet to talk shop."
    city = "Leeds"

    @factory.post_generation
    def interests(self, create, extracted, **kwargs):
        if create and extracted:
            self.interests.set(extracted)


class EventFactory(ModelFactory[Event]):
    """A published event a week from now, 90 minutes long, with no limit on places."""

    class Meta:
        model = Event
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Business breakfast {n}")
    slug = factory.Sequence(lambda n: f"business-breakfast-{n}")
    description = "Coffee, pastries and an hour of talking shop. No pitching."
    starts_at = factory.LazyFunction(lambda: in_days(7))
    ends_at = factory.LazyAttribute(lambda e: e.starts_at + timedelta(minutes=90))
    venue_name = "The Corn Exchange Café"
    venue_address = "Call Lane, Leeds LS1 7BR"
    city = "Leeds"
    is_published = True

    @factory.post_generation
    def interests(self, create, extracted, **kwargs):
        if create and extracted:
            self.interests.set(extracted)

    @factory.post_generation
    def speakers(self, create, extracted, **kwargs):
        if create and extracted:
            for position, expert in enumerate(extracted):
                EventSpeaker.objects.create(event=self, expert=expert, position=position)


def active_member(**kwargs):
    user = UserFactory(**kwargs)
    make_active_member(user)
    return user


def organiser_of(group: Group, **kwargs):
    user = active_member(**kwargs)
    GroupMembership.objects.create(group=group, user=user, role=GroupMembership.Role.ORGANISER)
    return user


def join_group(group: Group, user) -> None:
    GroupMembership.objects.create(group=group, user=user)


def statuses(event) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in RSVP.objects.filter(event=event).values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts


def waitlist_names(event) -> list[int]:
    """Member ids in queue order."""
    return list(
        RSVP.objects.filter(event=event).in_queue_order().values_list("member_id", flat=True)
    )


def interest(slug: str) -> Interest:
    return Interest.objects.get(slug=slug)
