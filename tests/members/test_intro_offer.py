"""Introductions are offered only when they can be asked for: the profile page shows the
button, or why there is none, by the same rule (`members.selectors.intro_offer`) that the
request itself is checked by (`intro_request_create`)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import Membership
from members.models import IntroRequest
from members.selectors import intro_offer
from members.services.intros import IntroRefused, intro_request_create
from tests.members.factories import UserFactory, make_active_member

pytestmark = pytest.mark.django_db

ASK = "Ask for an introduction"


def active():
    user = UserFactory()
    make_active_member(user)
    return user


def lapsed():
    user = active()
    Membership.objects.filter(user=user).update(status=Membership.Status.CANCELED)
    user.refresh_from_db()
    return user


def ask(sender, recipient):
    return intro_request_create(
        sender=sender, recipient=recipient, note="Coffee next week?", sender_contact="07700 900123"
    )


def declined(sender, recipient, *, days_ago: int) -> IntroRequest:
    return IntroRequest.objects.create(
        sender=sender,
        recipient=recipient,
        note="Coffee?",
        status=IntroRequest.Status.DECLINED,
        responded_at=timezone.now() - timedelta(days=days_ago),
    )


@pytest.fixture
def me(client):
    user = active()
    client.force_login(user)
    return user


def profile_page(client, user) -> str:
    response = client.get(reverse("members:detail", kwargs={"handle": user.profile.handle}))
    assert response.status_code == 200
    return response.content.decode()


def intro_url(user) -> str:
    return reverse("members:intro_request", kwargs={"handle": user.profile.handle})


# --- The rule, and the service keeping it --------------------------------------------------


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("self", "to yourself"),
        ("sender lapsed", "Introductions are for current members"),
        ("recipient lapsed", "isn't taking introductions at the moment"),
        ("recipient unlisted", "isn't taking introductions at the moment"),
        ("declined 89 days ago", "declined an introduction in the last 90 days"),
        ("ten today", "10 introductions a day"),
    ],
)
def test_each_refusal_is_the_rule_s_and_the_service_refuses_with_the_same_words(case, words):
    sender, recipient = active(), active()
    if case == "self":
        recipient = sender
    elif case == "sender lapsed":
        sender = lapsed()
    elif case == "recipient lapsed":
        recipient = lapsed()
    elif case == "recipient unlisted":
        recipient.profile.in_directory = False
        recipient.profile.save()
    elif case == "declined 89 days ago":
        declined(sender, recipient, days_ago=89)
    elif case == "ten today":
        for _ in range(IntroRequest.OPEN_PER_DAY):
            ask(sender, active())
    before = IntroRequest.objects.count()

    offer = intro_offer(sender=sender, recipient=recipient)
    with pytest.raises(IntroRefused) as refused:
        ask(sender, recipient)

    assert not offer.allowed
    assert words in offer.refusal
    assert str(refused.value) == offer.refusal
    assert IntroRequest.objects.count() == before


def test_a_decline_older_than_90_days_no_longer_refuses():
    sender, recipient = active(), active()
    declined(sender, recipient, days_ago=91)

    assert intro_offer(sender=sender, recipient=recipient).allowed
    assert ask(sender, recipient).status == IntroRequest.Status.PENDING


def test_a_waiting_request_is_no_refusal_and_asking_again_returns_it():
    sender, recipient = active(), active()
    first = ask(sender, recipient)

    offer = intro_offer(sender=sender, recipient=recipient)

    assert offer.allowed
    assert offer.pending == first
    assert ask(sender, recipient) == first


def test_the_refusal_after_a_decline_says_when_they_may_ask_again():
    sender, recipient = active(), active()
    declined(sender, recipient, days_ago=80)

    refusal = intro_offer(sender=sender, recipient=recipient).refusal

    again = timezone.localdate() + timedelta(days=10)
    assert f"{again.day} {again:%B %Y}" in refusal


# --- The profile page offers the button only when the request can go ----------------------


def test_a_current_listed_member_s_profile_offers_the_button(client, me):
    them = active()

    body = profile_page(client, them)

    assert ASK in body
    assert intro_url(them) in body


def test_a_lapsed_member_s_profile_says_why_instead_of_offering_the_button(client, me):
    them = lapsed()

    body = profile_page(client, them)

    assert ASK not in body
    assert intro_url(them) not in body
    assert "isn&#x27;t taking introductions at the moment" in body


def test_after_a_decline_the_profile_says_why_and_when(client, me):
    them = active()
    declined(me, them, days_ago=1)

    body = profile_page(client, them)

    assert ASK not in body
    assert "declined an introduction in the last 90 days" in body


def test_at_the_daily_limit_the_profile_says_so(client, me):
    for _ in range(IntroRequest.OPEN_PER_DAY):
        ask(me, active())
    them = active()

    body = profile_page(client, them)

    assert ASK not in body
    assert "10 introductions a day" in body


def test_a_waiting_request_shows_on_the_profile_instead_of_the_button(client, me):
    them = active()
    ask(me, them)

    body = profile_page(client, them)

    assert ASK not in body
    assert "waiting for their answer" in body
    assert reverse("members:intros") in body


def test_the_own_profile_offers_editing_not_an_introduction(client, me):
    body = profile_page(client, me)

    assert ASK not in body
    assert "Edit your profile" in body


# --- The request page says so before any note is written -----------------------------------


def test_the_request_page_gives_the_reason_and_no_form_when_refused(client, me):
    them = lapsed()

    response = client.get(intro_url(them))

    body = response.content.decode()
    assert response.status_code == 200
    assert "isn&#x27;t taking introductions at the moment" in body
    assert 'name="note"' not in body
    assert them.profile.get_absolute_url() in body


def test_the_request_page_sends_a_second_ask_to_the_waiting_request(client, me):
    them = active()
    ask(me, them)

    response = client.get(intro_url(them), follow=True)

    assert response.redirect_chain[-1][0] == reverse("members:intros")
    assert "waiting for their answer" in response.content.decode()


def test_the_request_page_shows_the_form_when_the_request_can_go(client, me):
    body = client.get(intro_url(active())).content.decode()

    assert 'name="note"' in body


def test_the_profile_page_asks_the_rule_in_a_few_queries(client, me, django_assert_max_num_queries):
    them = active()
    client.get(reverse("members:detail", kwargs={"handle": them.profile.handle}))  # warm up

    # The session, the viewer with their membership, the profile with theirs, its interests,
    # and the rule's two (earlier requests between them, requests today).
    with django_assert_max_num_queries(6):
        profile_page(client, them)
