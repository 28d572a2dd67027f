"""Reads about groups that depend on who is looking."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from groups.models import Group, GroupMembership, GroupProposal, Post, Thread, ThreadFollow
from members.models import Interest, Profile, User
from members.staff import acts_as_staff


def display_name(user: User | None) -> str:
    """What other members call someone: their profile name, never their email address."""
    if user is None:
        return _("A former member")
    try:
        return user.profile.display_name or _("A member")
    except Profile.DoesNotExist:
        return _("A member")


def recommended_groups(user: User, *, limit: int = 6) -> Sequence[Group]:
    """Groups that share the most interests with `user` and that they haven't joined.

    One query ranks them in the database (see `GroupQuerySet.sharing_interests`), one more
    loads just the shared interests; each group comes with `shared_interests` and `reason`
    ("You share: Marketing, Mindfulness"). Empty for visitors and members with no interests.
    """
    if not user.is_authenticated:
        return []
    mine = Interest.objects.filter(profiles__user=user).values("pk")
    try:
        city = user.profile.city
    except Profile.DoesNotExist:
        city = ""
    groups = list(
        Group.objects.published()
        .not_joined_by(user)
        .sharing_interests(mine, city=city)
        .prefetch_related(
            Prefetch(
                "interests",
                queryset=Interest.objects.filter(pk__in=mine).order_by("name"),
                to_attr="shared_interests",
            )
        )[:limit]
    )
    for group in groups:
        group.reason = _("You share: %(interests)s") % {
            "interests": ", ".join(interest.name for interest in group.shared_interests)
        }
    return groups


GROUPS_PER_PAGE = 24


@dataclass
class GroupListing:
    """One page of /groups/: the groups (each with `joined` for the viewer), and on the
    unfiltered first page the viewer's recommendations."""

    page: Page[Group]
    groups: list[Group]
    show_recommended: bool = False
    recommended: Sequence[Group] = field(default_factory=list)
    has_interests: bool = False


def group_listing(
    *,
    viewer: User,
    filters: dict[str, Any],
    page_number: int | str | None = None,
    per_page: int = GROUPS_PER_PAGE,
) -> GroupListing:
    """Published groups filtered by `filters` (`interest`, `city`, `q`), by name, one page.

    Recommendations head the unfiltered first page only. `has_interests` says whether a
    signed-in viewer has chosen any interests, so the page can invite them to.
    """
    groups = Group.objects.published().for_listing()
    if interest := filters.get("interest"):
        groups = groups.with_interest(interest)
    if city := filters.get("city"):
        groups = groups.in_city(city)
    if text := filters.get("q"):
        groups = groups.search(text)
    page = Paginator(groups.order_by("name", "pk"), per_page).get_page(page_number)
    show_recommended = not filters and page.number == 1
    recommended = recommended_groups(viewer) if show_recommended else []
    has_interests = bool(recommended) or (
        show_recommended
        and viewer.is_authenticated
        and Interest.objects.filter(profiles__user=viewer).exists()
    )
    joined = joined_group_ids(viewer)
    groups_on_page = list(page.object_list)
    for group in groups_on_page:
        group.joined = group.pk in joined  # for the template
    return GroupListing(
        page=page,
        groups=groups_on_page,
        show_recommended=show_recommended,
        recommended=recommended,
        has_interests=has_interests,
    )


def group_member_list(group: Group) -> QuerySet[GroupMembership]:
    """The group's members with what their cards show, in the list's order."""
    return GroupMembership.objects.filter(group=group).for_member_list()


def group_threads(group: Group) -> QuerySet[Thread]:
    """The conversations members see on a group's page, with what each row shows."""
    return Thread.objects.filter(group=group).visible().for_listing()


def thread_posts(*, thread: Thread, viewer: User, moderator: bool) -> QuerySet[Post]:
    """A thread's posts in order: hidden ones for moderators only. Each post has
    `my_reports`, the viewer's own reports of it (one query for the whole page)."""
    posts = Post.objects.filter(thread=thread).for_thread()
    if not moderator:
        posts = posts.visible()
    return posts.prefetch_related(
        Prefetch("reports", queryset=viewer.post_reports.all(), to_attr="my_reports")
    )


def is_following(*, thread: Thread, user: User) -> bool:
    return ThreadFollow.objects.filter(thread=thread, user=user).exists()


def proposals_of(*, user: User, limit: int = 10) -> list[GroupProposal]:
    """The member's own group proposals, as the model orders them, with any group made."""
    return list(GroupProposal.objects.filter(proposer=user).select_related("group")[:limit])


def featured_groups(*, limit: int = 3) -> list[Group]:
    """A few lively groups for the home page: recently active, then the bigger ones."""
    return list(Group.objects.published().by_activity().for_listing()[:limit])


def joined_group_ids(user: User) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(GroupMembership.objects.filter(user=user).values_list("group_id", flat=True))


def membership_in(*, group: Group, user: User) -> GroupMembership | None:
    if not user.is_authenticated:
        return None
    return GroupMembership.objects.filter(group=group, user=user).first()


def organisers_and_viewer(
    *, group: Group, user: User
) -> tuple[list[GroupMembership], GroupMembership | None]:
    """The group's organisers, oldest first with their profiles, and the viewer's own
    membership (None if they aren't in it): one query, as a group's page needs both."""
    rows = GroupMembership.objects.filter(group=group).select_related("user__profile")
    if user.is_authenticated:
        rows = rows.filter(Q(role=GroupMembership.Role.ORGANISER) | Q(user=user))
    else:
        rows = rows.organisers()
    in_order = list(rows.order_by("joined_at", "pk"))
    organisers = [row for row in in_order if row.is_organiser]
    viewer = next(
        (row for row in in_order if user.is_authenticated and row.user_id == user.pk), None
    )
    return organisers, viewer


def can_moderate(*, user: User, group: Group, membership: GroupMembership | None = None) -> bool:
    """Staff, and the group's organisers, may hide posts in its discussion."""
    if not user.is_authenticated:
        return False
    if acts_as_staff(user):
        return True
    if membership is None:
        membership = membership_in(group=group, user=user)
    return membership is not None and membership.is_organiser


def group_cities() -> list[str]:
    """The towns and cities published groups meet in, for the filter (one query)."""
    return list(
        Group.objects.published()
        .exclude(city="")
        .order_by("city")
        .values_list("city", flat=True)
        .distinct()
    )


# --- Parts of a group's page that apps above groups provide ---------------------------------


@dataclass(frozen=True)
class GroupPageSection:
    """A rendered part of a group's page (its upcoming events), with the stylesheet it needs."""

    html: str
    stylesheet: str = ""


GroupPageSectionProvider = Callable[..., GroupPageSection]
_page_section_providers: list[GroupPageSectionProvider] = []


def register_page_section(provider: GroupPageSectionProvider) -> None:
    """Called once by an app above this one (from its `AppConfig.ready`): groups never imports
    it. The provider is called as `provider(group=..., request=...)`."""
    if provider not in _page_section_providers:
        _page_section_providers.append(provider)


def group_page_sections(*, group: Group, request: HttpRequest) -> list[GroupPageSection]:
    """The sections other apps add to `group`'s page, in the order they registered."""
    return [provider(group=group, request=request) for provider in _page_section_providers]
