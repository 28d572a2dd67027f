"""Writes for the newcomer's path: choosing groups before joining, and joining them after.

Each is called from a view and commits its own transaction (`durable=True`, as the README
asks of services a view calls)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from billing.selectors import member_is_active
from groups.models import Group
from groups.services import group_join_many
from home.models import GroupPick
from members.models import User


class NotYetMember(Exception):
    """Joining groups is for paying members: the picks wait until then."""


def group_pick(*, user: User, group: Group) -> bool:
    """Keep `group` for `user` to join once they are a member; returns whether it is new.

    Picking twice changes nothing: the unique (user, group) constraint settles a double
    click, and the second press finds the first pick.
    """
    try:
        with transaction.atomic(durable=True):
            _pick, created = GroupPick.objects.get_or_create(user=user, group=group)
    except IntegrityError:
        return False  # a simultaneous press picked it first
    return created


@transaction.atomic(durable=True)
def group_unpick(*, user: User, group: Group) -> bool:
    """Take a pick back; returns whether there was one."""
    deleted, _by_model = GroupPick.objects.filter(user=user, group=group).delete()
    return bool(deleted)


@transaction.atomic(durable=True)
def picked_groups_join(*, user: User) -> list[Group]:
    """Join every published group `user` picked before becoming a member, and forget the
    picks; returns the groups joined now (ones they are in already are skipped quietly).

    The picks are locked first, so two presses at once join each group once (and the join
    itself is idempotent behind the group membership's unique constraint).
    """
    if not member_is_active(user):
        raise NotYetMember
    picks = list(
        GroupPick.objects.select_for_update(of=("self",))
        .filter(user=user)
        .select_related("group")
        .order_by("created_at", "pk")
    )
    joined = group_join_many(
        groups=[pick.group for pick in picks if pick.group.is_published], user=user
    )
    GroupPick.objects.filter(pk__in=[pick.pk for pick in picks]).delete()
    return joined
