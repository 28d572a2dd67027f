"""Reply emails to followers (opt-in per thread, with an unfollow link) and proposal news."""

import re

import pytest

from billing.models import Membership
from groups.emails import unfollow_token
from groups.models import GroupMembership, GroupProposal, Post, ThreadFollow
from groups.services import (
    group_proposal_approve,
    group_proposal_decline,
    post_create,
    post_hide,
    post_notify_followers,
)
from mail import emails
from mail.models import EmailDelivery
from tests.conftest import message_text
from tests.groups.factories import (
    GroupFactory,
    GroupProposalFactory,
    add_member,
    established,
    interest,
    named,
    thread_with_opening,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def group():
    return GroupFactory(name="Bristol Walks")


@pytest.fixture
def follower(group):
    return named(add_member(group), "Fiona Follower")


@pytest.fixture
def replier(group):
    return named(established(add_member(group)), "Ian Insider")


@pytest.fixture
def thread(group, follower):
    thread = thread_with_opening(group, follower, title="Route for Thursday")
    ThreadFollow.objects.create(thread=thread, user=follower)
    return thread


def send_reply(capture, thread, author, body="The harbour loop, 12.30 at M Shed."):
    with capture(execute=True):
        return post_create(thread=thread, author=author, body=body)


def test_a_reply_emails_the_threads_followers(
    smtp_server, django_capture_on_commit_callbacks, thread, follower, replier, settings
):
    outcome = send_reply(django_capture_on_commit_callbacks, thread, replier)

    [message] = smtp_server.to(follower.email)
    body = message_text(message)
    assert message["Subject"] == "Ian Insider replied in “Route for Thursday”"
    assert "The harbour loop, 12.30 at M Shed." in body
    assert f"{settings.SITE_URL}{thread.get_absolute_url()}#post-{outcome.post.pk}" in body
    assert "Email me new replies to this thread" in body  # why it came
    assert "/groups/unfollow/" in body
    assert replier.email not in message.as_string()
    assert "List-Unsubscribe" not in message  # not a stream: the link is in the body
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Read and reply" in html
    assert smtp_server.to(replier.email) == []  # never about your own post


def test_nobody_is_emailed_without_opting_in(
    smtp_server, django_capture_on_commit_callbacks, group, thread, replier
):
    bystander = add_member(group)

    send_reply(django_capture_on_commit_callbacks, thread, replier)

    assert smtp_server.to(bystander.email) == []


def test_followers_who_left_or_lapsed_are_not_emailed(
    smtp_server, django_capture_on_commit_callbacks, group, thread, follower, replier
):
    lapsing = add_member(group)
    ThreadFollow.objects.create(thread=thread, user=lapsing)
    Membership.objects.filter(user=lapsing).update(status=Membership.Status.CANCELED)
    GroupMembership.objects.filter(user=follower).delete()

    send_reply(django_capture_on_commit_callbacks, thread, replier)

    assert smtp_server.messages == []


def test_held_posts_email_nobody(
    smtp_server, django_capture_on_commit_callbacks, thread, follower, replier
):
    outcome = send_reply(
        django_capture_on_commit_callbacks, thread, replier, "Buy now! Limited offer, DM me."
    )

    assert outcome.held
    assert smtp_server.messages == []


def test_the_same_reply_is_never_emailed_twice(
    smtp_server, django_capture_on_commit_callbacks, thread, follower, replier
):
    outcome = send_reply(django_capture_on_commit_callbacks, thread, replier)

    with django_capture_on_commit_callbacks(execute=True):
        assert post_notify_followers(post_id=outcome.post.pk) == 0

    assert len(smtp_server.to(follower.email)) == 1
    assert EmailDelivery.objects.filter(kind="groups_reply").count() == 1


def test_a_post_hidden_before_sending_is_not_sent(thread, follower, replier, organiser_of):
    outcome = post_create(thread=thread, author=replier, body="Something regrettable.")
    delivery = EmailDelivery.objects.create(
        kind="groups_reply",
        to_email=follower.email,
        user=follower,
        dedupe_key="t",
        payload={"post": outcome.post.pk},
    )
    assert emails.render(delivery) is not None

    post_hide(post=outcome.post, by=organiser_of(thread.group), reason="abusive")

    assert emails.render(delivery) is None


@pytest.fixture
def organiser_of():
    def make(group):
        return add_member(group, role=GroupMembership.Role.ORGANISER)

    return make


def test_the_unfollow_link_works_without_signing_in(
    client, smtp_server, django_capture_on_commit_callbacks, thread, follower, replier
):
    send_reply(django_capture_on_commit_callbacks, thread, replier)
    [message] = smtp_server.to(follower.email)
    link = re.search(r"https?://\S+/groups/unfollow/\S+/", message_text(message)).group(0)
    path = link.split("testserver", 1)[-1]

    page = client.get(path)
    assert "Stop these emails" in page.content.decode()
    assert ThreadFollow.objects.filter(user=follower).exists()

    client.post(path)
    assert not ThreadFollow.objects.filter(user=follower).exists()

    smtp_server.clear()
    send_reply(django_capture_on_commit_callbacks, thread, replier, "Another reply.")
    assert smtp_server.to(follower.email) == []


def test_a_tampered_unfollow_link_is_not_found(client, thread, follower):
    token = unfollow_token(user_id=follower.pk, thread_id=thread.pk)

    assert client.get(f"/groups/unfollow/{token[:-2]}xx/").status_code == 404


def test_restoring_a_held_reply_tells_the_followers_then(
    smtp_server, django_capture_on_commit_callbacks, thread, follower, replier, staff
):
    from groups.services import post_approve

    outcome = send_reply(
        django_capture_on_commit_callbacks, thread, replier, "Buy now! Act now! (a joke)"
    )
    assert smtp_server.messages == []

    with django_capture_on_commit_callbacks(execute=True):
        post_approve(post=outcome.post, by=staff)

    assert len(smtp_server.to(follower.email)) == 1
    assert not Post.objects.get(pk=outcome.post.pk).is_hidden


# --- Proposals ---------------------------------------------------------------------------------


def test_approving_a_proposal_creates_the_group_and_tells_the_proposer(
    smtp_server, django_capture_on_commit_callbacks, member, staff, settings
):
    proposal = GroupProposalFactory(
        proposer=member, name="York Mindful Walks", interests=[interest("mindfulness")]
    )

    with django_capture_on_commit_callbacks(execute=True):
        group = group_proposal_approve(proposal=proposal, decided_by=staff)
        again = group_proposal_approve(proposal=proposal, decided_by=staff)

    assert again == group
    assert group.slug == "york-mindful-walks"
    group.refresh_from_db()
    assert group.member_count == 1
    assert GroupMembership.objects.get(group=group, user=member).is_organiser
    assert list(group.interests.values_list("slug", flat=True)) == ["mindfulness"]
    [message] = smtp_server.to(member.email)
    assert message["Subject"] == "Your group “York Mindful Walks” is on Mutual"
    assert f"{settings.SITE_URL}/groups/york-mindful-walks/" in message_text(message)


def test_declining_tells_the_proposer_with_the_note(
    smtp_server, django_capture_on_commit_callbacks, member, staff
):
    proposal = GroupProposalFactory(proposer=member, name="Crypto Riches")

    with django_capture_on_commit_callbacks(execute=True):
        assert group_proposal_decline(proposal=proposal, decided_by=staff, note="Not for us.")
        assert not group_proposal_decline(proposal=proposal, decided_by=staff)

    proposal.refresh_from_db()
    assert proposal.status == GroupProposal.Status.DECLINED
    [message] = smtp_server.to(member.email)
    assert "Not for us." in message_text(message)
