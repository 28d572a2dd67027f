"""App-level rate limits: one request too many gets the friendly 429 page and changes nothing."""

import re

import pytest
from django.urls import reverse

from discounts.models import Redemption
from events.models import RSVP
from experts.models import ExpertRequest
from groups.models import Post
from members.models import IntroRequest
from tests.conftest import message_text
from tests.discounts.factories import OfferFactory
from tests.events.factories import EventFactory
from tests.experts.factories import ExpertFactory, request_data
from tests.groups.factories import GroupFactory, add_member, thread_with_opening
from tests.members.factories import UserFactory, make_active_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(client):
    user = UserFactory()
    make_active_member(user)
    client.force_login(user)
    return user


def other_member():
    user = UserFactory()
    make_active_member(user)
    return user


def rsvp_case(member):
    events = [EventFactory(), EventFactory()]
    urls = [reverse("events:rsvp", kwargs={"slug": e.slug}) for e in events]
    return urls, [{"response": "yes"}] * 2, lambda: RSVP.objects.count()


def redeem_case(member):
    offers = [OfferFactory(), OfferFactory()]
    urls = [reverse("discounts:redeem", kwargs={"slug": o.slug}) for o in offers]
    return urls, [{}, {}], lambda: Redemption.objects.count()


def intro_case(member):
    people = [other_member(), other_member()]
    urls = [reverse("members:intro_request", kwargs={"handle": p.profile.handle}) for p in people]
    data = {"note": "Hello, I'd like to meet you.", "sender_contact": "07700 900123"}
    return urls, [data, data], lambda: IntroRequest.objects.count()


def post_case(member):
    group = GroupFactory()
    add_member(group, member)
    thread = thread_with_opening(group, member)
    url = reverse("groups:thread", kwargs={"slug": group.slug, "pk": thread.pk})
    data = [{"body": "First reply, friendly."}, {"body": "Second reply, friendly."}]
    return [url, url], data, lambda: Post.objects.count()


def expert_request_case(member):
    experts = [ExpertFactory(), ExpertFactory()]
    urls = [reverse("experts:request", kwargs={"slug": e.slug}) for e in experts]
    return urls, [request_data(), request_data()], lambda: ExpertRequest.objects.count()


@pytest.mark.parametrize(
    ("action", "case"),
    [
        ("rsvp", rsvp_case),
        ("redeem", redeem_case),
        ("intro", intro_case),
        ("post", post_case),
        ("expert_request", expert_request_case),
    ],
)
def test_one_request_over_the_limit_gets_a_friendly_429_and_changes_nothing(
    client, member, settings, action, case
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, action: "1/h"}
    urls, data, count = case(member)

    first = client.post(urls[0], data[0])
    assert first.status_code in (200, 302, 303)
    before = count()
    assert before >= 1

    second = client.post(urls[1], data[1])

    assert second.status_code == 429
    assert "Please wait a moment" in second.content.decode()
    assert count() == before


def test_limits_are_per_member(client, member, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "rsvp": "1/h"}
    event, other_event = EventFactory(), EventFactory()
    client.post(reverse("events:rsvp", kwargs={"slug": event.slug}), {"response": "yes"})

    client.force_login(other_member())
    response = client.post(
        reverse("events:rsvp", kwargs={"slug": other_event.slug}), {"response": "yes"}
    )

    assert response.status_code != 429


# --- Sign-in limits: per client and account, under a generous ceiling per client ---------------

ATTACKER, OWNER, OFFICE_PROXY = "203.0.113.9", "198.51.100.7", "10.0.0.2"


def sign_in(client, user, *, password="wrong-password", **meta):  # noqa: S107  # pragma: allowlist secret
    from tests.members.factories import PASSWORD

    client.logout()
    response = client.post(
        reverse("account_login"),
        {"login": user.email, "password": PASSWORD if password is None else password},
        **meta,
    )
    return response, "Too many failed login attempts" in response.content.decode()


def test_wrong_passwords_elsewhere_never_lock_the_owner_out(client):
    owner = UserFactory()
    for _attempt in range(8):
        sign_in(client, owner, REMOTE_ADDR=ATTACKER)

    attacker_again, locked = sign_in(client, owner, password=None, REMOTE_ADDR=ATTACKER)
    assert locked and attacker_again.status_code == 200  # even the right password, from there

    response, locked = sign_in(client, owner, password=None, REMOTE_ADDR=OWNER)
    assert not locked
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(owner.pk)


def test_failures_from_one_address_do_not_block_other_people_signing_in_from_it(client):
    colleagues = [UserFactory() for _ in range(6)]
    for colleague in colleagues[:-1]:
        for _attempt in range(3):  # 15 failures from the office, none over 5 for one account
            sign_in(client, colleague, REMOTE_ADDR=OFFICE_PROXY)

    response, locked = sign_in(client, colleagues[-1], password=None, REMOTE_ADDR=OFFICE_PROXY)

    assert not locked
    assert response.status_code == 302


def test_one_address_still_has_a_ceiling_across_accounts(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "4/m/ip"}
    for _ in range(4):
        sign_in(client, UserFactory(), REMOTE_ADDR=ATTACKER)

    assert sign_in(client, UserFactory(), REMOTE_ADDR=ATTACKER)[1]
    assert not sign_in(client, UserFactory(), REMOTE_ADDR=OWNER)[1]


def test_behind_a_proxy_each_client_counts_apart_and_forged_addresses_change_nothing(
    client, settings
):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    owner = UserFactory()
    # The proxy appends the address it saw; the attacker writes whatever they like before it.
    for attempt in range(8):
        forged = f"192.0.2.{attempt}, {ATTACKER}"
        sign_in(client, owner, REMOTE_ADDR=OFFICE_PROXY, HTTP_X_FORWARDED_FOR=forged)

    forged = f"192.0.2.99, {ATTACKER}"
    assert sign_in(client, owner, REMOTE_ADDR=OFFICE_PROXY, HTTP_X_FORWARDED_FOR=forged)[1]
    response, locked = sign_in(
        client, owner, password=None, REMOTE_ADDR=OFFICE_PROXY, HTTP_X_FORWARDED_FOR=OWNER
    )
    assert not locked
    assert response.status_code == 302


def test_the_owner_signs_in_with_an_emailed_code_while_passwords_are_locked(client, smtp_server):
    owner = UserFactory()
    for _attempt in range(6):  # someone on the owner's own network guessed
        sign_in(client, owner, REMOTE_ADDR=OWNER)
    assert sign_in(client, owner, password=None, REMOTE_ADDR=OWNER)[1]

    login_page = client.get(reverse("account_login"), REMOTE_ADDR=OWNER).content.decode()
    assert reverse("account_request_login_code") in login_page
    code_page = client.get(reverse("account_request_login_code")).content.decode()
    assert "It works even when signing in with your password has been paused" in code_page
    asked = client.post(
        reverse("account_request_login_code"), {"email": owner.email}, REMOTE_ADDR=OWNER
    )
    assert asked.status_code == 302
    [message] = smtp_server.to(owner.email)
    code_line = re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", message_text(message), re.MULTILINE)
    code = code_line.group(1)

    confirmed = client.post(
        reverse("account_confirm_login_code"), {"code": code}, REMOTE_ADDR=OWNER
    )

    assert confirmed.status_code == 302
    assert client.session["_auth_user_id"] == str(owner.pk)
