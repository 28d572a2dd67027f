from django.contrib import messages
from django.core import signing
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from billing.selectors import member_is_active
from core.ratelimit import rate_limited
from groups import selectors, services
from groups.emails import unfollow_token_read
from groups.forms import (
    GroupFilterForm,
    GroupProposalForm,
    HideForm,
    ReplyForm,
    ReportForm,
    ThreadForm,
)
from groups.models import Group, Post, Thread
from members.decorators import member_required
from members.models import User
from members.staff import acts_as_staff

THREADS_PER_PAGE = 20
POSTS_PER_PAGE = 50
MEMBERS_ON_GROUP_PAGE = 12
MEMBERS_PER_PAGE = 48


def group_list(request):
    cities = selectors.group_cities()
    form = GroupFilterForm(request.GET or None, cities=cities)
    filters = form.filters()
    listing = selectors.group_listing(
        viewer=request.user, filters=filters, page_number=request.GET.get("page")
    )
    return render(
        request,
        "groups/group_list.html",
        {
            "form": form,
            "page": listing.page,
            "groups": listing.groups,
            "filtered": bool(filters),
            "interest": filters.get("interest"),
            "show_recommended": listing.show_recommended,
            "recommended": listing.recommended,
            "has_interests": listing.has_interests,
        },
    )


def _visible_group(request, slug: str) -> Group:
    """Published groups for everyone; staff may look at an unpublished one."""
    group = get_object_or_404(Group.objects.for_listing(), slug=slug)
    if not group.is_published and not acts_as_staff(request.user):
        raise Http404("No such group.")
    return group


def group_detail(request, slug: str):
    group = _visible_group(request, slug)
    user = request.user
    organisers, membership = selectors.organisers_and_viewer(group=group, user=user)
    # The template words its "rejoin" or "join" card by `standing` (context processor).
    active = member_is_active(user)
    context: dict[str, object] = {
        "group": group,
        "membership": membership,
        "organisers": organisers,
        "is_active_member": active,
        "can_moderate": selectors.can_moderate(user=user, group=group, membership=membership),
        # Events are public: everyone sees what's coming up (the events app provides it).
        "page_sections": selectors.group_page_sections(group=group, request=request),
    }
    if active:
        members = list(selectors.group_member_list(group)[:MEMBERS_ON_GROUP_PAGE])
        threads = Paginator(selectors.group_threads(group), THREADS_PER_PAGE).get_page(
            request.GET.get("page")
        )
        context.update(members=members, threads=threads)
    return render(request, "groups/group_detail.html", context)


@member_required
def group_members(request, slug: str):
    group = _visible_group(request, slug)
    page = Paginator(selectors.group_member_list(group), MEMBERS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "groups/group_members.html",
        {"group": group, "page": page, "members": page.object_list},
    )


@member_required
@require_POST
def group_join(request, slug: str):
    group = get_object_or_404(Group.objects.published(), slug=slug)
    if services.group_join(group=group, user=request.user):
        messages.success(request, _("Welcome to %(group)s!") % {"group": group.name})
    else:
        messages.info(request, _("You're already in %(group)s.") % {"group": group.name})
    return redirect(group)


@member_required
@require_POST
def group_leave(request, slug: str):
    group = get_object_or_404(Group.objects.published(), slug=slug)
    try:
        left = services.group_leave(group=group, user=request.user)
    except services.LastOrganiserError as error:
        messages.error(request, error.message)
        return redirect(group)
    if left:
        messages.success(request, _("You've left %(group)s.") % {"group": group.name})
    else:
        messages.info(request, _("You weren't in %(group)s.") % {"group": group.name})
    return redirect(group)


@member_required
@require_http_methods(["GET", "POST"])
def group_propose(request):
    form = GroupProposalForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.group_proposal_create(proposer=request.user, **form.cleaned_data)
            except services.GroupError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    _(
                        "Thank you: your idea for “%(name)s” is with our team. We'll email you "
                        "when we've decided."
                    )
                    % {"name": form.cleaned_data["name"]},
                )
                return redirect("groups:propose")
        messages.error(request, _("Your proposal wasn't sent: please see the messages below."))
    proposals = selectors.proposals_of(user=request.user)
    return render(request, "groups/groupproposal_form.html", {"form": form, "proposals": proposals})


# --- Discussion ----------------------------------------------------------------------------


def _client_details(request) -> dict:
    return {
        "user_ip": request.META.get("REMOTE_ADDR", ""),
        "user_agent": request.headers.get("User-Agent", "")[:500],
    }


def _posted_message(request, outcome: services.PostOutcome) -> None:
    if outcome.dropped:
        messages.success(request, _("Thank you, your message has been received."))
    elif outcome.held:
        messages.info(
            request,
            _(
                "Thank you. Your message will appear once a moderator has had a look at it, "
                "usually within a day."
            ),
        )
    else:
        messages.success(request, _("Your message is posted."))


@member_required
@require_http_methods(["GET", "POST"])
@rate_limited("post")
def thread_create(request, slug: str):
    group = get_object_or_404(Group.objects.published(), slug=slug)
    if selectors.membership_in(group=group, user=request.user) is None:
        messages.info(request, _("Join the group to start a conversation in it."))
        return redirect(group)
    form = ThreadForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                outcome = services.thread_create(
                    group=group,
                    author=request.user,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    follow=form.cleaned_data["follow"],
                    honeypot=form.honeypot(),
                    **_client_details(request),
                )
            except services.PostRefused as error:
                form.add_error(None, error.message)
            else:
                _posted_message(request, outcome)
                if outcome.post and not outcome.held:
                    return redirect(outcome.post.thread)
                return redirect(group)
        messages.error(request, _("Your conversation wasn't started: see the message below."))
    return render(request, "groups/thread_form.html", {"group": group, "form": form})


