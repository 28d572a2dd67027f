"""Staff set up their second factor only from a one-time link mailed to them (issue 16).

A staff password alone must not enrol an authenticator, and the account hears whenever an
authenticator is added or removed.
"""

from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, TOTP, generate_totp_secret
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from mail.models import EmailDelivery
from members.models import StaffEnrolment, User
from members.services.staff import staff_enrolment_send
from members.staff import enrolment_token
from tests.conftest import message_text
from tests.members.factories import PASSWORD, UserFactory, admin_user_form
from tests.members.test_admin_mfa import current_code
from tests.staff import sign_in_with_mfa

pytestmark = pytest.mark.django_db

ACTIVATE = "/accounts/2fa/totp/activate/"


@pytest.fixture
def staff():
    return UserFactory(email="new.staff@example.org", is_staff=True)


def sign_in(client, user):
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def link_for(enrolment: StaffEnrolment) -> str:
    return reverse("members:staff_enrol", kwargs={"token": enrolment_token(enrolment)})


def enrol(client, capture):
    """Activate TOTP in `client`'s session with allauth's own form; returns the POST answer.

    allauth asks for a fresh "confirm it's you" (the password) before any MFA change.
    """
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    client.get(ACTIVATE)
    secret = client.session[SECRET_SESSION_KEY]
    with capture(execute=True):
        return client.post(ACTIVATE, {"code": current_code(secret)})


def test_a_staff_password_alone_cannot_enrol_an_authenticator(client, staff):
    sign_in(client, staff)

    page = client.get(ACTIVATE)
    attempt = client.post(ACTIVATE, {"code": "123456"})

    assert page.status_code == 200
    assert "a one-time link, emailed to the account" in page.content.decode()
    assert "we'll send one to n•••@example.org" in page.content.decode()
    assert attempt.status_code == 403
    assert not Authenticator.objects.filter(user=staff).exists()


def test_members_who_are_not_staff_enrol_as_before(client):
    member = UserFactory()
    sign_in(client, member)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})

    response = client.get(ACTIVATE)

    assert response.status_code == 200
    assert "a one-time link" not in response.content.decode()
    assert SECRET_SESSION_KEY in client.session  # allauth's own page made a secret


def test_granting_staff_in_the_admin_mails_a_one_time_link(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    admin = UserFactory(email="boss@example.org", is_staff=True, is_superuser=True)
    sign_in_with_mfa(client, admin)
    member = UserFactory(email="promoted@example.org")
    url = reverse("admin:members_user_change", args=[member.pk])
    form = admin_user_form(member)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, form)

    assert response.status_code == 302, response.content.decode()[:3000]
    enrolment = StaffEnrolment.objects.get(user=member)
    assert enrolment.reason == StaffEnrolment.Reason.GRANTED
    assert enrolment.granted_by == admin
    [message] = [m for m in mailoutbox if m.to == ["promoted@example.org"]]
    assert "You now have staff access" in message.body
    assert link_for(enrolment) in message.body
    # Saving again, still staff, sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, form)
    assert StaffEnrolment.objects.filter(user=member).count() == 1


