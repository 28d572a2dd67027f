"""Curation and the request queue in the admin, as staff use them (with their second factor)."""

from html import unescape
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from zeal import zeal_ignore

from experts.models import Credential, Expert, ExpertRequest
from tests.conftest import message_text
from tests.experts.factories import ExpertFactory, ExpertRequestFactory
from tests.experts.images import image_upload
from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db

ADD_EXPERT = reverse("admin:experts_expert_add")


class _Inputs(HTMLParser):
    """The named inputs, selects and textareas of a page's form, with their current values."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] = {}
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "checkbox", "file"):
            self.data[name] = attrs.get("value", "")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.data[self._select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def form_data(response) -> dict[str, str]:
    parser = _Inputs()
    parser.feed(response.content.decode())
    return parser.data


def expert_post(**overrides) -> dict:
    data = {
        "name": "Dr Helen Okafor",
        "slug": "helen-okafor",
        "headline": "Author of Lead Quietly",
        "bio": "Ran a hospital trust for nine years.",
        "availability": "",
        "is_published": "on",
        "credentials-TOTAL_FORMS": "2",
        "credentials-INITIAL_FORMS": "0",
        "credentials-MIN_NUM_FORMS": "0",
        "credentials-MAX_NUM_FORMS": "1000",
        "credentials-0-position": "1",
        "credentials-0-kind": "book",
        "credentials-0-title": "Lead Quietly",
        "credentials-0-year": "2019",
        "credentials-0-url": "",
        "credentials-1-position": "2",
        "credentials-1-kind": "award",
        "credentials-1-title": "Lifetime Achievement Award",
        "credentials-1-year": "2022",
        "credentials-1-url": "",
    }
    data.update(overrides)
    return data


# --- Curating experts ----------------------------------------------------------------------


def test_staff_add_an_expert_with_credentials_and_a_photo(admin_client):
    response = admin_client.post(ADD_EXPERT, expert_post(photo=image_upload("PNG")))

    assert response.status_code == 302, response.context["adminform"].form.errors
    expert = Expert.objects.get(slug="helen-okafor")
    assert expert.is_published
    assert expert.photo.name.startswith("experts/photos/")
    assert list(expert.credentials.values_list("kind", "title")) == [
        ("book", "Lead Quietly"),
        ("award", "Lifetime Achievement Award"),
    ]


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: image_upload("GIF", name="photo.png"), "JPEG, PNG or WebP"),
        (lambda: image_upload("PNG", size=(1000, 1000), noise=True), "the most we accept is"),
    ],
)
def test_a_bad_photo_is_refused_with_a_clear_message(admin_client, upload, message):
    response = admin_client.post(ADD_EXPERT, expert_post(photo=upload()))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["photo"]
    assert message in unescape(str(errors)).replace("\xa0", " ")
    assert not Expert.objects.exists()
    assert not Credential.objects.exists()


def test_a_link_without_an_address_is_explained(admin_client):
    response = admin_client.post(
        ADD_EXPERT,
        expert_post(**{"credentials-1-kind": "link", "credentials-1-url": ""}),
    )

    assert response.status_code == 200
    assert "A link needs its web address." in unescape(response.content.decode())
    assert not Expert.objects.exists()


def test_the_expert_list_counts_credentials_and_open_requests(admin_client):
    expert = ExpertFactory(name="Counted")
    Credential.objects.create(expert=expert, kind="book", title="One")
    ExpertRequestFactory(expert=expert)
    ExpertRequestFactory(expert=expert, status="declined")

    response = admin_client.get(reverse("admin:experts_expert_changelist"))

    row = response.context["cl"].result_list.get(pk=expert.pk)
    assert (row.credential_count, row.open_request_count) == (1, 1)


# --- The request queue ----------------------------------------------------------------------


def change_url(expert_request) -> str:
    return reverse("admin:experts_expertrequest_change", args=[expert_request.pk])


def test_staff_accept_a_request_and_the_member_is_told(
    admin_client, staff, member, smtp_server, django_capture_on_commit_callbacks
):
    expert_request = ExpertRequestFactory(member=member, status="in_discussion")
    page = admin_client.get(change_url(expert_request))
    assert page.status_code == 200
    data = form_data(page)
    data.update(status="accepted", note="She will arrive at 7.45.", _save="Save")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(change_url(expert_request), data)

    assert response.status_code == 302
    expert_request.refresh_from_db()
    assert expert_request.status == ExpertRequest.Status.ACCEPTED
    change = expert_request.changes.last()
    assert (change.from_status, change.to_status, change.changed_by) == (
        "in_discussion",
        "accepted",
        staff,
    )
    assert change.note == "She will arrive at 7.45."
    [message] = smtp_server.to(member.email)
    assert "has accepted your invitation" in message_text(message)
    assert "She will arrive at 7.45." in message_text(message)


def test_the_status_menu_offers_only_allowed_moves(admin_client):
    accepted = ExpertRequestFactory(status="accepted")
    declined = ExpertRequestFactory(status="declined")

    def offered(expert_request):
        form = admin_client.get(change_url(expert_request)).context["adminform"].form
        return [value for value, _label in form.fields["status"].choices]

    assert offered(accepted) == ["accepted", "declined", "withdrawn"]
    assert offered(declined) == ["declined"]


def test_an_invalid_move_is_refused_and_nothing_changes(admin_client, smtp_server):
    expert_request = ExpertRequestFactory(status="withdrawn")
    data = form_data(admin_client.get(change_url(expert_request)))
    data.update(status="accepted", _save="Save")

    response = admin_client.post(change_url(expert_request), data)

    assert response.status_code == 200
    assert "status" in response.context["adminform"].form.errors
    expert_request.refresh_from_db()
    assert expert_request.status == ExpertRequest.Status.WITHDRAWN
    assert expert_request.changes.count() == 1
    assert smtp_server.messages == []


def test_the_member_s_answers_cannot_be_edited_in_the_admin(admin_client):
    expert_request = ExpertRequestFactory(event_name="Original", audience=40)
    data = form_data(admin_client.get(change_url(expert_request)))
    data.update(status="new", event_name="Changed", audience="4000", _save="Save")

    admin_client.post(change_url(expert_request), data)

    expert_request.refresh_from_db()
    assert (expert_request.event_name, expert_request.audience) == ("Original", 40)


def test_list_actions_change_many_and_skip_final_ones(
    admin_client, staff, smtp_server, django_capture_on_commit_callbacks
):
    fresh = ExpertRequestFactory.create_batch(2)
    final = ExpertRequestFactory(status="withdrawn")

    # Each selected request goes through the one status service: locked, recorded and its
    # member emailed one by one, so N rows are N reads of the same two lines by design.
    per_row = [
        {"model": "experts.ExpertRequest", "field": "get()"},
        {"model": "mail.EmailDelivery", "field": "get()"},
    ]
    with django_capture_on_commit_callbacks(execute=True), zeal_ignore(per_row):
        response = admin_client.post(
            reverse("admin:experts_expertrequest_changelist"),
            {"action": "mark_accepted", "_selected_action": [r.pk for r in [*fresh, final]]},
            follow=True,
        )

    assert [r.status for r in ExpertRequest.objects.order_by("pk")] == [
        "accepted",
        "accepted",
        "withdrawn",
    ]
    html = unescape(response.content.decode())
    assert "2 requests are now accepted; the members have been emailed." in html
    assert "1 request was left alone" in html
    assert all(r.changes.last().changed_by == staff for r in fresh)
    assert len(smtp_server.messages) == 2


def test_requests_are_not_added_or_deleted_in_the_admin(admin_client):
    expert_request = ExpertRequestFactory()

    assert admin_client.get(reverse("admin:experts_expertrequest_add")).status_code == 403
    delete = reverse("admin:experts_expertrequest_delete", args=[expert_request.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert ExpertRequest.objects.filter(pk=expert_request.pk).exists()


def test_members_cannot_change_a_status_through_the_admin(client, member):
    expert_request = ExpertRequestFactory(member=member)
    client.force_login(member)

    response = client.post(change_url(expert_request), {"status": "accepted"})

    assert response.status_code == 302
    assert "/login/" in response["Location"]
    expert_request.refresh_from_db()
    assert expert_request.status == ExpertRequest.Status.NEW


def test_staff_without_the_change_permission_cannot_change_a_status(client):
    from tests.experts.conftest import give_mfa, totp_code
    from tests.members.factories import PASSWORD

    clerk = UserFactory(is_staff=True)
    secret = give_mfa(clerk)
    client.post(reverse("account_login"), {"login": clerk.email, "password": PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    expert_request = ExpertRequestFactory()

    response = client.post(change_url(expert_request), {"status": "accepted"})

    assert response.status_code == 403
    expert_request.refresh_from_db()
    assert expert_request.status == ExpertRequest.Status.NEW
