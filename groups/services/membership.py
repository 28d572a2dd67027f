"""Joining and leaving groups, organisers, and members' proposals for new groups."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

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
    """
    with transaction.atomic():
        _membership, created = GroupMembership.objects.get_or_create(group=group, user=user)
        if created:
            Group.objects.filter(pk=group.pk).update(member_count=F("member_count") + 1)
    return created


@transaction.atomic
def group_leave(*, group: Group, user: User) -> bool:
    """Remove `user` from `group`; leaving twice changes nothing. The last organiser can't.

    The group row is locked first, so two organisers leaving at the same moment are taken
    one after the other and the second is refused rather than leaving nobody in charge.
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
    # Nobody outside the group is emailed its discussion.
    ThreadFollow.objects.filter(thread__group=group, user=user).delete()
    return True


def _other_organisers(group: Group, membership: GroupMembership) -> GroupMembershipQuerySet:
    return GroupMembership.objects.organisers().filter(group=group).exclude(pk=membership.pk)


@transaction.atomic
def group_set_role(*, group: Group, user: User, role: str) -> GroupMembership:
    """Make a member an organiser (joining them if needed), or an organiser a member again."""
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
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


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
    with transaction.atomic():
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


@transaction.atomic
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
    return group


@transaction.atomic
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
