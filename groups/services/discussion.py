"""A group's discussion: threads, replies, following, reports and moderation.

Every post passes `groups.antispam` first. A post the checks doubt is saved hidden for staff
review (it never appears, and nobody is emailed about it); a post that breaks a rule the
member can fix is refused with a message; a filled honeypot is dropped without a trace.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import services as audit
from audit.models import Action
from billing.models import Membership
from billing.selectors import member_is_active
from groups import antispam
from groups.antispam import PostRefused
from groups.models import Group, GroupMembership, Post, PostReport, Thread, ThreadFollow
from groups.selectors import can_moderate, display_name
from mail.services import email_queue_many
from members.models import User
from members.staff import actor_kind_of, acts_as_staff

logger = logging.getLogger(__name__)

# Open reports from this many different members hide a post until staff look at it.
REPORTS_TO_HIDE = 3


@dataclass(frozen=True)
class PostOutcome:
    post: Post | None
    dropped: bool = False  # the honeypot was filled: nothing was saved

    @property
    def held(self) -> bool:
        """Saved, but hidden until staff review it."""
        return self.post is not None and self.post.is_hidden


def _require_participant(*, group: Group, user: User) -> None:
    if not member_is_active(user):
        raise PostRefused(_("The discussion is for paying members. Rejoin Mutual to take part."))
    if not GroupMembership.objects.filter(group=group, user=user).exists():
        raise PostRefused(_("Join the group to take part in its discussion."))


def _screen(
    *, group: Group, author: User, text: str, user_ip: str, user_agent: str, permalink: str
) -> antispam.Verdict:
    """The refusals, then the holding checks (the Akismet call runs outside any transaction)."""
    _require_participant(group=group, user=author)
    antispam.check_contact_details(text)
    antispam.check_links(text=text, user=author)
    antispam.check_rate_limits(user_id=author.pk)
    return antispam.assess(
        antispam.Submission(
            content=text,
            author_name=display_name(author),
            user_ip=user_ip,
            user_agent=user_agent,
            permalink=permalink,
        )
    )


def _hidden_fields(verdict: antispam.Verdict, now: datetime) -> dict[str, Any]:
    if not verdict.hold:
        return {}
    return {
        "is_hidden": True,
        "hidden_reason": Post.HiddenReason.HELD,
        "hidden_at": now,
        "spam_flags": ",".join(verdict.flags),
    }


def thread_create(
    *,
    group: Group,
    author: User,
    title: str,
    body: str,
    follow: bool = False,
    honeypot: str = "",
    user_ip: str = "",
    user_agent: str = "",
) -> PostOutcome:
    """Start a thread with its opening post. Raises `PostRefused` with a message to show."""
    if antispam.honeypot_filled(honeypot):
        logger.info("Dropped a new thread with the honeypot filled", extra={"group_id": group.pk})
        return PostOutcome(post=None, dropped=True)
    title = " ".join(title.split())
    body = body.strip()
    verdict = _screen(
        group=group,
        author=author,
        text=f"{title}\n{body}",
        user_ip=user_ip,
        user_agent=user_agent,
        permalink=group.get_absolute_url(),
    )
    now = timezone.now()
    hidden = _hidden_fields(verdict, now)
    with transaction.atomic(durable=True):
        thread = Thread.objects.create(
            group=group,
            author=author,
            title=title,
            is_hidden=bool(hidden),
            created_at=now,
            last_post_at=now,
        )
        post = Post.objects.create(
            thread=thread, author=author, body=body, is_opening=True, created_at=now, **hidden
        )
        if not hidden:
            Group.objects.filter(pk=group.pk).update(last_activity_at=now)
        if follow:
            ThreadFollow.objects.get_or_create(thread=thread, user=author)
    return PostOutcome(post=post)


def post_create(
    *,
    thread: Thread,
    author: User,
    body: str,
    follow: bool = False,
    honeypot: str = "",
    user_ip: str = "",
    user_agent: str = "",
) -> PostOutcome:
    """Reply to a thread; followers hear about it once it commits (if it isn't held)."""
    if antispam.honeypot_filled(honeypot):
        logger.info("Dropped a reply with the honeypot filled", extra={"thread_id": thread.pk})
        return PostOutcome(post=None, dropped=True)
    if thread.is_hidden:
        raise PostRefused(_("This conversation is closed."))
    body = body.strip()
    verdict = _screen(
        group=thread.group,
        author=author,
        text=body,
        user_ip=user_ip,
        user_agent=user_agent,
        permalink=thread.get_absolute_url(),
    )
    now = timezone.now()
    hidden = _hidden_fields(verdict, now)
    with transaction.atomic(durable=True):
        post = Post.objects.create(
            thread=thread, author=author, body=body, created_at=now, **hidden
        )
        if not hidden:
            _mark_activity(post, now)
        if follow:
            ThreadFollow.objects.get_or_create(thread=thread, user=author)
    return PostOutcome(post=post)


def _mark_activity(post: Post, now: datetime) -> None:
    """A post became visible: bump its thread and group, and tell followers after commit."""
    from groups.tasks import post_notify_followers_task

    Thread.objects.filter(pk=post.thread_id).update(last_post_at=now)
    Group.objects.filter(pk=post.thread.group_id).update(last_activity_at=now)
    if not post.is_opening:
        # celery-types types shared_task as Task; the app's task_cls is DjangoTask (on commit).
        post_notify_followers_task.delay_on_commit(post.pk)  # type: ignore[attr-defined]


def post_notify_followers(*, post_id: int) -> int:
    """Queue one email per follower of the post's thread (not its author). Returns how many.

    Only followers who are still in the group and paying members are written to; the
    outbox's unique key (post, follower) makes a repeated task queue nothing twice.
    """
    post = (
        Post.objects.select_related("thread")
        .filter(pk=post_id, is_hidden=False, thread__is_hidden=False)
        .first()
    )
    if post is None:
        return 0
    in_group = GroupMembership.objects.filter(group_id=post.thread.group_id, user=OuterRef("pk"))
    recipients = (
        User.objects.filter(
            is_active=True,
            thread_follows__thread_id=post.thread_id,
            membership__in=Membership.objects.active(),
        )
        .filter(Exists(in_group))
        .only("pk", "email")
    )
    if post.author_id is not None:  # a former member's post has no author to leave out
        recipients = recipients.exclude(pk=post.author_id)
    rows = [
        {
            "kind": "groups_reply",
            "to_email": user.email,
            "user": user,
            "stream": "",
            "dedupe_key": f"groups_reply:{post.pk}:{user.pk}",
            "payload": {"post": post.pk},
        }
        for user in recipients
    ]
    return len(email_queue_many(rows)) if rows else 0


def thread_follow(*, thread: Thread, user: User) -> bool:
    _require_participant(group=thread.group, user=user)
    _follow, created = ThreadFollow.objects.get_or_create(thread=thread, user=user)
    return created


def thread_unfollow(*, thread: Thread, user: User) -> bool:
    deleted, _rows = ThreadFollow.objects.filter(thread=thread, user=user).delete()
    return bool(deleted)


# --- Reports and moderation ----------------------------------------------------------------


@transaction.atomic(durable=True)
def post_report(*, post: Post, reporter: User, reason: str) -> bool:
    """Report a post to the moderators; once per member. Returns whether it was new.

    When enough different members have reported it, the post is hidden until staff decide
    (written to the audit log as the system's doing, the reports being its reason).
    The post row is locked so simultaneous reports count up one at a time.
    """
    if post.author_id == reporter.pk:
        raise PostRefused(_("That's your own post: you can't report it."))
    if reason not in PostReport.Reason.values:
        raise PostRefused(_("Please choose why you're reporting this post."))
    post = Post.objects.select_for_update().select_related("thread__group").get(pk=post.pk)
    _report, created = PostReport.objects.get_or_create(
        post=post, reporter=reporter, defaults={"reason": reason}
    )
    if created and not post.is_hidden:
        open_reports = PostReport.objects.filter(post=post, resolved_at__isnull=True).count()
        if open_reports >= REPORTS_TO_HIDE:
            before = _moderation_state(post)
            _hide(post, reason=Post.HiddenReason.REPORTED, by=None)
            _audit(
                post,
                by=None,
                action=Action.POST_HIDDEN,
                before=before,
                reason=f"Reported by {open_reports} members",
            )
    return created


@transaction.atomic(durable=True)
def post_hide(*, post: Post, by: User, reason: str) -> bool:
    """Hide a post (organisers of its group and staff). Staff's decision closes its reports.

    Each hide, or staff's decision on a hidden post's reports, leaves one audit entry.
    """
    post = Post.objects.select_for_update().select_related("thread__group").get(pk=post.pk)
    if not can_moderate(user=by, group=post.thread.group):
        raise PermissionDenied("Only the group's organisers and staff can hide posts.")
    if reason not in Post.HiddenReason.values:
        raise PostRefused(_("Please choose why you're hiding this post."))
    before = _moderation_state(post)
    changed = not post.is_hidden or (acts_as_staff(by) and post.hidden_reason != reason)
    if changed:
        _hide(post, reason=reason, by=by)
    resolved = _mark_reviewed(post, by) if acts_as_staff(by) else 0
    if changed or resolved:
        _audit(
            post,
            by=by,
            action=Action.POST_HIDDEN,
            before=before,
            reason=str(Post.HiddenReason(reason).label),
        )
    return changed


@transaction.atomic(durable=True)
def post_approve(*, post: Post, by: User) -> bool:
    """Show a post again, or keep it shown, and close its reports. Returns whether it changed.

    Staff decide on anything; organisers may undo only a hide by a moderator, not what the
    spam checks or members' reports held back for staff. Who hid it and when stay on the
    post (`hidden_by`, `hidden_at`: the last hide), and in the audit log with the approval.
    """
    post = Post.objects.select_for_update().select_related("thread__group").get(pk=post.pk)
    if not can_moderate(user=by, group=post.thread.group):
        raise PermissionDenied("Only the group's organisers and staff can restore posts.")
    automatic = post.hidden_reason in (Post.HiddenReason.HELD, Post.HiddenReason.REPORTED)
    if not acts_as_staff(by) and (automatic or not post.is_hidden):
        raise PermissionDenied("Posts held for review are for staff to decide.")
    before = _moderation_state(post)
    changed = post.is_hidden
    was_held = post.hidden_reason == Post.HiddenReason.HELD
    if changed:
        post.is_hidden = False
        post.hidden_reason = ""
        post.save(update_fields=["is_hidden", "hidden_reason"])
        if post.is_opening:
            Thread.objects.filter(pk=post.thread_id).update(is_hidden=False)
        if was_held:
            # Held before anyone saw it: now it counts as new activity, and followers hear.
            _mark_activity(post, timezone.now())
    resolved = _mark_reviewed(post, by)
    if changed or resolved:
        # Who hid it stays on the post, so it is not a change; the entry names them anyway.
        _audit(post, by=by, action=Action.POST_APPROVED, before=before, keep=("hidden_by",))
    return changed


def _hide(post: Post, *, reason: str, by: User | None) -> None:
    post.is_hidden = True
    post.hidden_reason = reason
    post.hidden_by = by
    post.hidden_at = timezone.now()
    post.save(update_fields=["is_hidden", "hidden_reason", "hidden_by", "hidden_at"])
    if post.is_opening:
        Thread.objects.filter(pk=post.thread_id).update(is_hidden=True)


def _mark_reviewed(post: Post, by: User) -> int:
    """Staff (or an organiser restoring a post) looked at it; returns the reports closed."""
    now = timezone.now()
    post.reviewed_by = by
    post.reviewed_at = now
    post.save(update_fields=["reviewed_by", "reviewed_at"])
    return PostReport.objects.filter(post=post, resolved_at__isnull=True).update(resolved_at=now)


def _moderation_state(post: Post) -> dict[str, Any]:
    """What the audit log compares before and after a moderation decision."""
    return {
        "is_hidden": post.is_hidden,
        "hidden_reason": post.hidden_reason,
        "hidden_by": post.hidden_by_id,
        "open_reports": PostReport.objects.filter(post=post, resolved_at__isnull=True).count(),
    }


def _audit(
    post: Post,
    *,
    by: User | None,
    action: Action,
    before: dict[str, Any],
    reason: str = "",
    keep: tuple[str, ...] = (),
) -> None:
    was, now_is = audit.changes(before, _moderation_state(post))
    was.update({key: before[key] for key in keep})
    audit.record(
        actor=by,
        actor_kind=actor_kind_of(by),
        action=action,
        target=post,
        target_repr=f"post #{post.pk} in {post.thread.group.name}",
        before=was,
        after=now_is,
        reason=reason,
    )
