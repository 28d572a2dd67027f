"""The discussion: who may read, post, follow, report, hide and restore."""

from html import unescape

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from groups.models import GroupMembership, Post, PostReport, Thread, ThreadFollow
from groups.services import post_approve, post_hide, post_report
from tests.groups.factories import (
    GroupFactory,
    PostFactory,
    add_member,
    established,
    named,
    thread_with_opening,
)
from tests.staff import sign_in_with_mfa

pytestmark = pytest.mark.django_db


@pytest.fixture
def group():
    return GroupFactory(name="Bristol Walks")


@pytest.fixture
def organiser(group):
    return established(add_member(group, role=GroupMembership.Role.ORGANISER))


@pytest.fixture
def insider(group):
    return named(established(add_member(group)), "Ian Insider")


@pytest.fixture
def thread(group, organiser):
    return thread_with_opening(group, organiser, title="Route for Thursday", body="Harbour loop?")


@pytest.fixture
def post(thread, insider):
    return PostFactory(thread=thread, author=insider, body="Yes please, the harbour loop.")


def url(name, obj, **extra):
    group = obj.group if hasattr(obj, "group") else obj.thread.group
    return reverse(f"groups:{name}", kwargs={"slug": group.slug, "pk": obj.pk, **extra})


def text(response) -> str:
    return unescape(response.content.decode())


# --- Reading and posting, for each kind of visitor --------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, thread):
    response = client.get(url("thread", thread))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("who", ["non_member", "lapsed"])
def test_people_without_an_active_membership_are_sent_to_join(client, request, who, group, thread):
    user = request.getfixturevalue(who)
    add_member(group, user)  # a lapsed member keeps their place, but not the discussion
    client.force_login(user)

    for response in (
        client.get(url("thread", thread)),
        client.post(url("thread", thread), {"body": "Hello"}),
        client.get(reverse("groups:thread_create", args=[group.slug])),
    ):
        assert response["Location"] == reverse("billing:join")
    assert Post.objects.filter(author=user).count() == 0


def test_active_members_outside_the_group_can_read_but_not_post(client, thread, post, member):
    client.force_login(member)

    page = client.get(url("thread", thread))
    posted = client.post(url("thread", thread), {"body": "Can I come?"}, follow=True)
    started = client.get(reverse("groups:thread_create", args=[thread.group.slug]))

    assert "Yes please, the harbour loop." in text(page)
    assert "Join the group to take part in its discussion." in text(posted)
    assert started.status_code == 302
    assert not Post.objects.filter(author=member).exists()


def test_group_members_start_threads_and_reply(client, group, insider):
    client.force_login(insider)

    started = client.post(
        reverse("groups:thread_create", args=[group.slug]),
        {"title": "Coffee after the walk?", "body": "Anyone fancy the café by the ferry?"},
    )
    thread = Thread.objects.get(title="Coffee after the walk?")
    replied = client.post(url("thread", thread), {"body": "Count me in."})

    assert started["Location"] == thread.get_absolute_url()
    assert replied["Location"].startswith(thread.get_absolute_url() + "#post-")
    assert list(thread.posts.values_list("body", "is_opening")) == [
        ("Anyone fancy the café by the ferry?", True),
        ("Count me in.", False),
    ]
    page = text(client.get(url("thread", thread)))
    assert "Count me in." in page
    assert "Ian Insider" in page
    assert insider.email not in page
    group.refresh_from_db()
    assert group.last_activity_at is not None


def test_validation_errors_keep_what_was_typed_and_save_nothing(client, group, insider):
    client.force_login(insider)

    response = client.post(
        reverse("groups:thread_create", args=[group.slug]), {"title": "Hi", "body": ""}
    )

    page = text(response)
    assert response.status_code == 200
    assert "Give your thread a title of at least 3 characters." in page
    assert "This field is required." in page
    assert not Thread.objects.filter(group=group).exists()


def test_threads_in_unpublished_groups_are_not_found(client, thread, member):
    thread.group.is_published = False
    thread.group.save()
    client.force_login(member)

    assert client.get(url("thread", thread)).status_code == 404


# --- Following ---------------------------------------------------------------------------------


def test_following_is_off_unless_asked_for(client, thread, insider):
    client.force_login(insider)

    form = client.get(url("thread", thread)).context["form"]
    client.post(url("thread", thread), {"body": "No emails for me."})

    assert form["follow"].value() is False
    assert not ThreadFollow.objects.filter(user=insider).exists()


def test_ticking_the_box_when_posting_follows_the_thread(client, thread, insider):
    client.force_login(insider)

    client.post(url("thread", thread), {"body": "Email me please.", "follow": "on"})

    assert ThreadFollow.objects.filter(thread=thread, user=insider).exists()


def test_the_follow_toggle(client, thread, insider, member):
    client.force_login(insider)
    client.post(url("follow", thread), {"follow": "1"})
    client.post(url("follow", thread), {"follow": "1"})
    assert ThreadFollow.objects.filter(thread=thread, user=insider).count() == 1
    assert "Stop emailing me replies" in text(client.get(url("thread", thread)))

    client.post(url("follow", thread), {"follow": "0"})
    assert not ThreadFollow.objects.filter(thread=thread, user=insider).exists()

    client.force_login(member)  # not in the group
    client.post(url("follow", thread), {"follow": "1"})
    assert not ThreadFollow.objects.filter(user=member).exists()


