"""Status changes: who may make them, which are allowed, the record they leave, their emails."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from experts import services
from experts.models import ExpertRequest, ExpertRequestStatusChange
from experts.services import InvalidStatusTransition
from mail.models import EmailDelivery
from mail.services import deliveries_send
from tests.conftest import message_text
from tests.experts.factories import ExpertFactory, ExpertRequestFactory, future_date
from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db

Status = ExpertRequest.Status


def test_staff_change_the_status_and_it_is_recorded_with_who_and_when(staff):
    expert_request = ExpertRequestFactory()

    services.expert_request_set_status(
        request=expert_request, status=Status.IN_DISCUSSION, by=staff, note="Asking her agent."
    )

    expert_request.refresh_from_db()
    assert expert_request.status == Status.IN_DISCUSSION
    change = expert_request.changes.last()
    assert change.from_status == Status.NEW
    assert change.to_status == Status.IN_DISCUSSION
    assert change.changed_by == staff
    assert change.note == "Asking her agent."
    assert change.at is not None


@pytest.mark.parametrize("status", [Status.IN_DISCUSSION, Status.ACCEPTED, Status.DECLINED])
def test_only_staff_change_the_status(member, status):
    expert_request = ExpertRequestFactory(member=member)

    with pytest.raises(PermissionDenied):
        services.expert_request_set_status(request=expert_request, status=status, by=member)

    expert_request.refresh_from_db()
    assert expert_request.status == Status.NEW
    assert expert_request.changes.count() == 1


def test_a_member_withdraws_only_their_own(member):
    theirs = ExpertRequestFactory()

    with pytest.raises(PermissionDenied):
        services.expert_request_withdraw(request=theirs, member=member)
    with pytest.raises(PermissionDenied):
        services.expert_request_set_status(request=theirs, status=Status.WITHDRAWN, by=member)

    theirs.refresh_from_db()
    assert theirs.status == Status.NEW


@pytest.mark.parametrize(
    ("start", "to", "allowed"),
    [
        (Status.NEW, Status.IN_DISCUSSION, True),
        (Status.NEW, Status.ACCEPTED, True),
        (Status.IN_DISCUSSION, Status.DECLINED, True),
        (Status.ACCEPTED, Status.WITHDRAWN, True),
        (Status.ACCEPTED, Status.IN_DISCUSSION, False),
        (Status.IN_DISCUSSION, Status.NEW, False),
        (Status.DECLINED, Status.ACCEPTED, False),
        (Status.DECLINED, Status.IN_DISCUSSION, False),
        (Status.WITHDRAWN, Status.NEW, False),
        (Status.WITHDRAWN, Status.ACCEPTED, False),
    ],
)
def test_only_valid_transitions(staff, start, to, allowed):
    expert_request = ExpertRequestFactory(status=start)

    if allowed:
        services.expert_request_set_status(request=expert_request, status=to, by=staff)
    else:
        with pytest.raises(InvalidStatusTransition):
            services.expert_request_set_status(request=expert_request, status=to, by=staff)

    expert_request.refresh_from_db()
    assert expert_request.status == (to if allowed else start)
    assert expert_request.changes.count() == (2 if allowed else 1)


def test_setting_the_same_status_again_does_nothing(staff, smtp_server):
    expert_request = ExpertRequestFactory(status=Status.ACCEPTED)

    services.expert_request_set_status(request=expert_request, status=Status.ACCEPTED, by=staff)

    assert expert_request.changes.count() == 1
    assert smtp_server.messages == []


def test_the_change_uses_the_status_in_the_database_not_a_stale_copy(staff):
    expert_request = ExpertRequestFactory()
    stale = ExpertRequest.objects.get(pk=expert_request.pk)
    services.expert_request_set_status(request=expert_request, status=Status.DECLINED, by=staff)

    with pytest.raises(InvalidStatusTransition):
        services.expert_request_set_status(request=stale, status=Status.ACCEPTED, by=staff)

    assert ExpertRequest.objects.get(pk=expert_request.pk).status == Status.DECLINED


@pytest.mark.parametrize(
    ("status", "subject", "phrase"),
    [
        (Status.IN_DISCUSSION, "in discussion", "we're talking to Dr Helen Okafor"),
        (Status.ACCEPTED, "accepted", "Dr Helen Okafor has accepted your invitation"),
        (Status.DECLINED, "declined", "Dr Helen Okafor can't come"),
    ],
)
def test_the_member_is_emailed_about_each_change(
    staff, member, smtp_server, django_capture_on_commit_callbacks, status, subject, phrase
):
    expert_request = ExpertRequestFactory(
        member=member, expert=ExpertFactory(name="Dr Helen Okafor")
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.expert_request_set_status(
            request=expert_request, status=status, by=staff, note="See you at 7.45."
        )

    [message] = smtp_server.to(member.email)
    assert message["Subject"] == f"Your request for Dr Helen Okafor: {subject}"
    body = message_text(message)
    assert phrase in body
    assert "See you at 7.45." in body
    assert message.get_body(preferencelist=("html",)) is not None
    # Staff hear about new requests and withdrawals, not about their own decisions.
    assert smtp_server.to(staff.email) == []


def test_each_email_goes_once_however_often_the_task_runs(
    staff, member, smtp_server, django_capture_on_commit_callbacks
):
    expert_request = ExpertRequestFactory(member=member)
    with django_capture_on_commit_callbacks(execute=True):
        services.expert_request_set_status(request=expert_request, status=Status.ACCEPTED, by=staff)
        services.expert_request_set_status(request=expert_request, status=Status.ACCEPTED, by=staff)
    change = expert_request.changes.last()
    [delivery] = EmailDelivery.objects.filter(dedupe_key__startswith=f"expert_request:{change.pk}:")
    assert delivery.status == EmailDelivery.Status.SENT

    report = deliveries_send(delivery_ids=[delivery.pk])  # as a retried task would

    assert report.outcomes == {delivery.pk: "gone"}
    assert len(smtp_server.to(member.email)) == 1


def test_a_deferred_email_goes_later_without_repeating_the_others(
    member, smtp_server, django_capture_on_commit_callbacks
):
    staff = UserFactory(is_staff=True)
    smtp_server.refusals[member.email] = ["451 4.3.0 Try again later"]

    with django_capture_on_commit_callbacks(execute=True):
        services.expert_request_create(
            member=member,
            expert=ExpertFactory(),
            event_name="Breakfast",
            event_date=future_date(),
            town="York",
            audience=20,
            topic="Leading",
            message="A message that is long enough to send.",
        )

    deliveries = EmailDelivery.objects.filter(kind__startswith="expert_request")
    assert deliveries.get(to_email=member.email).status == EmailDelivery.Status.PENDING
    assert len(smtp_server.to(staff.email)) == 1
    assert smtp_server.to(member.email) == []

    deliveries_send(delivery_ids=list(deliveries.values_list("pk", flat=True)))  # the retry

    assert len(smtp_server.to(member.email)) == 1
    assert len(smtp_server.to(staff.email)) == 1
    assert set(deliveries.values_list("status", flat=True)) == {EmailDelivery.Status.SENT}


def test_create_refuses_people_who_are_not_active_members():
    with pytest.raises(PermissionDenied):
        services.expert_request_create(
            member=UserFactory(),
            expert=ExpertFactory(),
            event_name="Breakfast",
            event_date=future_date(),
            town="York",
            audience=20,
            topic="Leading",
            message="A message that is long enough to send.",
        )
    assert not ExpertRequest.objects.exists()


def test_create_checks_the_fields_too(member):
    with pytest.raises(ValidationError) as error:
        services.expert_request_create(
            member=member,
            expert=ExpertFactory(),
            event_name="Breakfast",
            event_date=future_date(),
            town="York",
            audience=0,
            topic="Leading",
            message="Too short",
        )
    assert set(error.value.message_dict) == {"audience", "message"}
    assert not ExpertRequest.objects.exists()


def test_create_refuses_an_unpublished_expert(member):
    with pytest.raises(ValidationError):
        services.expert_request_create(
            member=member,
            expert=ExpertFactory(is_published=False),
            event_name="Breakfast",
            event_date=future_date(),
            town="York",
            audience=20,
            topic="Leading",
            message="A message that is long enough to send.",
        )


# --- The database's own rules ------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"), [("audience", 0), ("message", "short"), ("message", "x" * 2001)]
)
def test_the_database_refuses_what_the_form_would(field, value):
    expert_request = ExpertRequestFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        ExpertRequest.objects.filter(pk=expert_request.pk).update(**{field: value})


def test_the_database_refuses_two_open_requests_for_the_same_expert_and_date(member):
    first = ExpertRequestFactory(member=member)

    with pytest.raises(IntegrityError), transaction.atomic():
        ExpertRequest.objects.create(
            member=member,
            expert=first.expert,
            event_name="Again",
            event_date=first.event_date,
            town="York",
            audience=10,
            topic="Same",
            message="The same request, a second time.",
        )


def test_a_change_must_change_something():
    expert_request = ExpertRequestFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        ExpertRequestStatusChange.objects.create(
            request=expert_request, from_status="new", to_status="new"
        )
