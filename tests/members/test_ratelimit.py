"""App-level rate limits: one request too many gets the friendly 429 page and changes nothing."""

import pytest
from django.urls import reverse

from discounts.models import Redemption
from events.models import RSVP
from experts.models import ExpertRequest
from groups.models import Post
from members.models import IntroRequest
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
