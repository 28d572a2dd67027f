"""Every anti-spam rule: honeypot, contact details, links from new accounts, rate limits,
hard-selling phrases and Akismet (against a local stand-in of its API)."""

from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from groups import antispam
from groups.models import Post, PostForReview, Thread
from groups.services import PostRefused, post_create, thread_create
from tests.groups.factories import GroupFactory, add_member, established, thread_with_opening
from tests.members.factories import UserFactory, make_active_member

pytestmark = pytest.mark.django_db

FRIENDLY = "Lovely to meet everyone on Tuesday, see you next month."


@pytest.fixture
def group():
    return GroupFactory(name="Leeds Walks")


@pytest.fixture
def poster(group):
    """An established member of the group (older than the link rule)."""
    return established(add_member(group))


@pytest.fixture
def newcomer(group):
    """A member of the group whose account is a day old."""
    user = UserFactory(date_joined=timezone.now() - timedelta(days=1))
    make_active_member(user)
    return add_member(group, user)


@pytest.fixture
def thread(group, poster):
    return thread_with_opening(group, poster)


def thread_url(thread) -> str:
    return reverse("groups:thread", kwargs={"slug": thread.group.slug, "pk": thread.pk})


def reply(thread, author, body=FRIENDLY, **kwargs):
    return post_create(thread=thread, author=author, body=body, **kwargs)


def replies(thread) -> int:
    return Post.objects.filter(thread=thread, is_opening=False).count()


def page(client, thread) -> str:
    return unescape(client.get(thread_url(thread)).content.decode())


# --- The honeypot ----------------------------------------------------------------------------


def test_the_honeypot_is_hidden_from_people(client, thread, poster):
    client.force_login(poster)

    html = client.get(thread_url(thread)).content.decode()

    assert 'class="hp-field" aria-hidden="true"' in html
    assert 'name="website"' in html
    assert 'tabindex="-1"' in html


def test_a_filled_honeypot_drops_the_reply_with_a_generic_thank_you(client, thread, poster):
    client.force_login(poster)

    response = client.post(
        thread_url(thread), {"body": FRIENDLY, "website": "http://spam.example"}, follow=True
    )

    assert response.status_code == 200
    assert "Thank you, your message has been received." in unescape(response.content.decode())
    assert replies(thread) == 0


def test_a_filled_honeypot_drops_a_new_thread(client, group, poster):
    client.force_login(poster)

    client.post(
        reverse("groups:thread_create", args=[group.slug]),
        {"title": "Great offer", "body": FRIENDLY, "website": "x"},
    )

    assert Thread.objects.filter(group=group, title="Great offer").count() == 0


# --- Contact details and links -----------------------------------------------------------------


def test_email_addresses_are_refused_for_everyone(thread, poster):
    with pytest.raises(PostRefused, match="take out the email address"):
        reply(thread, poster, "Drop me a line at jo.bloggs@example.org")
    assert replies(thread) == 0


@pytest.mark.parametrize(
    "body",
    [
        "Have a look at https://cheap-stuff.example/offer",
        "More at www.cheap-stuff.example",
        "See [my page](http://cheap-stuff.example)",
        "Find me at cheapstuff.co.uk",
    ],
)
def test_accounts_younger_than_a_week_cannot_post_links(thread, newcomer, body):
    with pytest.raises(PostRefused, match="after their first week"):
        reply(thread, newcomer, body)
    assert replies(thread) == 0


def test_the_link_refusal_is_shown_and_the_text_kept(client, thread, newcomer):
    client.force_login(newcomer)

    response = client.post(thread_url(thread), {"body": "Look: https://example.com/x"})

    html = unescape(response.content.decode())
    assert response.status_code == 200
    assert "New members can post links after their first week" in html
    assert "Look: https://example.com/x" in html  # nothing typed is lost
    assert replies(thread) == 0


def test_new_accounts_without_links_and_older_accounts_with_links_are_fine(
    client, thread, newcomer, poster
):
    reply(thread, newcomer, "Just saying hello, no links here.")
    reply(thread, poster, "The route is on https://walks.example/leeds")
    client.force_login(poster)

    html = client.get(thread_url(thread)).content.decode()

    assert replies(thread) == 2
    assert 'href="https://walks.example/leeds"' in html
    assert 'rel="nofollow"' in html


# --- Rate limits -------------------------------------------------------------------------------


class Clock:
    """Stands in for the `time` module inside groups.antispam only."""

    def __init__(self, start: float):
        self.now = start

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    midday = datetime.now(UTC).replace(hour=1, minute=0, second=0, microsecond=0)
    fake = Clock(midday.timestamp())
    monkeypatch.setattr(antispam, "time", fake)
    return fake


def test_five_posts_in_ten_minutes_then_a_friendly_wait(client, thread, poster, clock):
    for n in range(5):
        reply(thread, poster, f"{FRIENDLY} ({n})")
    client.force_login(poster)

    response = client.post(thread_url(thread), {"body": "One more thing!"})

    html = unescape(response.content.decode())
    assert "You've posted 5 times in the last 10 minutes" in html
    assert "wait a few minutes" in html
    assert replies(thread) == 5

    clock.now += 11 * 60
    reply(thread, poster, "Back again after a break.")
    assert replies(thread) == 6


def test_thirty_posts_a_day(thread, poster, clock):
    for n in range(30):
        if n and n % 5 == 0:
            clock.now += 11 * 60
        reply(thread, poster, f"{FRIENDLY} ({n})")
    clock.now += 11 * 60

    with pytest.raises(PostRefused, match="30 times today"):
        reply(thread, poster, "And another.")
    assert replies(thread) == 30

    clock.now += 24 * 3600
    reply(thread, poster, "A new day.")
    assert replies(thread) == 31


