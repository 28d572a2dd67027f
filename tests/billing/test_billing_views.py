import json
import urllib.request

import pytest
from django.urls import reverse

from billing.models import Membership
from tests.members.factories import ProfileFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(client):
    user = UserFactory()
    client.force_login(user)
    return user


def standin_get(standin, path: str) -> dict:
    request = urllib.request.Request(
        f"{standin.base_url}{path}",
        headers={"Authorization": "Bearer sk_test_mutual_tests"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


def test_the_join_page_shows_the_one_price_and_the_promise(client, person, settings):
    settings.MEMBERSHIP_PRICE = "5.00"
    settings.MEMBERSHIP_CURRENCY = "GBP"

    response = client.get(reverse("billing:join"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "£5.00" in body
    assert "and no more" in body
    assert "cancel any time" in body.lower()


def test_joining_creates_the_customer_and_a_checkout_session_then_answers_303(
    client, person, stripe_standin
):
    response = client.post(reverse("billing:join"))

    assert response.status_code == 303
    assert response["Location"].startswith(f"{stripe_standin.base_url}/checkout/cs_test_")
    membership = Membership.objects.get(user=person)
    assert membership.stripe_customer_id.startswith("cus_")
    assert not membership.is_active()  # nothing is granted before Stripe says so
    session_id = response["Location"].rsplit("/", 1)[1]
    session = standin_get(stripe_standin, f"/v1/checkout/sessions/{session_id}")
    assert session["mode"] == "subscription"
    assert session["customer"] == membership.stripe_customer_id
    assert session["client_reference_id"] == str(person.pk)
    assert session["price"] == stripe_standin.price_id
    assert session["success_url"].endswith("/join/success/?session_id={CHECKOUT_SESSION_ID}")


def test_joining_again_reuses_the_customer(client, person, stripe_standin):
    client.post(reverse("billing:join"))
    customer_id = Membership.objects.get(user=person).stripe_customer_id

    client.post(reverse("billing:join"))

    assert Membership.objects.get(user=person).stripe_customer_id == customer_id
    customers = standin_get(stripe_standin, "/v1/customers")["data"]
    assert len(customers) == 1


def test_when_stripe_is_unreachable_joining_shows_a_friendly_page_and_creates_nothing(
    client, person, settings
):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"

    response = client.post(reverse("billing:join"))

    assert response.status_code == 503
    assert "couldn't reach our payment provider" in response.content.decode()
    assert not Membership.objects.exists()


def test_an_active_member_is_not_charged_twice(client, person):
    Membership.objects.create(user=person, status="active", stripe_customer_id="cus_1")

    response = client.post(reverse("billing:join"))

    assert response.status_code == 302
    assert response["Location"] == reverse("billing:detail")


def test_the_portal_button_answers_303_to_the_customer_portal(client, person, stripe_standin):
    client.post(reverse("billing:join"))

    response = client.post(reverse("billing:portal"))

    assert response.status_code == 303
    assert response["Location"].startswith(f"{stripe_standin.base_url}/portal/bps_test_")


def test_billing_shows_status_renewal_date_and_payment_trouble(client, person):
    from datetime import timedelta

    from django.utils import timezone

    Membership.objects.create(
        user=person,
        status="past_due",
        past_due_since=timezone.now() - timedelta(days=1),
        current_period_end=timezone.now() + timedelta(days=20),
        stripe_customer_id="cus_1",
        stripe_subscription_id="sub_1",
    )

    body = client.get(reverse("billing:detail")).content.decode()

    assert "Your last payment didn't go through" in body
    assert "Update your card" in body


def test_the_status_endpoint_reports_activation(client, person):
    assert client.get(reverse("billing:membership_status")).json()["active"] is False
    Membership.objects.create(user=person, status="active", stripe_customer_id="cus_1")
    assert client.get(reverse("billing:membership_status")).json()["active"] is True


@pytest.mark.parametrize("status", ["", "canceled", "incomplete"])
def test_member_only_pages_send_non_members_to_join_with_a_message(client, person, status):
    if status:
        Membership.objects.create(user=person, status=status, stripe_customer_id="cus_1")
    other = ProfileFactory()

    response = client.get(reverse("members:detail", kwargs={"handle": other.handle}), follow=True)

    assert response.redirect_chain[-1][0] == reverse("billing:join")
    assert "for paying members" in response.content.decode()


def test_member_only_pages_open_for_active_members(client, person):
    Membership.objects.create(user=person, status="active", stripe_customer_id="cus_1")
    other = ProfileFactory()

    response = client.get(reverse("members:detail", kwargs={"handle": other.handle}))

    assert response.status_code == 200
