"""Writes for groups, split by sub-domain: membership and proposals, then the discussion."""

from groups.antispam import PostRefused
from groups.services.discussion import (
    PostOutcome,
    post_approve,
    post_create,
    post_hide,
    post_notify_followers,
    post_report,
    thread_create,
    thread_follow,
    thread_unfollow,
)
from groups.services.membership import (
    GroupError,
    LastOrganiserError,
    group_join,
    group_join_many,
    group_leave,
    group_proposal_approve,
    group_proposal_create,
    group_proposal_decline,
    group_recount_members,
    group_set_role,
)

__all__ = [
    "GroupError",
    "LastOrganiserError",
    "PostOutcome",
    "PostRefused",
    "group_join",
    "group_join_many",
    "group_leave",
    "group_proposal_approve",
    "group_proposal_create",
    "group_proposal_decline",
    "group_recount_members",
    "group_set_role",
    "post_approve",
    "post_create",
    "post_hide",
    "post_notify_followers",
    "post_report",
    "thread_create",
    "thread_follow",
    "thread_unfollow",
]