def _thread_for(request, slug: str, pk: int) -> Thread:
    thread = get_object_or_404(
        Thread.objects.select_related("group", "author__profile"),
        pk=pk,
        group__slug=slug,
        group__is_published=True,
    )
    if thread.is_hidden and not selectors.can_moderate(user=request.user, group=thread.group):
        raise Http404("No such conversation.")
    return thread


@member_required
@require_http_methods(["GET", "POST"])
@rate_limited("post")
def thread_detail(request, slug: str, pk: int):
    thread = _thread_for(request, slug, pk)
    group = thread.group
    user = request.user
    membership = selectors.membership_in(group=group, user=user)
    is_following = selectors.is_following(thread=thread, user=user)
    form = ReplyForm(request.POST or None, initial={"follow": is_following})
    if request.method == "POST":
        if membership is None:
            messages.info(request, _("Join the group to take part in its discussion."))
            return redirect(thread)
        if form.is_valid():
            try:
                outcome = services.post_create(
                    thread=thread,
                    author=user,
                    body=form.cleaned_data["body"],
                    follow=form.cleaned_data["follow"],
                    honeypot=form.honeypot(),
                    **_client_details(request),
                )
            except services.PostRefused as error:
                form.add_error(None, error.message)
            else:
                _posted_message(request, outcome)
                anchor = f"#post-{outcome.post.pk}" if outcome.post and not outcome.held else ""
                return redirect(thread.get_absolute_url() + anchor)
        messages.error(request, _("Your reply wasn't posted: see the message below."))
    moderator = selectors.can_moderate(user=user, group=group, membership=membership)
    page = Paginator(
        selectors.thread_posts(thread=thread, viewer=user, moderator=moderator), POSTS_PER_PAGE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "groups/thread_detail.html",
        {
            "group": group,
            "thread": thread,
            "page": page,
            "posts": page.object_list,
            "form": form,
            "membership": membership,
            "is_following": is_following,
            "can_moderate": moderator,
            "report_form": ReportForm(),
            "hide_form": HideForm(),
        },
    )


@member_required
@require_POST
def thread_follow(request, slug: str, pk: int):
    thread = _thread_for(request, slug, pk)
    if request.POST.get("follow") == "1":
        try:
            services.thread_follow(thread=thread, user=request.user)
        except services.PostRefused as error:
            messages.info(request, error.message)
        else:
            messages.success(request, _("We'll email you new replies to this conversation."))
    else:
        services.thread_unfollow(thread=thread, user=request.user)
        messages.success(request, _("You won't get emails about this conversation any more."))
    return redirect(thread)


def _post_for(request, slug: str, pk: int) -> Post:
    post = get_object_or_404(
        Post.objects.select_related("thread__group"),
        pk=pk,
        thread__group__slug=slug,
        thread__group__is_published=True,
    )
    if post.is_hidden and not selectors.can_moderate(user=request.user, group=post.thread.group):
        raise Http404("No such post.")
    return post


@member_required
@require_POST
def post_report(request, slug: str, pk: int):
    post = _post_for(request, slug, pk)
    form = ReportForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please choose why you're reporting this post."))
        return redirect(post.thread)
    try:
        created = services.post_report(
            post=post, reporter=request.user, reason=form.cleaned_data["reason"]
        )
    except services.PostRefused as error:
        messages.info(request, error.message)
    else:
        messages.success(
            request,
            _("Thank you for telling us. A moderator will look at it.")
            if created
            else _("You've reported this post already; a moderator will look at it."),
        )
    return redirect(post.thread)


@member_required
@require_POST
def post_hide(request, slug: str, pk: int):
    post = _post_for(request, slug, pk)
    form = HideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please choose why you're hiding this post."))
        return redirect(post.thread)
    services.post_hide(post=post, by=request.user, reason=form.cleaned_data["reason"])
    messages.success(request, _("The post is hidden from members."))
    return redirect(post.thread)


@member_required
@require_POST
def post_restore(request, slug: str, pk: int):
    post = _post_for(request, slug, pk)
    services.post_approve(post=post, by=request.user)
    messages.success(request, _("The post is shown again."))
    return redirect(post.thread)


@require_http_methods(["GET", "POST"])
def unfollow(request, token: str):
    """The link in a reply email: stops that thread's emails, no sign-in needed."""
    try:
        user_id, thread_id = unfollow_token_read(token)
    except signing.BadSignature as error:
        raise Http404 from error
    thread = get_object_or_404(Thread.objects.select_related("group"), pk=thread_id)
    user = get_object_or_404(User, pk=user_id)
    done = False
    if request.method == "POST":
        services.thread_unfollow(thread=thread, user=user)
        done = True
    return render(
        request,
        "groups/unfollow.html",
        {
            "thread": thread,
            "done": done,
            "following": selectors.is_following(thread=thread, user=user),
            "token": token,
            "action": reverse("groups:unfollow", kwargs={"token": token}),
        },
    )
