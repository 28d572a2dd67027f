"""The groups app's email: new replies to followed threads, and decisions on proposals.

Reply notifications are not a stream: a member asks for them thread by thread ("Email me new
replies to this thread"), and each one carries a link that stops that thread's emails without
signing in. Renderers run at send time, so a post hidden or a thread unfollowed after the
email was queued is not sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core import signing
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.selectors import member_is_active
from groups.models import GroupMembership, GroupProposal, Post, ThreadFollow
from groups.selectors import display_name
from mail.emails import EmailContent, absolute_url, email_kind

if TYPE_CHECKING:
    from mail.models import EmailDelivery

UNFOLLOW_SALT = "groups.unfollow"
FOLLOW_WORDING = gettext_lazy("Email me new replies to this thread")


def unfollow_token(*, user_id: int, thread_id: int) -> str:
    return signing.Signer(salt=UNFOLLOW_SALT).sign_object([user_id, thread_id])


def unfollow_token_read(token: str) -> tuple[int, int]:
    """(user id, thread id); raises `signing.BadSignature` if the token was tampered with."""
    user_id, thread_id = signing.Signer(salt=UNFOLLOW_SALT).unsign_object(token)
    return int(user_id), int(thread_id)


@email_kind("groups_reply")
def _reply(delivery: EmailDelivery) -> EmailContent | None:
    if delivery.user_id is None:  # the follower's account is gone
        return None
    post = (
        Post.objects.select_related("thread__group", "author__profile")
        .filter(pk=delivery.payload.get("post"), is_hidden=False, thread__is_hidden=False)
        .first()
    )
    if post is None:
        return None
    thread, group = post.thread, post.thread.group
    follow = (
        ThreadFollow.objects.select_related("user__membership")
        .filter(thread=thread, user_id=delivery.user_id)
        .first()
    )
    if follow is None or not member_is_active(follow.user):
        return None
    if not GroupMembership.objects.filter(group=group, user_id=delivery.user_id).exists():
        return None
    unfollow_url = absolute_url(
        "groups:unfollow", token=unfollow_token(user_id=delivery.user_id, thread_id=thread.pk)
    )
    author = display_name(post.author)
    return EmailContent(
        subject=_("%(author)s replied in “%(thread)s”")
        % {"author": author, "thread": Truncator(thread.title).chars(80)},
        template="groups/email/reply",
        context={
            "author_name": author,
            "group_name": group.name,
            "thread_title": thread.title,
            "excerpt": Truncator(post.body).chars(600),
            "post_url": absolute_url("groups:thread", slug=group.slug, pk=thread.pk)
            + f"#post-{post.pk}",
            "unfollow_url": unfollow_url,
            # The layout's footer says why this came and how to stop it, like stream mail.
            "unsubscribe_url": unfollow_url,
            "stream_wording": FOLLOW_WORDING,
            "stream_label": _("this thread's reply"),
            "opted_in_at": follow.created_at,
            "settings_url": absolute_url("mail:settings"),
        },
    )


@email_kind("groups_proposal_decided")
def _proposal_decided(delivery: EmailDelivery) -> EmailContent | None:
    proposal = (
        GroupProposal.objects.select_related("group")
        .filter(pk=delivery.payload.get("proposal"))
        .exclude(status=GroupProposal.Status.PENDING)
        .first()
    )
    if proposal is None:
        return None
    approved = proposal.status == GroupProposal.Status.APPROVED
    context = {
        "name": proposal.name,
        "approved": approved,
        "note": proposal.decision_note,
        "group_url": absolute_url("groups:detail", slug=proposal.group.slug)
        if approved and proposal.group
        else "",
        "groups_url": absolute_url("groups:list"),
    }
    subject = (
        _("Your group “%(name)s” is on Mutual")
        if approved
        else _("About your group idea “%(name)s”")
    ) % {"name": Truncator(proposal.name).chars(80)}
    return EmailContent(subject=subject, template="groups/email/proposal_decided", context=context)
