import re

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from members.models import Profile, User
from tests.conftest import message_text

pytestmark = pytest.mark.django_db

SIGNUP = {
    "display_name": "Kit Marlowe",
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
    assert user.profile.display_name == "Kit Marlowe"
    assert user.profile.handle == "kit-marlowe"
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
    assert response["Location"] == reverse("home")


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
    from mail.models import EmailDelivery

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

    from mail.models import EmailDelivery
    from mail.services import deliveries_requeue_stale

    smtp_server.refusals[SIGNUP["email"]] = ["451 4.3.0 Try again later"]
    client.post(reverse("account_signup"), SIGNUP)
    assert smtp_server.to(SIGNUP["email"]) == []
    assert EmailDelivery.objects.get(to_email=SIGNUP["email"]).status == "pending"

    with django_capture_on_commit_callbacks(execute=True):
        deliveries_requeue_stale(older_than=timedelta(0))

    assert len(smtp_server.to(SIGNUP["email"])) == 1


# --- Nothing public comes from the email address -----------------------------------------


def test_sign_up_asks_for_a_name_and_makes_nothing_public_from_the_address(client, smtp_server):
    form = client.get(reverse("account_signup")).content.decode()
    assert 'name="display_name"' in form
    assert re.search(r'<input[^>]*name="display_name"[^>]*value=', form) is None  # no pre-fill

    client.post(
        reverse("account_signup"),
        {**SIGNUP, "email": "jsmith1987@example.org", "display_name": "Jo Smith"},
    )

    profile = User.objects.get(email="jsmith1987@example.org").profile
    assert (profile.display_name, profile.handle) == ("Jo Smith", "jo-smith")
    assert "jsmith" not in profile.handle
    assert not profile.in_directory  # listing is an opt-in, never pre-ticked


def test_sign_up_without_a_name_is_refused(client):
    response = client.post(reverse("account_signup"), {**SIGNUP, "display_name": "   "})

    assert response.status_code == 200
    assert "Tell other members what to call you" in response.content.decode()
    assert not User.objects.filter(email=SIGNUP["email"]).exists()


def test_a_taken_handle_gets_a_suffix_and_a_name_with_no_letters_a_random_handle(
    client, smtp_server
):
    from tests.members.factories import ProfileFactory

    ProfileFactory(handle="kit-marlowe")
    client.post(reverse("account_signup"), SIGNUP)
    client.post(
        reverse("account_signup"),
        {**SIGNUP, "email": "other@example.org", "display_name": "王小明"},
    )

    assert re.fullmatch(
        r"kit-marlowe-\d{4}", User.objects.get(email=SIGNUP["email"]).profile.handle
    )
    other = User.objects.get(email="other@example.org").profile
    assert other.display_name == "王小明"
    assert re.fullmatch(r"member-[0-9a-f]{6}", other.handle)


def test_an_account_made_outside_sign_up_gets_a_neutral_name_and_a_random_handle():
    from members.services import profile_create

    user = User.objects.create_user("jsmith1987@example.org", "a-long-enough-passphrase")

    profile = profile_create(user=user)

    assert profile.display_name == "New member"
    assert re.fullmatch(r"member-[0-9a-f]{6}", profile.handle)
    assert not profile.in_directory


# --- Address squatting -------------------------------------------------------------------

OWNER = "owner@example.org"


def squatter_holding(address: str, *, primary: bool = False):
    """A confirmed member who put someone else's address on their account, unconfirmed."""
    from tests.members.factories import UserFactory

    if primary:
        user = UserFactory(email=address, verified=False)
        EmailAddress.objects.create(user=user, email=address, verified=False, primary=True)
        return user
    user = UserFactory(email="squatter@example.org")
    EmailAddress.objects.create(user=user, email=address, verified=False, primary=False)
    return user


def test_one_address_per_account_changed_through_the_change_email_flow(client, smtp_server):
    from tests.members.factories import UserFactory

    user = UserFactory(email="me@example.org")
    client.force_login(user)

    page = client.get(reverse("account_email")).content.decode()
    assert "me@example.org" in page
    assert 'name="action_primary"' not in page  # no list of several addresses to juggle
    client.post(reverse("account_email"), {"action_add": "", "email": "first@example.org"})
    client.post(reverse("account_email"), {"action_add": "", "email": "second@example.org"})

    # One pending change at a time, and the confirmed address stays until it is replaced.
    rows = set(EmailAddress.objects.filter(user=user).values_list("email", "verified"))
    assert rows == {("me@example.org", True), ("second@example.org", False)}
    link = confirmation_link(smtp_server, "second@example.org")
    client.post("/" + link.split("://", 1)[1].split("/", 1)[1])
    assert list(EmailAddress.objects.filter(user=user).values_list("email", flat=True)) == [
        "second@example.org"
    ]
    user.refresh_from_db()
    assert user.email == "second@example.org"


def test_a_password_reset_is_never_mailed_to_an_unconfirmed_address(client, smtp_server):
    squatter_holding(OWNER)

    response = client.post(reverse("account_reset_password"), {"email": OWNER})

    # The page says what it says for any address ...
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    # ... and no reset link for the squatter's account reaches the address.
    for message in smtp_server.to(OWNER):
        assert "/accounts/password/reset/key/" not in message_text(message)


def test_a_password_reset_for_an_account_that_never_confirmed_its_address_sends_no_link(
    client, smtp_server
):
    squatter_holding(OWNER, primary=True)

    client.post(reverse("account_reset_password"), {"email": OWNER})

    for message in smtp_server.to(OWNER):
        assert "/accounts/password/reset/key/" not in message_text(message)


def test_a_password_reset_still_reaches_staff_made_with_createsuperuser(client, smtp_server):
    User.objects.create_superuser("ops@example.org", "a-long-enough-passphrase")

    client.post(reverse("account_reset_password"), {"email": "ops@example.org"})

    assert any(
        "/accounts/password/reset/key/" in message_text(message)
        for message in smtp_server.to("ops@example.org")
    )


def test_signing_up_with_an_address_held_unconfirmed_elsewhere_succeeds_and_drops_the_claim(
    client, smtp_server
):
    squatter = squatter_holding(OWNER)

    response = client.post(reverse("account_signup"), {**SIGNUP, "email": OWNER})

    assert response["Location"] == reverse("account_email_verification_sent")
    owner = User.objects.get(email=OWNER)
    assert owner.profile.display_name == "Kit Marlowe"
    [message] = smtp_server.to(OWNER)
    assert "/accounts/confirm-email/" in message_text(message)
    # The squatter keeps their own confirmed address, untouched, and loses the claim.
    assert list(EmailAddress.objects.filter(user=squatter).values_list("email", "verified")) == [
        ("squatter@example.org", True)
    ]
    squatter.refresh_from_db()
    assert squatter.email == "squatter@example.org"


def test_signing_up_with_an_address_another_sign_up_never_confirmed_succeeds(client, smtp_server):
    abandoned = squatter_holding(OWNER, primary=True)

    client.post(reverse("account_signup"), {**SIGNUP, "email": OWNER})

    assert not User.objects.filter(pk=abandoned.pk).exists()
    [owner] = User.objects.filter(email=OWNER)
    assert owner.profile.display_name == "Kit Marlowe"
    assert list(EmailAddress.objects.filter(email=OWNER).values_list("user", flat=True)) == [
        owner.pk
    ]


def test_signing_up_with_an_address_someone_confirmed_still_creates_nothing(client, smtp_server):
    from tests.members.factories import UserFactory

    UserFactory(email=OWNER)
    squatter_holding(OWNER)

    client.post(reverse("account_signup"), {**SIGNUP, "email": OWNER})

    assert User.objects.filter(email=OWNER).count() == 1
    assert EmailAddress.objects.filter(email=OWNER).count() == 2
