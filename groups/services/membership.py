"""Joining and leaving groups, organisers, and members' proposals for new groups."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from audit import services as audit
from audit.models import Action, ActorKind
from groups.models import (
    Group,
    GroupMembership,
    GroupMembershipQuerySet,
    GroupProposal,
    ThreadFollow,
)
from mail.services import email_queue
from members.models import Interest, User

# Paths under /groups/ that a group's slug must never take.
RESERVED_SLUGS = {"propose", "unfollow", "proposals", "new"}


class GroupError(Exception):
    """A request the rules refuse; the message says why, for the member or staff."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class LastOrganiserError(GroupError):
    pass


def group_join(*, group: Group, user: User) -> bool:
    """Add `user` to `group`. Joining twice changes nothing; returns whether they were added.

    The unique (group, user) constraint settles a double click: the second insert fails
    inside `get_or_create`, which then finds the first row, so the count moves once.
    Not durable: joining is also a step of other services (`group_set_role`, the home
    page's picked groups).
    """
    with transaction.atomic():
        _membership, created = GroupMembership.objects.get_or_create(group=group, user=user)
        if created:
            Group.objects.filter(pk=group.pk).update(member_count=F("member_count") + 1)
    return created


def group_join_many(*, groups: Iterable[Group], user: User) -> list[Group]:
    """Add `user` to each of `groups` at once (a newcomer's picked groups, home.services);
    returns the groups they were added to, skipping those they are in already.

    One insert and one count update, whatever the number of groups. If a simultaneous join
    of one of them hits the unique (group, user) constraint, it falls back to `group_join`
    group by group, so each count still moves once. Not durable, like `group_join`.
    """
    groups = list(groups)
    joined = set(
        GroupMembership.objects.filter(user=user, group__in=groups).values_list(
            "group_id", flat=True
        )
    )
    new = [group for group in groups if group.pk not in joined]
    if not new:
        return []
    try:
        with transaction.atomic():
            GroupMembership.objects.bulk_create(
                [GroupMembership(group=group, user=user) for group in new]
            )
            Group.objects.filter(pk__in=[group.pk for group in new]).update(
                member_count=F("member_count") + 1
            )
    except IntegrityError:
        return [group for group in new if group_join(group=group, user=user)]
    return new


@transaction.atomic(durable=True)
def group_leave(*, group: Group, user: User) -> bool:
    """Remove `user` from `group`; leaving twice changes nothing. The last organiser can't.

    The group row is locked first, so two organisers leaving at the same moment are taken
    one after the other and the second is refused rather than leaving nobody in charge.
    An organiser who leaves gives up the role: that is written to the audit log.
    """
    Group.objects.select_for_update().filter(pk=group.pk).first()
    membership = GroupMembership.objects.filter(group=group, user=user).first()
    if membership is None:
        return False
    if membership.is_organiser and not _other_organisers(group, membership).exists():
        raise LastOrganiserError(
            _(
                "You're the only organiser of %(group)s, so you can't leave yet. Ask another "
                "member to become an organiser (write to us and we'll arrange it), then leave."
            )
            % {"group": group.name}
        )
    membership.delete()
    Group.objects.filter(pk=group.pk).update(member_count=F("member_count") - 1)
    if membership.is_organiser:
        _audit_role(
            group=group,
            user=user,
            before=membership.role,
            after=None,
            by=user,
            kind=ActorKind.ORGANISER,
            reason="Left the group",
        )
    # Nobody outside the group is emailed its discussion.
    ThreadFollow.objects.filter(thread__group=group, user=user).delete()
    return True


def _other_organisers(group: Group, membership: GroupMembership) -> GroupMembershipQuerySet:
    return GroupMembership.objects.organisers().filter(group=group).exclude(pk=membership.pk)


@transaction.atomic
def group_set_role(
    *, group: Group, user: User, role: str, by: User | None = None, reason: str = ""
) -> GroupMembership:
    """Make a member an organiser (joining them if needed), or an organiser a member again.

    `by` is the staff member deciding (None: the system, e.g. a console script); each change
    of role is written to the audit log. Not durable: the admin's group form calls it inside
    the transaction Django opens for the form.
    """
    Group.objects.select_for_update().filter(pk=group.pk).first()
    membership = GroupMembership.objects.filter(group=group, user=user).first()
    if membership is None:
        group_join(group=group, user=user)
        membership = GroupMembership.objects.get(group=group, user=user)
    if membership.role == role:
        return membership
    if role != GroupMembership.Role.ORGANISER and not _other_organisers(group, membership).exists():
        raise LastOrganiserError(
            _("%(group)s needs at least one organiser.") % {"group": group.name}
        )
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    _audit_role(group=group, user=user, before=before, after=role, by=by, reason=reason)
    return membership