# --- Reports -----------------------------------------------------------------------------------


def test_members_report_a_post_once(client, post, organiser):
    client.force_login(organiser)

    first = client.post(url("report", post), {"reason": "selling"}, follow=True)
    client.post(url("report", post), {"reason": "spam"})

    assert "A moderator will look at it." in text(first)
    assert list(PostReport.objects.values_list("reason", flat=True)) == ["selling"]
    assert "You reported this post." in text(client.get(url("thread", post.thread)))


def test_a_report_needs_a_reason(client, post, organiser):
    client.force_login(organiser)

    client.post(url("report", post), {"reason": "boring"})

    assert not PostReport.objects.exists()


def test_nobody_reports_their_own_post(post, insider):
    from groups.services import PostRefused

    with pytest.raises(PostRefused):
        post_report(post=post, reporter=insider, reason="spam")


def test_three_reports_hide_a_post_until_staff_look(post, group):
    reporters = [add_member(group) for _ in range(3)]

    for reporter in reporters[:2]:
        post_report(post=post, reporter=reporter, reason="abusive")
    post.refresh_from_db()
    assert not post.is_hidden

    post_report(post=post, reporter=reporters[2], reason="abusive")
    post.refresh_from_db()
    assert post.is_hidden
    assert post.hidden_reason == Post.HiddenReason.REPORTED


def test_reporting_needs_an_active_membership(client, post, lapsed):
    client.force_login(lapsed)

    assert client.post(url("report", post), {"reason": "spam"})["Location"] == reverse(
        "billing:join"
    )
    assert not PostReport.objects.exists()


# --- Hiding and restoring ----------------------------------------------------------------------


def test_organisers_hide_posts_in_their_group(client, post, organiser, insider):
    client.force_login(organiser)

    client.post(url("hide", post), {"reason": "off_topic"})

    post.refresh_from_db()
    assert post.is_hidden
    assert post.hidden_by == organiser
    assert post.hidden_reason == "off_topic"
    # Organisers still see it, marked; members don't.
    assert "Hidden from members:" in text(client.get(url("thread", post.thread)))
    client.force_login(insider)
    assert "the harbour loop." not in text(client.get(url("thread", post.thread)))


def test_members_and_other_groups_organisers_cannot_hide(client, post, group, member):
    other_group = GroupFactory()
    other_organiser = add_member(other_group, role=GroupMembership.Role.ORGANISER)
    plain = add_member(group)

    for user in (member, plain, other_organiser):
        client.force_login(user)
        assert client.post(url("hide", post), {"reason": "spam"}).status_code == 403
        with pytest.raises(PermissionDenied):
            post_hide(post=post, by=user, reason="spam")
    post.refresh_from_db()
    assert not post.is_hidden


def test_staff_hide_anywhere_and_close_the_reports(client, post, staff, organiser):
    post_report(post=post, reporter=organiser, reason="spam")
    sign_in_with_mfa(client, staff)

    client.post(url("hide", post), {"reason": "spam"})

    post.refresh_from_db()
    assert post.is_hidden
    assert post.reviewed_by == staff
    assert not PostReport.objects.filter(resolved_at__isnull=True).exists()
    assert not Post.objects.needs_review().exists()


def test_hiding_the_opening_post_hides_the_thread(client, thread, organiser, insider):
    opening = thread.posts.get(is_opening=True)
    post_hide(post=opening, by=organiser, reason="spam")

    thread.refresh_from_db()
    assert thread.is_hidden
    client.force_login(insider)
    assert client.get(url("thread", thread)).status_code == 404
    assert "Route for Thursday" not in text(client.get(thread.group.get_absolute_url()))

    post_approve(post=opening, by=organiser)
    thread.refresh_from_db()
    assert not thread.is_hidden


def test_organisers_restore_their_own_hides_but_not_held_posts(post, organiser, staff, insider):
    post_hide(post=post, by=organiser, reason="off_topic")
    assert post_approve(post=post, by=organiser) is True

    held = PostFactory(
        thread=post.thread, author=insider, is_hidden=True, hidden_reason=Post.HiddenReason.HELD
    )
    with pytest.raises(PermissionDenied):
        post_approve(post=held, by=organiser)
    assert post_approve(post=held, by=staff) is True
    held.refresh_from_db()
    assert not held.is_hidden
    assert held.reviewed_by == staff


def test_hidden_posts_cannot_be_reported_or_seen_by_members(client, post, organiser, group):
    post_hide(post=post, by=organiser, reason="spam")
    reader = add_member(group)
    client.force_login(reader)

    assert client.post(url("report", post), {"reason": "spam"}).status_code == 404


def test_a_post_whose_author_is_gone_stays_in_the_conversation(client, post, organiser):
    # What `on_delete=SET_NULL` leaves behind when an account is deleted.
    Post.objects.filter(pk=post.pk).update(author=None)
    client.force_login(organiser)

    page = text(client.get(url("thread", post.thread)))

    assert "Yes please, the harbour loop." in page
    assert "A former member" in page


def test_what_members_write_is_shown_as_text_not_markup(client, thread, insider):
    from groups.services import post_create

    post_create(thread=thread, author=insider, body='<script>alert("x")</script> <b>bold</b>')
    client.force_login(insider)

    html = client.get(url("thread", thread)).content.decode()

    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "<b>bold</b>" not in html