def test_createsuperuser_mails_the_new_account_its_link(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-console-passphrase")
    call_command("createsuperuser", "--noinput", email="ops@example.org", verbosity=0)

    user = User.objects.get(email="ops@example.org")
    enrolment = StaffEnrolment.objects.get(user=user)
    assert enrolment.sent_to == "ops@example.org"
    assert EmailDelivery.objects.filter(kind="staff_enrolment", to_email=user.email).exists()


def test_the_link_lets_that_session_and_no_other_set_up_an_authenticator(
    client, staff, django_capture_on_commit_callbacks
):
    enrolment = staff_enrolment_send(user=staff, reason=StaffEnrolment.Reason.GRANTED)
    sign_in(client, staff)
    elsewhere = sign_in(type(client)(), staff)

    # Opening it (a mail scanner does) changes nothing; pressing the button uses it.
    assert client.get(link_for(enrolment)).status_code == 200
    assert StaffEnrolment.objects.usable().filter(pk=enrolment.pk).exists()
    response = client.post(link_for(enrolment))
    assert response["Location"] == reverse("mfa_activate_totp")

    assert elsewhere.post(ACTIVATE, {"code": "123456"}).status_code == 403
    response = enrol(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()
    # Used once: it works no more, in any session.
    assert client.post(link_for(enrolment)).status_code == 410
    assert elsewhere.post(link_for(enrolment)).status_code == 410


def test_links_expire_and_a_new_one_replaces_the_old(client, staff):
    first = staff_enrolment_send(user=staff, reason=StaffEnrolment.Reason.GRANTED)
    StaffEnrolment.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )
    sign_in(client, staff)
    assert "We've sent one to n•••@example.org" in client.get(ACTIVATE).content.decode()

    client.post(reverse("members:staff_enrolment_resend"))

    second = StaffEnrolment.objects.exclude(pk=first.pk).get(user=staff)
    assert second.reason == StaffEnrolment.Reason.REQUESTED
    assert second.sent_to == staff.email
    assert client.post(link_for(first)).status_code == 410  # replaced
    StaffEnrolment.objects.filter(pk=second.pk).update(expires_at=timezone.now())
    assert client.post(link_for(second)).status_code == 410  # expired
    assert not Authenticator.objects.filter(user=staff).exists()


def test_asking_again_and_again_sends_one_link_every_few_minutes(client, staff):
    sign_in(client, staff)

    for _ in range(5):
        response = client.post(reverse("members:staff_enrolment_resend"), follow=True)

    assert StaffEnrolment.objects.filter(user=staff).count() == 1
    assert "We sent you a link a few minutes ago" in response.content.decode()


def test_someone_elses_link_is_not_there(client, staff):
    enrolment = staff_enrolment_send(user=staff, reason=StaffEnrolment.Reason.GRANTED)
    other = UserFactory(is_staff=True)
    sign_in(client, other)

    assert client.get(link_for(enrolment)).status_code == 404
    assert client.post(link_for(enrolment)).status_code == 404
    bad = reverse("members:staff_enrol", kwargs={"token": f"{enrolment.pk}:forged"})
    assert client.post(bad).status_code == 404
    assert StaffEnrolment.objects.usable().filter(pk=enrolment.pk).exists()


def test_the_link_needs_the_account_signed_in(client, staff):
    enrolment = staff_enrolment_send(user=staff, reason=StaffEnrolment.Reason.GRANTED)

    response = client.post(link_for(enrolment))

    assert response["Location"].startswith(reverse("account_login"))
    assert StaffEnrolment.objects.usable().filter(pk=enrolment.pk).exists()


def test_the_link_goes_only_to_the_accounts_verified_address(staff):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.filter(user=staff).update(verified=False)

    assert staff_enrolment_send(user=staff, reason=StaffEnrolment.Reason.REQUESTED) is None
    assert not EmailDelivery.objects.filter(kind="staff_enrolment").exists()


def test_with_debug_on_the_demo_admin_enrols_without_a_link(client, settings):
    settings.DEBUG = True
    admin = UserFactory(email=settings.DEMO_ADMIN_EMAIL, is_staff=True, is_superuser=True)
    sign_in(client, admin)

    response = client.get(ACTIVATE)

    assert "a one-time link" not in response.content.decode()


# --- The account hears when an authenticator is added or removed --------------------------


def test_adding_and_removing_an_authenticator_emails_the_account(
    client, smtp_server, django_capture_on_commit_callbacks
):
    member = UserFactory(email="careful@example.org")
    sign_in(client, member)

    enrol(client, django_capture_on_commit_callbacks)

    [added] = smtp_server.to("careful@example.org")
    assert "An authenticator app was added to your Mutual account" in message_text(added)
    assert "If it wasn't you" in message_text(added)

    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("mfa_deactivate_totp"))

    assert not Authenticator.objects.filter(user=member, type=Authenticator.Type.TOTP).exists()
    removed = smtp_server.to("careful@example.org")[-1]
    assert "The authenticator app was removed from your Mutual account" in message_text(removed)


def test_the_enrolment_link_arrives_over_smtp(smtp_server, django_capture_on_commit_callbacks):
    staff = UserFactory(email="smtp.staff@example.org", is_staff=True)

    with django_capture_on_commit_callbacks(execute=True):
        enrolment = staff_enrolment_send(user=staff, reason=StaffEnrolment.Reason.GRANTED)

    [message] = smtp_server.to("smtp.staff@example.org")
    assert link_for(enrolment) in message_text(message)


def test_staff_remove_a_lost_authenticator_in_the_admin_and_its_owner_is_told(
    client, smtp_server, django_capture_on_commit_callbacks
):
    owner = UserFactory(email="lost.phone@example.org")
    TOTP.activate(owner, generate_totp_secret())
    totp = Authenticator.objects.get(user=owner, type=Authenticator.Type.TOTP)
    sign_in_with_mfa(client, UserFactory(is_staff=True, is_superuser=True))

    assert client.get(reverse("admin:mfa_authenticator_add")).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:mfa_authenticator_delete", args=[totp.pk]), {"post": "yes"}
        )

    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=owner).exists()
    [message] = smtp_server.to("lost.phone@example.org")
    text = message_text(message)
    assert "A member of staff removed your" in text, text
