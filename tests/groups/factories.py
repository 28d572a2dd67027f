"""Factories for groups and their discussion."""

from datetime import timedelta

import factory
from django.utils import timezone

from groups.models import Group, GroupMembership, GroupProposal, Post, Thread
from members.models import Interest
from tests.factories import ModelFactory
from tests.members.factories import UserFactory, make_active_member


class GroupFactory(ModelFactory[Group]):
    class Meta:
        model = Group
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Group {n:04d}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))
    summary = "Friendly people meeting for coffee and a chat."
    details = "First Tuesday of the month at the Corn Exchange café."
    city = "Leeds"

    @factory.post_generation
    def interests(self, create, extracted, **kwargs):
        if create and extracted:
            self.interests.set(extracted)


def interest(slug: str) -> Interest:
    return Interest.objects.get(slug=slug)


def add_member(group: Group, user=None, *, role=GroupMembership.Role.MEMBER, active=True):
    """Put `user` (a new active member by default) in `group`, keeping the stored count."""
    from groups.services import group_join

    if user is None:
        user = UserFactory()
        if active:
            make_active_member(user)
    group_join(group=group, user=user)
    if role != GroupMembership.Role.MEMBER:
        GroupMembership.objects.filter(group=group, user=user).update(role=role)
    group.refresh_from_db()
    return user


def established(user, *, days: int = 30):
    """Make `user` an account older than the new-member link rule."""
    user.date_joined = timezone.now() - timedelta(days=days)
    user.save(update_fields=["date_joined"])
    return user


class ThreadFactory(ModelFactory[Thread]):
    class Meta:
        model = Thread

    group = factory.SubFactory(GroupFactory)
    author = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Conversation {n}")


class PostFactory(ModelFactory[Post]):
    class Meta:
        model = Post

    thread = factory.SubFactory(ThreadFactory)
    author = factory.LazyAttribute(lambda o: o.thread.author)
    body = factory.Sequence(lambda n: f"A friendly message number {n}.")


def thread_with_opening(group, author, *, title="Hello everyone", body="Nice to meet you all."):
    thread = ThreadFactory(group=group, author=author, title=title)
    PostFactory(thread=thread, author=author, body=body, is_opening=True)
    return thread


class GroupProposalFactory(ModelFactory[GroupProposal]):
    class Meta:
        model = GroupProposal
        skip_postgeneration_save = True

    proposer = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Proposed group {n}")
    summary = "A new group for people who like walking and talking."
    city = "York"

    @factory.post_generation
    def interests(self, create, extracted, **kwargs):
        if create and extracted:
            self.interests.set(extracted)


def named(user, display_name: str, **profile_fields):
    """Give `user`'s profile a display name (and any other profile fields)."""
    user.profile.display_name = display_name
    for name, value in profile_fields.items():
        setattr(user.profile, name, value)
    user.profile.save()
    return user
