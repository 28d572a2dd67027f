"""Email people can trust: streams, the consent ledger, one-click unsubscribe and the outbox.

Every message here travels over SMTP to the aiosmtpd server in the test process.
"""

import re

import pytest
from django.db import IntegrityError, InternalError, connection, transaction
from django.urls import reverse

from mail.emails import EmailContent, email_kind, render, unsubscribe_token
from mail.models import ConsentEvent, EmailDelivery, StreamSubscription, SuppressedAddress
from mail.selectors import stream_is_on, users_receiving
from mail.services import email_queue, stream_set
from mail.streams import Stream
from tests.conftest import message_text, wait_until
from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db


@email_kind("test_note")
def _test_note(delivery):
    """A stream or transactional note for tests; its title comes from the payload."""
    return EmailContent(
        subject=delivery.payload.get("title", "A note"),
        template="mail/email/notice",
        context={"title": delivery.payload.get("title", "A note"), "body": "Hello."},
    )


def queue_note(user, *, stream="", key="note-1", title="A note", to_email=None):
    return email_queue(
        kind="test_note",
        to_email=to_email or user.email,
        user=user,
        stream=stream,
        dedupe_key=key,
        payload={"title": title},
    )


@pytest.fixture
def member(client):
    user = UserFactory()
    client.force_login(user)
    return user


def settings_post(client, **streams):
    data = {"frequency": streams.pop("frequency", "weekly")}
    data.update({stream: "on" for stream, on in streams.items() if on})
    return client.post(reverse("mail:settings"), data)


# --- Streams and defaults -------------------------------------------------------------------


def test_stream_defaults_opt_in_streams_are_off_the_rest_on():
    user = UserFactory()

    assert not stream_is_on(user, Stream.DIGEST)
    assert not stream_is_on(user, Stream.EVENT_INVITES)
    assert stream_is_on(user, Stream.EVENT_REMINDERS)
    assert stream_is_on(user, Stream.INTRO_REQUESTS)
    assert not ConsentEvent.objects.exists()


