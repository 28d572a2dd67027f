"""Asking an expert to your event: who may, what is checked, the limit, and the member's list."""

import datetime
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import Membership
from experts.models import ExpertRequest
from tests.conftest import message_text
from tests.experts.factories import ExpertFactory, ExpertRequestFactory, request_data
from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db


def request_url(expert) -> str:
    return reverse("experts:request", kwargs={"slug": expert.slug})


def lapsed_member():
    user = UserFactory()
    Membership.objects.create(
        user=user,
        status=Membership.Status.PAST_DUE,
        past_due_since=timezone.now() - datetime.timedelta(days=30),
    )
    return user


def page_text(response) -> str:
    return unescape(response.content.decode())


# --- Who may ask ---------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client):
    expert = ExpertFactory()

    url = request_url(expert)
    for response in (client.get(url), client.post(url, request_data())):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    assert not ExpertRequest.objects.exists()


@pytest.mark.parametrize("who", ["signed_in", "lapsed", "staff"])
def test_people_who_are_not_active_members_are_sent_to_join(client, who):
    user = {
        "signed_in": UserFactory,
        "lapsed": lapsed_member,
        "staff": lambda: UserFactory(is_staff=True),
    }[who]()
    expert = ExpertFactory()
    client.force_login(user)

    response = client.post(request_url(expert), request_data(), follow=True)

    assert response.redirect_chain[0] == (reverse("billing:join"), 302)
    assert "That's for paying members" in page_text(response)
    assert not ExpertRequest.objects.exists()


def test_an_active_member_sees_the_form(client, member):
    expert = ExpertFactory(name="Dr Helen Okafor")
    client.force_login(member)

    response = client.get(request_url(expert))

    assert response.status_code == 200
    html = page_text(response)
    assert "Ask Dr Helen Okafor to your event" in html
    for label in ("Your event", "Date of the event", "Town or city", "Expected audience"):
        assert label in html


def test_an_unpublished_expert_takes_no_requests(client, member):
    expert = ExpertFactory(is_published=False)
    client.force_login(member)

    assert client.get(request_url(expert)).status_code == 404
    assert client.post(request_url(expert), request_data()).status_code == 404
    assert not ExpertRequest.objects.exists()


# --- A good request --------------------------------------------------------------------


def test_a_request_is_filed_recorded_and_emailed_to_member_and_staff(
    client, member, smtp_server, django_capture_on_commit_callbacks
):
    staff = UserFactory(is_staff=True)
    UserFactory(is_staff=True, is_active=False)  # former staff hear nothing
    expert = ExpertFactory(name="Dr Helen Okafor")
    client.force_login(member)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(request_url(expert), request_data(audience="45"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("experts:requests")
    assert "your request for Dr Helen Okafor is with our team" in page_text(response)
    expert_request = ExpertRequest.objects.get()
    assert expert_request.member == member
    assert expert_request.expert == expert
    assert expert_request.status == ExpertRequest.Status.NEW
    assert expert_request.audience == 45
    assert expert_request.event_name == "Harrogate business breakfast"
    [change] = expert_request.changes.all()
    assert (change.from_status, change.to_status, change.changed_by) == ("", "new", member)

    [receipt] = smtp_server.to(member.email)
    assert receipt["Subject"] == "We've received your request for Dr Helen Okafor"
    assert "Harrogate business breakfast" in message_text(receipt)
    assert "http://testserver/experts/requests/" in message_text(receipt)
    [to_staff] = smtp_server.to(staff.email)
    assert to_staff["Subject"] == (
        "New expert request: Dr Helen Okafor for “Harrogate business breakfast”"
    )
    body = message_text(to_staff)
    assert f"/admin/experts/expertrequest/{expert_request.pk}/change/" in body
    assert "first Tuesday of the month" in body
    assert member.email not in body
    assert len(smtp_server.messages) == 2


def test_a_newline_in_the_event_name_never_reaches_a_subject(
    client, member, smtp_server, django_capture_on_commit_callbacks
):
    staff = UserFactory(is_staff=True)
    client.force_login(member)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            request_url(ExpertFactory()), request_data(event_name="Breakfast\r\nBcc: x@example.org")
        )

    [message] = smtp_server.to(staff.email)
    assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
    assert "x@example.org" not in str(message["Bcc"] or "")


# --- Validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("event_date", "today", "Pick a date in the future"),
        ("event_date", "yesterday", "Pick a date in the future"),
        ("event_date", "in three years", "Pick a date within the next two years."),
        ("event_date", "31/02/2027", "Enter the date as day, month and year."),
        ("audience", "0", "The audience must be a positive number: at least 1 person."),
        ("audience", "-12", "The audience must be a positive number: at least 1 person."),
        ("audience", "lots", "Enter the number of people as a whole number, e.g. 40."),
        ("audience", "20000", "For audiences over 10,000, please contact us directly."),
        ("message", "Hi, come please", "Please write at least 20 characters"),
        ("message", "x" * 2001, "Please keep the message to 2000 characters (you wrote 2001)."),
        ("message", "   " + "a" * 10 + "     ", "(you wrote 10)"),
        ("event_name", "", "Tell us the name of your event."),
        ("town", "", "Tell us the town or city where it takes place."),
        ("topic", "", "Tell us what you would like the expert to talk about."),
    ],
)
def test_bad_input_is_explained_and_nothing_is_saved(client, member, field, value, message):
    today = timezone.localdate()
    value = {
        "today": today.isoformat(),
        "yesterday": (today - datetime.timedelta(days=1)).isoformat(),
        "in three years": (today + datetime.timedelta(days=3 * 365)).isoformat(),
    }.get(value, value)
    client.force_login(member)

    response = client.post(request_url(ExpertFactory()), request_data(**{field: value}))

    assert response.status_code == 200
    assert message in str(response.context["form"].errors[field])
    assert "Your request wasn't sent" in page_text(response)
    assert not ExpertRequest.objects.exists()


