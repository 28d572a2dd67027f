"""Request emails go through the outbox's task on a real Celery worker over Redis."""

import pytest

from experts import services
from experts.models import ExpertRequest
from mail.models import EmailDelivery
from members.staff import with_staff_powers
from tests.conftest import message_text, wait_until
from tests.experts.factories import ExpertFactory, future_date
from tests.members.factories import UserFactory, make_active_member


@pytest.mark.django_db(transaction=True)
def test_request_and_status_emails_are_sent_by_a_real_worker(celery_worker, smtp_server):
    member = UserFactory()
    make_active_member(member)
    staff = with_staff_powers(UserFactory(is_staff=True))
    expert = ExpertFactory(name="Dr Helen Okafor")

    expert_request = services.expert_request_create(
        member=member,
        expert=expert,
        event_name="Harrogate business breakfast",
        event_date=future_date(40),
        town="Harrogate",
        audience=40,
        topic="Leadership",
        message="Forty owner-managers, first Tuesday of the month.",
    )
    wait_until(lambda: smtp_server.to(member.email) and smtp_server.to(staff.email))

    services.expert_request_set_status(
        request=expert_request, status=ExpertRequest.Status.ACCEPTED, by=staff
    )
    wait_until(lambda: len(smtp_server.to(member.email)) == 2)

    receipt, accepted = smtp_server.to(member.email)
    assert "We've received your request" in receipt["Subject"]
    assert "has accepted your invitation" in message_text(accepted)
    assert len(smtp_server.to(staff.email)) == 1
    statuses = EmailDelivery.objects.filter(kind__startswith="expert_request").values_list(
        "status", flat=True
    )
    assert sorted(statuses) == ["sent", "sent", "sent"]