@transaction.atomic
def group_member_remove(*, group: Group, user: User, by: User, reason: str = "") -> bool:
    """Staff take `user` out of `group` (the admin); an organiser's role change is recorded.

    Unlike `group_leave`, staff may remove the last organiser: the group's page then says it
    has none until staff name another. Returns whether they were in the group.
    """
    Group.objects.select_for_update().filter(pk=group.pk).first()
    membership = GroupMembership.objects.filter(group=group, user=user).first()
    if membership is None:
        return False
    membership.delete()
    Group.objects.filter(pk=group.pk).update(member_count=F("member_count") - 1)
    ThreadFollow.objects.filter(thread__group=group, user=user).delete()
    if membership.is_organiser:
        _audit_role(
            group=group, user=user, before=membership.role, after=None, by=by, reason=reason
        )
    return True


def _audit_role(
    *,
    group: Group,
    user: User,
    before: str | None,
    after: str | None,
    by: User | None,
    kind: ActorKind | None = None,
    reason: str = "",
) -> None:
    """One entry on the group: who became, or stopped being, one of its organisers."""
    organiser = GroupMembership.Role.ORGANISER
    if after == organiser:
        action = Action.GROUP_ORGANISER_ADDED
    elif before == organiser:
        action = Action.GROUP_ORGANISER_REMOVED
    else:
        return  # a member's role that isn't the organiser's: nothing to record
    if kind is None:
        kind = ActorKind.SYSTEM if by is None else ActorKind.STAFF
    audit.record(
        actor=by,
        actor_kind=kind,
        action=action,
        target=group,
        target_repr=_group_repr(group),
        # The member by number only: the log keeps no names (see audit.models).
        before={"user": user.pk, "role": before},
        after={"user": user.pk, "role": after},
        reason=reason,
    )


def _group_repr(group: Group) -> str:
    return f"group “{group.name}”"


# --- Staff edits ---------------------------------------------------------------------------

AUDITED_GROUP_FIELDS = ("name", "slug", "summary", "details", "city", "cover", "is_published")


@transaction.atomic
def group_save(*, group: Group, by: User | None = None) -> Group:
    """Create or update a group from staff's form; the change is written to the audit log.

    One entry per save: published or unpublished when that flag changed, else created or
    changed, with the fields that changed. Not durable: the admin calls it inside the
    transaction Django opens for the form.
    """
    current = Group.objects.select_for_update().filter(pk=group.pk).first() if group.pk else None
    before = audit.snapshot(current, AUDITED_GROUP_FIELDS) if current else {}
    group.save()
    after = audit.snapshot(group, AUDITED_GROUP_FIELDS)
    if current is None:
        action, was, now_is = Action.GROUP_CREATED, None, after
    else:
        was, now_is = audit.changes(before, after)
        if not now_is:
            return group
        action = _publishing_action(now_is, default=Action.GROUP_CHANGED)
    audit.record(
        actor=by,
        actor_kind=ActorKind.SYSTEM if by is None else ActorKind.STAFF,
        action=action,
        target=group,
        target_repr=_group_repr(group),
        before=was,
        after=now_is,
    )
    return group


@transaction.atomic(durable=True)
def group_set_published(*, group: Group, published: bool, by: User) -> bool:
    """Publish or unpublish a group (staff); returns whether it changed."""
    group = Group.objects.select_for_update().get(pk=group.pk)
    if group.is_published == published:
        return False
    group.is_published = published
    group.save(update_fields=["is_published", "updated_at"])
    audit.record(
        actor=by,
        actor_kind=ActorKind.STAFF,
        action=Action.GROUP_PUBLISHED if published else Action.GROUP_UNPUBLISHED,
        target=group,
        target_repr=_group_repr(group),
        before={"is_published": not published},
        after={"is_published": published},
    )
    return True


def _publishing_action(after: dict[str, Any], *, default: Action) -> Action:
    if "is_published" not in after:
        return default
    return Action.GROUP_PUBLISHED if after["is_published"] else Action.GROUP_UNPUBLISHED


def group_recount_members(*, group: Group) -> int:
    """Set the stored member count from the rows (after staff edit memberships in the admin)."""
    count = GroupMembership.objects.filter(group=group).count()
    Group.objects.filter(pk=group.pk).update(member_count=count)
    return count