def test_tomorrow_is_fine(client, member):
    client.force_login(member)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    client.post(request_url(ExpertFactory()), request_data(event_date=tomorrow.isoformat()))

    assert ExpertRequest.objects.get().event_date == tomorrow


# --- At most three open requests -----------------------------------------------------------


def test_a_fourth_open_request_is_refused_with_a_clear_message(client, member, smtp_server):
    for status in ("new", "in_discussion", "new"):
        ExpertRequestFactory(member=member, status=status)
    client.force_login(member)
    expert = ExpertFactory()

    page = client.get(request_url(expert))
    assert "You already have 3 open requests" in page_text(page)

    response = client.post(request_url(expert), request_data())

    assert response.status_code == 200
    assert "You already have 3 open requests, which is the most at any one time." in str(
        response.context["form"].non_field_errors()
    )
    assert ExpertRequest.objects.count() == 3
    assert smtp_server.messages == []


def test_answered_requests_do_not_count_towards_the_limit(client, member):
    for status in ("accepted", "declined", "withdrawn", "new", "in_discussion"):
        ExpertRequestFactory(member=member, status=status)
    client.force_login(member)

    client.post(request_url(ExpertFactory()), request_data())

    assert ExpertRequest.objects.filter(member=member).open().count() == 3


def test_other_members_requests_do_not_count(client, member):
    ExpertRequestFactory.create_batch(3)
    client.force_login(member)

    client.post(request_url(ExpertFactory()), request_data())

    assert ExpertRequest.objects.filter(member=member).count() == 1


def test_the_same_ask_twice_is_refused(client, member):
    expert = ExpertFactory()
    client.force_login(member)

    client.post(request_url(expert), request_data())
    response = client.post(request_url(expert), request_data())

    assert "You have already asked this expert to an event on that date" in str(
        response.context["form"].non_field_errors()
    )
    assert ExpertRequest.objects.count() == 1


# --- The member's own requests ----------------------------------------------------------


REQUESTS = reverse("experts:requests")


def withdraw_url(expert_request) -> str:
    return reverse("experts:request_withdraw", kwargs={"pk": expert_request.pk})


def test_the_requests_page_needs_sign_in(client):
    response = client.get(REQUESTS)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_members_see_their_own_requests_and_statuses_only(client, member):
    mine = ExpertRequestFactory(member=member, event_name="My breakfast", status="accepted")
    ExpertRequestFactory(event_name="Someone else's lunch")
    client.force_login(member)

    html = page_text(client.get(REQUESTS))

    assert "My breakfast" in html
    assert 'request-status is-accepted">Accepted<' in html
    assert "Someone else's lunch" not in html
    assert withdraw_url(mine) in html


def test_a_lapsed_member_still_sees_and_can_withdraw_their_requests(client):
    user = lapsed_member()
    expert_request = ExpertRequestFactory(member=user, event_name="Old breakfast")
    client.force_login(user)

    assert "Old breakfast" in page_text(client.get(REQUESTS))
    response = client.post(withdraw_url(expert_request), follow=True)

    expert_request.refresh_from_db()
    assert expert_request.status == ExpertRequest.Status.WITHDRAWN
    assert "You withdrew your request" in page_text(response)


def test_withdrawing_records_it_and_emails_member_and_staff(
    client, member, smtp_server, django_capture_on_commit_callbacks
):
    staff = UserFactory(is_staff=True)
    expert_request = ExpertRequestFactory(member=member, status="in_discussion")
    client.force_login(member)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(withdraw_url(expert_request))

    change = expert_request.changes.last()
    assert (change.from_status, change.to_status, change.changed_by) == (
        "in_discussion",
        "withdrawn",
        member,
    )
    [to_member] = smtp_server.to(member.email)
    assert to_member["Subject"].endswith(": withdrawn")
    [to_staff] = smtp_server.to(staff.email)
    assert to_staff["Subject"].startswith("Expert request withdrawn:")


def test_another_members_request_is_a_404(client, member):
    theirs = ExpertRequestFactory()
    client.force_login(member)

    assert client.post(withdraw_url(theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == ExpertRequest.Status.NEW


def test_withdraw_is_post_only(client, member):
    expert_request = ExpertRequestFactory(member=member)
    client.force_login(member)

    assert client.get(withdraw_url(expert_request)).status_code == 405


def test_a_final_request_cannot_be_withdrawn(client, member, smtp_server):
    expert_request = ExpertRequestFactory(member=member, status="declined")
    client.force_login(member)

    assert withdraw_url(expert_request) not in page_text(client.get(REQUESTS))
    response = client.post(withdraw_url(expert_request), follow=True)

    assert "can't become “withdrawn”" in page_text(response)
    expert_request.refresh_from_db()
    assert expert_request.status == ExpertRequest.Status.DECLINED
    assert smtp_server.messages == []


@pytest.mark.parametrize("count", [5, 50])
def test_requests_page_query_budget(client, member, django_assert_num_queries, count):
    ExpertRequestFactory.create_batch(count, member=member)
    client.force_login(member)

    # session, user (with membership and profile), requests with experts, their changes
    with django_assert_num_queries(4):
        response = client.get(REQUESTS)
    assert len(response.context["expert_requests"]) == count