def test_opt_in_checkboxes_are_never_pre_ticked(client, member):
    for url in (reverse("mail:settings"),):
        body = client.get(url).content.decode()
        for name in ("digest", "event_invites"):
            tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', body).group(0)
            assert "checked" not in tag
        assert "checked" in re.search(r'<input[^>]*name="event_reminders"[^>]*>', body).group(0)
    client.logout()
    body = client.get(reverse("account_signup")).content.decode()
    for name in ("digest_opt_in", "event_invites_opt_in"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', body).group(0)
        assert "checked" not in tag


def test_every_change_writes_one_ledger_row_and_no_change_writes_none(client, member):
    settings_post(client, event_invites=True, event_reminders=True, intro_requests=True)
    settings_post(client, event_invites=True, event_reminders=True, intro_requests=True)
    settings_post(client, event_invites=True, event_reminders=False, intro_requests=True)

    rows = list(ConsentEvent.objects.filter(user=member).order_by("pk"))
    assert [(r.stream, r.action, r.source) for r in rows] == [
        ("event_invites", "granted", "settings"),
        ("event_reminders", "withdrawn", "settings"),
    ]
    assert all(r.wording_version and r.wording for r in rows)
    assert stream_is_on(member, Stream.EVENT_INVITES)
    assert not stream_is_on(member, Stream.EVENT_REMINDERS)


def test_the_member_sees_their_consent_history(client, member):
    settings_post(client, event_invites=True, event_reminders=True, intro_requests=True)

    body = client.get(reverse("mail:settings")).content.decode()

    assert "Your consent history" in body
    assert "Event invitations" in body
    assert "Email settings page" in body


def test_the_database_refuses_to_change_or_delete_ledger_rows(member):
    stream_set(user=member, stream=Stream.EVENT_INVITES, on=True, source="settings")
    event = ConsentEvent.objects.get()

    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        ConsentEvent.objects.filter(pk=event.pk).update(action="withdrawn")
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        ConsentEvent.objects.filter(pk=event.pk).delete()
    with (
        pytest.raises((IntegrityError, InternalError)),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE mail_consentevent SET source = 'admin'")
    event.refresh_from_db()
    assert (event.action, event.source) == ("granted", "settings")


def test_users_receiving_a_stream_is_one_query(django_assert_num_queries):
    on_by_default, opted_out, opted_in = UserFactory(), UserFactory(), UserFactory()
    stream_set(user=opted_out, stream=Stream.EVENT_REMINDERS, on=False, source="settings")
    stream_set(user=opted_in, stream=Stream.EVENT_INVITES, on=True, source="settings")

    with django_assert_num_queries(1):
        reminders = set(users_receiving(Stream.EVENT_REMINDERS))
    assert on_by_default in reminders
    assert opted_out not in reminders
    assert set(users_receiving(Stream.EVENT_INVITES)) == {opted_in}


# --- Double opt-in --------------------------------------------------------------------------


def test_the_digest_needs_confirming_from_the_email_before_any_is_sent(
    client, member, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = settings_post(
            client, digest=True, event_reminders=True, intro_requests=True, frequency="monthly"
        )
    assert response.status_code == 302

    subscription = StreamSubscription.objects.get(user=member, stream=Stream.DIGEST)
    assert (subscription.status, subscription.frequency) == ("pending", "monthly")
    [confirmation] = smtp_server.to(member.email)
    assert confirmation["List-Unsubscribe"] is None  # about their own request: transactional
    link = re.search(r"http://testserver(/settings/email/confirm/\S+/)", message_text(confirmation))

    with django_capture_on_commit_callbacks(execute=True):
        queue_note(member, stream=Stream.DIGEST, key="digest-before")
    assert EmailDelivery.objects.get(dedupe_key="digest-before").status == "skipped"
    assert len(smtp_server.to(member.email)) == 1

    assert "Yes, send it to me" in client.get(link.group(1)).content.decode()
    assert not stream_is_on(member, Stream.DIGEST)  # GET changes nothing
    client.post(link.group(1))
    assert stream_is_on(member, Stream.DIGEST)

    with django_capture_on_commit_callbacks(execute=True):
        queue_note(member, stream=Stream.DIGEST, key="digest-after")
    assert EmailDelivery.objects.get(dedupe_key="digest-after").status == "sent"
    actions = list(
        ConsentEvent.objects.filter(user=member).order_by("pk").values_list("action", "source")
    )
    assert actions == [("requested", "settings"), ("granted", "confirmation")]


def test_a_tampered_confirmation_link_is_404(client, member):
    assert client.get("/settings/email/confirm/not-a-token/").status_code == 404


def test_opting_in_at_sign_up_is_recorded_with_its_source(client, smtp_server):
    client.post(
        reverse("account_signup"),
        {
            "display_name": "Opt In",
            "email": "optin@example.org",
            "password1": "a-long-enough-passphrase",
            "password2": "a-long-enough-passphrase",
            "event_invites_opt_in": "on",
        },
    )

    [event] = ConsentEvent.objects.filter(user__email="optin@example.org")
    assert (event.stream, event.action, event.source) == ("event_invites", "granted", "signup")


# --- One-click unsubscribe -------------------------------------------------------------------


def unsubscribe_url(user, stream=Stream.EVENT_REMINDERS):
    return reverse(
        "mail:unsubscribe", kwargs={"token": unsubscribe_token(user_id=user.pk, stream=stream)}
    )


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_one_click_post_unsubscribes_with_no_cookie_csrf_or_redirect(encoding):
    from django.test import Client

    user = UserFactory()
    client = Client(enforce_csrf_checks=True)
    url = unsubscribe_url(user)
    if encoding == "urlencoded":
        response = client.post(
            url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        )
    else:
        response = client.post(url, {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert not response.cookies
    assert not stream_is_on(user, Stream.EVENT_REMINDERS)
    [event] = ConsentEvent.objects.filter(user=user)
    assert (event.stream, event.action, event.source) == (
        "event_reminders",
        "withdrawn",
        "one_click",
    )

    again = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200
    assert ConsentEvent.objects.filter(user=user).count() == 1


def test_get_shows_what_will_stop_and_changes_nothing(client):
    user = UserFactory()

    response = client.get(unsubscribe_url(user))

    assert response.status_code == 200
    assert "Stop Event reminders emails?" in response.content.decode()
    assert stream_is_on(user, Stream.EVENT_REMINDERS)
    assert not ConsentEvent.objects.exists()


def test_a_tampered_or_unknown_token_is_404(client):
    user = UserFactory()
    url = unsubscribe_url(user)
    token = url.rstrip("/").rsplit("/", 1)[1]
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    assert client.post(f"/email/unsubscribe/{tampered}/").status_code == 404
    assert client.get("/email/unsubscribe/garbage/").status_code == 404
    nobody = reverse(
        "mail:unsubscribe",
        kwargs={"token": unsubscribe_token(user_id=999_999_999, stream=Stream.EVENT_REMINDERS)},
    )
    assert client.post(nobody).status_code == 404
    assert stream_is_on(user, Stream.EVENT_REMINDERS)


def test_a_token_stops_only_its_own_stream(client):
    user = UserFactory()

    client.post(unsubscribe_url(user, Stream.INTRO_REQUESTS))

    assert not stream_is_on(user, Stream.INTRO_REQUESTS)
    assert stream_is_on(user, Stream.EVENT_REMINDERS)


def test_nothing_of_a_stream_is_sent_after_the_unsubscribe_commits(
    client, smtp_server, django_capture_on_commit_callbacks
):
    user = UserFactory()
    delivery = queue_note(user, stream=Stream.EVENT_REMINDERS)  # queued, not yet sent

    client.post(unsubscribe_url(user), {"List-Unsubscribe": "One-Click"})
    from mail.services import deliveries_send

    deliveries_send(delivery_ids=[delivery.pk])

    delivery.refresh_from_db()
    assert delivery.status == "skipped"
    assert smtp_server.to(user.email) == []


# --- Headers ---------------------------------------------------------------------------------


def test_stream_mail_carries_list_headers_and_a_visible_unsubscribe(
    smtp_server, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://mutual.example"
    user = UserFactory()
    stream_set(user=user, stream=Stream.EVENT_INVITES, on=True, source="settings")

    with django_capture_on_commit_callbacks(execute=True):
        queue_note(user, stream=Stream.EVENT_INVITES)

    [message] = smtp_server.to(user.email)
    unsubscribe = message["List-Unsubscribe"]
    assert re.fullmatch(r"<https://mutual\.example/email/unsubscribe/[^>]+/>", unsubscribe)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "event-invites.lists.mutual.example" in message["List-Id"]
    text = message_text(message)
    assert unsubscribe.strip("<>") in text
    assert "You're getting this because you chose" in text
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Unsubscribe from Event invitations emails" in html
    assert 'style="' in html  # CSS inlined for mail clients


@pytest.mark.parametrize(
    ("sender", "fast_path"),
    [
        ("Mutual <hello@mutual.example>", True),
        # A non-ASCII display name: mail/mime.py leaves the message to Django's encoder.
        ("Mutual Café <hello@mutual.example>", False),
    ],
)
def test_one_click_unsubscribe_headers_are_plain_ascii_on_both_encoder_paths(
    smtp_server, settings, monkeypatch, django_capture_on_commit_callbacks, sender, fast_path
):
    from mail import mime

    settings.DEFAULT_FROM_EMAIL = sender
    encoded = []
    real_encode = mime.encode
    monkeypatch.setattr(mime, "encode", lambda m: encoded.append(real_encode(m)) or encoded[-1])
    user = UserFactory()
    stream_set(user=user, stream=Stream.EVENT_INVITES, on=True, source="settings")

    with django_capture_on_commit_callbacks(execute=True):
        queue_note(user, stream=Stream.EVENT_INVITES)

    assert (encoded[0] is not None) == fast_path
    [envelope] = smtp_server.envelopes
    raw = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    unfolded = re.sub(r"\r\n[ \t]+", " ", head).split("\r\n")
    [unsubscribe] = [line for line in unfolded if line.startswith("List-Unsubscribe:")]
    assert re.fullmatch(
        r"List-Unsubscribe: <http://testserver/email/unsubscribe/[^>\s]+/>", unsubscribe
    )
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in unfolded
    assert "=?" not in unsubscribe
    [message] = smtp_server.to(user.email)
    assert message["From"].addresses[0].display_name == sender.split(" <")[0]


def test_transactional_mail_carries_no_list_headers(
    smtp_server, django_capture_on_commit_callbacks
):
    user = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        queue_note(user)

    [message] = smtp_server.to(user.email)
    for header in ("List-Unsubscribe", "List-Unsubscribe-Post", "List-Id"):
        assert message[header] is None
    assert "about your own Mutual account" in message_text(message)


def test_user_written_text_cannot_inject_headers(smtp_server, django_capture_on_commit_callbacks):
    user = UserFactory()
    title = "Breakfast meetup\r\nBcc: victim@example.net\r\nX-Evil: yes"

    with django_capture_on_commit_callbacks(execute=True):
        queue_note(user, title=title)
        bad = queue_note(user, key="note-2", to_email="a@example.org\r\nBcc: victim@example.net")

    [message] = smtp_server.messages
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert message["Subject"] == "Breakfast meetup Bcc: victim@example.net X-Evil: yes"
    assert [e.rcpt_tos for e in smtp_server.envelopes] == [[user.email]]
    bad.refresh_from_db()
    assert bad.status == "failed"


# --- The outbox: exactly once, retries, bounces ------------------------------------------------


def test_the_same_key_is_queued_and_sent_once(smtp_server, django_capture_on_commit_callbacks):
    user = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        first = queue_note(user, key="once")
        second = queue_note(user, key="once")

    assert first.pk == second.pk
    assert len(smtp_server.to(user.email)) == 1


@pytest.mark.django_db(transaction=True)
def test_a_temporary_smtp_failure_is_retried_by_the_worker_and_delivers_exactly_once(
    smtp_server, settings, celery_worker
):
    settings.EMAIL_RETRY_DELAYS = (0.2,)
    user = UserFactory()
    smtp_server.refusals[user.email] = ["451 4.3.0 Mailbox busy", "421 4.7.0 Try again later"]

    delivery = queue_note(user)  # committed at once: the worker gets the batch over Redis

    wait_until(lambda: EmailDelivery.objects.get(pk=delivery.pk).status == "sent")
    delivery.refresh_from_db()
    assert delivery.attempts == 3
    assert len(smtp_server.to(user.email)) == 1


def test_a_permanent_failure_is_not_retried_and_the_address_is_suppressed(
    smtp_server, django_capture_on_commit_callbacks
):
    user = UserFactory()
    smtp_server.refusals[user.email] = ["550 5.1.1 No such user"]

    with django_capture_on_commit_callbacks(execute=True):
        delivery = queue_note(user)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert "550" in delivery.last_error
    assert SuppressedAddress.objects.filter(email=user.email, reason="hard_bounce").exists()

    with django_capture_on_commit_callbacks(execute=True):
        later = queue_note(user, key="after-bounce")
    later.refresh_from_db()
    assert later.status == "skipped"
    assert later.attempts == 0


def test_a_guest_invited_by_address_can_unsubscribe_with_one_click(
    client, smtp_server, django_capture_on_commit_callbacks
):
    guest = "guest@example.net"
    with django_capture_on_commit_callbacks(execute=True):
        email_queue(
            kind="test_note",
            to_email=guest,
            stream=Stream.EVENT_INVITES,
            dedupe_key="guest-1",
            payload={"title": "You're invited"},
        )
    [message] = smtp_server.to(guest)
    url = message["List-Unsubscribe"].strip("<>").replace("http://testserver", "")

    assert client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        later = email_queue(
            kind="test_note",
            to_email=guest,
            stream=Stream.EVENT_INVITES,
            dedupe_key="guest-2",
        )
    later.refresh_from_db()
    assert later.status == "skipped"
    assert len(smtp_server.to(guest)) == 1


def test_a_confirmation_left_without_its_member_renders_nothing():
    """Nobody is left to confirm (and there is no id to sign), so the outbox skips it."""
    delivery = EmailDelivery(
        kind="stream_confirm", to_email="gone@example.org", payload={"stream": Stream.DIGEST}
    )

    assert render(delivery) is None