# --- Proposals -----------------------------------------------------------------------------


def group_proposal_create(
    *,
    proposer: User,
    name: str,
    summary: str,
    details: str = "",
    city: str = "",
    interests: Iterable[Interest],
) -> GroupProposal:
    """Record a member's idea for a group for staff to decide on (a few open at a time)."""
    with transaction.atomic(durable=True):
        # One proposer's submissions are taken one at a time, so the cap holds.
        User.objects.select_for_update().filter(pk=proposer.pk).first()
        pending = GroupProposal.objects.filter(
            proposer=proposer, status=GroupProposal.Status.PENDING
        ).count()
        if pending >= GroupProposal.MAX_PENDING:
            raise GroupError(
                _(
                    "You already have %(count)d proposals waiting for a decision. We'll get "
                    "back to you about those first."
                )
                % {"count": pending}
            )
        proposal = GroupProposal.objects.create(
            proposer=proposer,
            name=" ".join(name.split()),
            summary=" ".join(summary.split()),
            details=details.strip(),
            city=" ".join(city.split()),
        )
        proposal.interests.set(interests)
    return proposal


def unique_group_slug(name: str) -> str:
    base = slugify(name)[:120].strip("-") or "group"
    slug, n = base, 2
    while slug in RESERVED_SLUGS or Group.objects.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


@transaction.atomic(durable=True)
def group_proposal_approve(*, proposal: GroupProposal, decided_by: User) -> Group:
    """Create the proposed group with the proposer as its organiser, and tell them.

    Approving an approved proposal returns its group again; a declined one is refused.
    """
    proposal = GroupProposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status == GroupProposal.Status.APPROVED and proposal.group is not None:
        return proposal.group
    if proposal.status != GroupProposal.Status.PENDING:
        raise GroupError(_("“%(name)s” was already declined.") % {"name": proposal.name})
    group = Group.objects.create(
        name=proposal.name,
        slug=unique_group_slug(proposal.name),
        summary=proposal.summary,
        details=proposal.details,
        city=proposal.city,
    )
    group.interests.set(proposal.interests.all())
    GroupMembership.objects.create(
        group=group, user=proposal.proposer, role=GroupMembership.Role.ORGANISER
    )
    Group.objects.filter(pk=group.pk).update(member_count=F("member_count") + 1)
    _decide(proposal, GroupProposal.Status.APPROVED, decided_by, group=group)
    audit.record(
        actor=decided_by,
        actor_kind=ActorKind.STAFF,
        action=Action.GROUP_CREATED,
        target=group,
        target_repr=_group_repr(group),
        after={
            **audit.snapshot(group, AUDITED_GROUP_FIELDS),
            "proposal": proposal.pk,
            "organiser": proposal.proposer_id,
        },
        reason="A member's proposal, approved",
    )
    return group


@transaction.atomic(durable=True)
def group_proposal_decline(*, proposal: GroupProposal, decided_by: User, note: str = "") -> bool:
    """Decline a pending proposal and tell the member; False if it was decided already."""
    proposal = GroupProposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != GroupProposal.Status.PENDING:
        return False
    if note:
        proposal.decision_note = note.strip()
    _decide(proposal, GroupProposal.Status.DECLINED, decided_by)
    return True


def _decide(
    proposal: GroupProposal, status: str, decided_by: User, group: Group | None = None
) -> None:
    proposal.status = status
    proposal.decided_by = decided_by
    proposal.decided_at = timezone.now()
    proposal.group = group
    proposal.save(update_fields=["status", "decided_by", "decided_at", "group", "decision_note"])
    proposer = proposal.proposer
    email_queue(
        kind="groups_proposal_decided",
        to_email=proposer.email,
        user=proposer,
        dedupe_key=f"groups_proposal_decided:{proposal.pk}",
        payload={"proposal": proposal.pk},
    )


@transaction.atomic
def member_erase(*, user: User) -> int:
    """Take a departing member out of every group, keeping the stored counts right.

    Unlike `group_leave`, the last organiser may go too (their account is being erased); their
    posts stay in the threads with the words removed, so conversations still read in order.
    """
    from groups.models import Post

    group_ids = list(GroupMembership.objects.filter(user=user).values_list("group_id", flat=True))
    GroupMembership.objects.filter(user=user).delete()
    Group.objects.filter(pk__in=group_ids).update(member_count=F("member_count") - 1)
    Post.objects.filter(author=user).update(body="[Removed at the member's request]")
    return len(group_ids)
