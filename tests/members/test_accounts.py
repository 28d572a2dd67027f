import re

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from members.models import Profile, User
from tests.conftest import message_text

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "new.member@example.org",
    "password1": "a-long-enough-passphrase",
    "password2": "a-long-enough-passphrase",
}


def confirmation_link(inbox, address: str) -> str:
    [message] = inbox.to(address)
    match = re.search(r"https?://[^\s]+/accounts/confirm-email/[^\s]+/", message_text(message))
    assert match, message_text(message)
    return match.group(0)


def test_signup_sends_a_real_confirmation_email_and_makes_a_profile(client, smtp_server):
    response = client.post(reverse("account_signup"), SIGNUP)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="new.member@example.org")
    assert user.profile.handle == "new-member"
    assert user.profile.display_name == "New Member"
    [message] = smtp_server.to("new.member@example.org")
    assert "Confirm" in message["Subject"]
    assert "/accounts/confirm-email/" in message_text(message)


def test_signing_in_before_confirming_is_refused(client, smtp_server):
    client.post(reverse("account_signup"), SIGNUP)
    client.logout()

    response = client.post(
        reverse("account_login"), {"login": SIGNUP["email"], "password": SIGNUP["password1"]}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session


def test_confirming_from_the_email_then_signing_in_works(client, smtp_server):
    client.post(reverse("account_signup"), SIGNUP)
    client.logout()
    link = confirmation_link(smtp_server, SIGNUP["email"])
    path = link.split("://", 1)[1].split("/", 1)[1]

    assert client.get("/" + path).status_code == 200
    client.post("/" + path)
    assert EmailAddress.objects.get(email=SIGNUP["email"]).verified

    response = client.post(
        reverse("account_login"), {"login": SIGNUP["email"], "password": SIGNUP["password1"]}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("members:profile")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short-pass", "at least 12 characters"),
        ("password1234", "too common"),
        ("new.member.example", "too similar"),
    ],
)
def test_weak_passwords_are_refused_with_a_clear_message(client, password, message):
    data = {**SIGNUP, "password1": password, "password2": password}

    response = client.post(reverse("account_signup"), data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(email=SIGNUP["email"]).exists()


def test_signup_with_an_address_in_use_reveals_nothing_and_changes_nothing(client, smtp_server):
    from tests.members.factories import UserFactory

    UserFactory(email="new.member@example.org")

    response = client.post(reverse("account_signup"), SIGNUP)

    # Same answer as a fresh sign-up, so the form can't be used to find members' addresses;
    # the owner of the address is told by email instead.
    assert response.status_code == 302
    assert User.objects.count() == 1
    assert Profile.objects.count() == 1
    [message] = smtp_server.to("new.member@example.org")
    assert "already" in message_text(message).lower()


def test_password_reset_mail_arrives_over_smtp(client, smtp_server):
    from tests.members.factories import UserFactory

    user = UserFactory()

    response = client.post(reverse("account_reset_password"), {"email": user.email})

    assert response.status_code == 302
    [message] = smtp_server.to(user.email)
    assert "/accounts/password/reset/key/" in message_text(message)


def test_failed_logins_are_rate_limited(client):
    from tests.members.factories import UserFactory

    user = UserFactory()
    for _attempt in range(5):
        client.post(reverse("account_login"), {"login": user.email, "password": "wrong-password"})

    response = client.post(
        reverse("account_login"), {"login": user.email, "password": "wrong-password"}
    )

    assert "Too many failed login attempts" in response.content.decode()


def test_account_mail_goes_through_the_outbox_with_an_html_part_and_keeps_no_link(
    client, smtp_server
):
    from members.models import EmailDelivery

    client.post(reverse("account_signup"), SIGNUP)

    [message] = smtp_server.to(SIGNUP["email"])
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "/accounts/confirm-email/" in html
    assert "about your own Mutual account" in html
    [delivery] = EmailDelivery.objects.filter(to_email=SIGNUP["email"])
    assert (delivery.kind, delivery.status, delivery.payload) == ("prerendered", "sent", {})


def test_account_mail_deferred_by_the_smtp_server_is_sent_by_the_sweeper(
    client, smtp_server, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from members.models import EmailDelivery
    from members.services.email import deliveries_requeue_stale

    smtp_server.refusals[SIGNUP["email"]] = ["451 4.3.0 Try again later"]
    client.post(reverse("account_signup"), SIGNUP)
    assert smtp_server.to(SIGNUP["email"]) == []
    assert EmailDelivery.objects.get(to_email=SIGNUP["email"]).status == "pending"

    with django_capture_on_commit_callbacks(execute=True):
        deliveries_requeue_stale(older_than=timedelta(0))

    assert len(smtp_server.to(SIGNUP["email"])) == 1
