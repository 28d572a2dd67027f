"""Opt-in digests: who gets one, what's in it, exactly once per period, through real SMTP."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from digests.models import DigestRun
from digests.selectors import digest_contents
from digests.services import digest_run_start
from mail.models import EmailDelivery, StreamSubscription, SuppressedAddress
from mail.services import stream_confirm, stream_set
from mail.streams import Stream
from tests.conftest import message_text, wait_until
from tests.discounts.factories import OfferFactory
from tests.groups.factories import GroupFactory, interest
from tests.members.factories import UserFactory, make_active_member

pytestmark = pytest.mark.django_db


def opted_in(*, frequency="weekly", confirm=True, active=True, interests=("marketing",)):
    user = UserFactory()
    if active:
        make_active_member(user)
    user.profile.interests.set([interest(slug) for slug in interests])
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    stream_set(user=user, stream=Stream.DIGEST, on=True, source="settings", frequency=frequency)
    if confirm:
        stream_confirm(user=user, stream=Stream.DIGEST)
    return user


@pytest.fixture
def content():
    """Something for people interested in marketing: an offer and a new group."""
    OfferFactory(title="Half-price print run", interests=[interest("marketing")])
    GroupFactory(name="Leeds Marketing Breakfast", interests=[interest("marketing")])


def run_weekly(capture):
    with capture(execute=True):
        run = digest_run_start(frequency="weekly")
    return run


def test_exactly_one_digest_per_opted_in_confirmed_member(
    content, smtp_server, django_capture_on_commit_callbacks
):
    reader = opted_in()
    unconfirmed = opted_in(confirm=False)
    never = UserFactory()
    make_active_member(never)
    lapsed = opted_in(active=False)
    inactive = opted_in()
    inactive.last_login = timezone.now() - timedelta(days=181)
    inactive.save(update_fields=["last_login"])
    bounced = opted_in()
    SuppressedAddress.objects.create(email=bounced.email, reason="hard_bounce")
    unsubscribed = opted_in()
    stream_set(user=unsubscribed, stream=Stream.DIGEST, on=False, source="one_click")
    monthly = opted_in(frequency="monthly")

    run = run_weekly(django_capture_on_commit_callbacks)

    assert [m["To"] for m in smtp_server.messages] == [reader.email]
    assert run.eligible == 1
    message = smtp_server.messages[0]
    text = message_text(message)
    assert "Half-price print run" in text
    assert "Leeds Marketing Breakfast" in text
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "You're getting this because you chose" in text
    for person in (unconfirmed, never, lapsed, inactive, bounced, unsubscribed, monthly):
        assert smtp_server.to(person.email) == []


def test_a_second_run_for_the_same_period_sends_nothing(
    content, smtp_server, django_capture_on_commit_callbacks
):
    opted_in()
    first = run_weekly(django_capture_on_commit_callbacks)
    second = run_weekly(django_capture_on_commit_callbacks)

    assert first.pk == second.pk
    assert len(smtp_server.messages) == 1
    assert DigestRun.objects.count() == 1
    assert EmailDelivery.objects.filter(kind="digest").count() == 1


def test_nothing_matching_means_nothing_sent(smtp_server, django_capture_on_commit_callbacks):
    OfferFactory(interests=[interest("yoga")])
    opted_in(interests=("marketing",))

    run = run_weekly(django_capture_on_commit_callbacks)

    run.refresh_from_db()
    assert smtp_server.messages == []
    assert (run.eligible, run.queued, run.skipped_empty) == (1, 0, 1)


def test_a_member_who_unsubscribes_during_a_run_gets_nothing_after_it_commits(
    content, client, smtp_server
):
    from mail.emails import unsubscribe_token
    from mail.services import deliveries_send

    reader = opted_in()
    run = digest_run_start(frequency="weekly")  # rows written; sending waits for commit
    from digests.services import digest_batch_send

    digest_batch_send(run=run, user_ids=[reader.pk])
    delivery = EmailDelivery.objects.get(kind="digest")
    token = unsubscribe_token(user_id=reader.pk, stream=Stream.DIGEST)
    client.post(f"/email/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"})

    deliveries_send(delivery_ids=[delivery.pk])

    delivery.refresh_from_db()
    assert delivery.status == "skipped"
    assert smtp_server.messages == []


def test_the_selection_query_count_does_not_grow_with_the_batch(
    content, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    small = [opted_in() for _ in range(3)]
    with CaptureQueriesContext(connection) as few:
        digest_contents(small, frequency="weekly")
    large = small + [opted_in() for _ in range(30)]
    with CaptureQueriesContext(connection) as many:
        contents = digest_contents(large, frequency="weekly")

    assert len(many.captured_queries) == len(few.captured_queries)
    assert all(not c.is_empty() for c in contents.values())


def test_dry_run_prints_counts_and_a_sample_and_sends_nothing(content, smtp_server, capsys):
    opted_in()

    call_command("send_digests", "--frequency", "weekly", "--dry-run")

    out = capsys.readouterr().out
    assert "eligible members:  1" in out
    assert "would be sent:     1" in out
    assert "Half-price print run" in out
    assert not DigestRun.objects.exists()
    assert smtp_server.messages == []


def test_send_digests_queues_the_run(content, smtp_server, django_capture_on_commit_callbacks):
    opted_in()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_digests", "--frequency", "weekly")

    assert len(smtp_server.messages) == 1


def test_the_schedule_runs_weekly_on_monday_and_monthly_on_the_first(settings):
    weekly = settings.CELERY_BEAT_SCHEDULE["digest-weekly"]
    monthly = settings.CELERY_BEAT_SCHEDULE["digest-monthly"]

    assert weekly["args"] == ["weekly"]
    assert weekly["schedule"].day_of_week == {1}
    assert monthly["args"] == ["monthly"]
    assert monthly["schedule"].day_of_month == {1}


def test_staff_preview_any_members_next_digest(content, admin_client):
    reader = opted_in()

    response = admin_client.get(
        "/admin/digests/digestrun/preview/", {"member": reader.profile.handle}
    )

    assert response.status_code == 200
    assert "Half-price print run" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_digests_go_through_a_real_worker_over_redis(content, smtp_server, celery_worker):
    readers = [opted_in() for _ in range(3)]

    digest_run_start(frequency="weekly")  # autocommit: the batch task goes to the worker

    def digests_received():
        return [m for m in smtp_server.messages if "what's on for you" in m["Subject"]]

    wait_until(lambda: len(digests_received()) == 3, timeout=30)
    assert sorted(m["To"] for m in digests_received()) == sorted(r.email for r in readers)
    assert StreamSubscription.objects.filter(stream="digest").count() == 3


def test_upcoming_events_of_my_groups_and_their_speakers_are_in_the_digest(
    smtp_server, django_capture_on_commit_callbacks
):
    from tests.events.factories import EventFactory, in_days
    from tests.experts.factories import ExpertFactory
    from tests.groups.factories import add_member

    reader = opted_in(interests=("yoga",))
    group = GroupFactory(name="Leeds Breakfast Club", interests=[interest("sales")])
    add_member(group, reader)
    speaker = ExpertFactory(name="Dr Ada Example")
    second = ExpertFactory(name="Aaron Second")  # first by name, second on the bill
    draft = ExpertFactory(name="Not Yet Announced", is_published=False)
    event = EventFactory(
        title="Spring breakfast", group=group, starts_at=in_days(3), speakers=[speaker, second]
    )
    event.speaker_links.create(expert=draft, position=9)
    EventFactory(title="Far-off gala", group=group, starts_at=in_days(40))
    EventFactory(title="Someone else's social", starts_at=in_days(2))

    run_weekly(django_capture_on_commit_callbacks)

    [message] = smtp_server.to(reader.email)
    text = message_text(message)
    assert "Spring breakfast" in text
    assert f"/events/{event.slug}/#rsvp" in text
    assert text.index("Dr Ada Example") < text.index("Aaron Second")  # the site's order
    assert "Not Yet Announced" not in text  # only published experts, as on the site
    assert "Far-off gala" not in text
    assert "Someone else's social" not in text


def test_a_member_opts_in_confirms_joins_a_group_and_gets_one_digest_for_the_week(
    client, smtp_server, django_capture_on_commit_callbacks
):
    """The issue's "done when", as a member does it: the settings page, the confirmation
    link in the email, the group's Join button, then the weekly run (twice)."""
    import re

    from tests.events.factories import EventFactory, in_days

    member = UserFactory()
    make_active_member(member)
    member.profile.interests.set([interest("marketing")])
    OfferFactory(title="Half-price print run", interests=[interest("marketing")])
    group = GroupFactory(name="Harrogate Walking Founders", interests=[interest("yoga")])
    EventFactory(title="Walk and talk on the Stray", group=group, starts_at=in_days(4))
    client.force_login(member)

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/settings/email/", {"digest": "on", "frequency": "weekly"})
    [confirmation] = smtp_server.to(member.email)
    link = re.search(r"http://testserver(/settings/email/confirm/\S+/)", message_text(confirmation))
    client.post(link.group(1))
    assert client.post(f"/groups/{group.slug}/join/").status_code == 302
    smtp_server.clear()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_digests", frequency="weekly")
    [digest] = smtp_server.to(member.email)
    text = message_text(digest)
    assert "Walk and talk on the Stray" in text  # the event of the group they joined
    assert "Half-price print run" in text  # this month's offer for their interest
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert digest.get_boundary().startswith("=_")  # written by mail/mime.py's fast path
    html = digest.get_body(("html",)).get_content()
    assert "Walk and talk on the Stray" in html and "style=" in html  # CSS inlined

    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_digests", frequency="weekly")
    assert len(smtp_server.to(member.email)) == 1  # the same week: nothing more