def test_limits_are_per_member(thread, poster, group, clock):
    other = established(add_member(group))
    for n in range(5):
        reply(thread, poster, f"{FRIENDLY} ({n})")

    reply(thread, other, "My first today.")

    assert replies(thread) == 6


def test_refused_posts_do_not_use_up_the_limit(thread, newcomer, clock):
    for _ in range(6):
        with pytest.raises(PostRefused):
            reply(thread, newcomer, "https://spam.example")

    reply(thread, newcomer, "Hello, properly this time.")
    assert replies(thread) == 1


# --- Hard selling ------------------------------------------------------------------------------


HARD_SELL = "Special offer for this group only! Buy now and DM me for a discount code."


def test_hard_selling_is_held_for_review_and_never_shown(client, thread, poster, group):
    outcome = reply(thread, poster, HARD_SELL)
    reader = add_member(group)
    client.force_login(reader)

    assert outcome.held
    post = Post.objects.get(pk=outcome.post.pk)
    assert post.is_hidden
    assert post.hidden_reason == Post.HiddenReason.HELD
    assert post.spam_flags == "selling"
    assert "discount code" not in page(client, thread)
    assert PostForReview.objects.needs_review().filter(pk=post.pk).exists()


def test_the_author_is_told_it_waits_for_a_moderator(client, thread, poster):
    client.force_login(poster)

    response = client.post(thread_url(thread), {"body": HARD_SELL}, follow=True)

    assert "will appear once a moderator has had a look" in unescape(response.content.decode())


def test_one_selling_phrase_is_just_conversation(thread, poster):
    outcome = reply(thread, poster, "Has anyone tried a free trial of a bookkeeping app?")

    assert not outcome.held


def test_a_hard_selling_new_thread_is_hidden_with_its_opening_post(group, poster):
    outcome = thread_create(
        group=group, author=poster, title="Limited time offer", body="Buy now, act now!"
    )

    assert outcome.held
    assert Thread.objects.get(pk=outcome.post.thread_id).is_hidden


# --- Akismet -----------------------------------------------------------------------------------


def test_akismet_spam_is_held(thread, poster, akismet, settings):
    outcome = reply(thread, poster, "Cheap viagra for all", user_ip="203.0.113.9")

    assert outcome.held
    assert Post.objects.get(pk=outcome.post.pk).spam_flags == "akismet"
    [request] = akismet.requests
    assert request["path"] == "/1.1/comment-check"
    form = request["form"]
    assert form["comment_content"] == "Cheap viagra for all"
    assert form["comment_type"] == "forum-post"
    assert form["user_ip"] == "203.0.113.9"
    assert form["blog"] == settings.SITE_URL
    assert form["comment_author"] == poster.profile.display_name
    # We never hand a member's email address to anyone.
    assert "comment_author_email" not in form
    assert poster.email not in str(form)


def test_akismet_ham_is_posted(thread, poster, akismet):
    outcome = reply(thread, poster, FRIENDLY)

    assert not outcome.held
    assert len(akismet.requests) == 1


def test_akismet_is_asked_through_the_site_with_the_visitors_address(
    client, thread, poster, akismet
):
    client.force_login(poster)

    client.post(thread_url(thread), {"body": "viagra"}, REMOTE_ADDR="198.51.100.7")

    assert akismet.requests[0]["form"]["user_ip"] == "198.51.100.7"
    assert Post.objects.get(thread=thread, is_opening=False).is_hidden


def test_when_akismet_is_down_posts_still_go_through(thread, poster, akismet):
    akismet.broken = True

    outcome = reply(thread, poster, FRIENDLY)

    assert not outcome.held
    assert len(akismet.requests) == 1


def test_a_wrong_akismet_key_does_not_stop_the_discussion(thread, poster, akismet, settings):
    settings.AKISMET_API_KEY = "not-a-real-key"

    assert not reply(thread, poster, FRIENDLY).held


def test_without_a_key_akismet_is_never_called(thread, poster, akismet, settings):
    settings.AKISMET_API_KEY = ""

    reply(thread, poster, "viagra")

    assert akismet.requests == []


# --- Done when: a spammy post from a brand-new member never appears ----------------------------


def test_a_spammy_post_from_a_brand_new_member_never_appears(
    client, group, thread, newcomer, akismet
):
    reader = add_member(group)
    client.force_login(newcomer)

    with_link = client.post(
        thread_url(thread), {"body": "BUY NOW!! Limited offer at www.cheap-pills.example"}
    )
    no_link = client.post(
        thread_url(thread), {"body": "Buy now! Limited offer, DM me for a promo code."}
    )
    akismet_spam = client.post(thread_url(thread), {"body": "Great viagra deals, ask me"})
    new_thread = client.post(
        reverse("groups:thread_create", args=[group.slug]),
        {"title": "Act now", "body": "Special offer: buy now, only a few spots left"},
    )

    assert with_link.status_code == 200  # refused, with the reason
    assert no_link.status_code == akismet_spam.status_code == new_thread.status_code == 302
    client.force_login(reader)
    html = page(client, thread) + unescape(client.get(group.get_absolute_url()).content.decode())
    for phrase in ("cheap-pills", "promo code", "viagra", "Act now", "only a few spots"):
        assert phrase not in html
    assert not Post.objects.filter(author=newcomer, is_hidden=False).exists()
