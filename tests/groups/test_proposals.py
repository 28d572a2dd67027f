"""Members propose groups; staff decide (see test_admin and test_emails for the decisions)."""

from html import unescape

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from groups.models import GroupProposal
from groups.selectors import featured_groups
from tests.groups.factories import GroupFactory, GroupProposalFactory, interest

pytestmark = pytest.mark.django_db

PROPOSE = reverse("groups:propose")


def valid(**overrides) -> dict:
    data = {
        "name": "Hull Sleep Circle",
        "summary": "Owners who want to sleep better, meeting monthly.",
        "details": "A café near the marina, first Monday.",
        "city": "Hull",
        "interests": [interest("sleep").pk, interest("mental-health").pk],
    }
    return {**data, **overrides}


def test_visitors_sign_in_and_non_members_join_first(client, non_member, lapsed):
    assert client.get(PROPOSE)["Location"].startswith(reverse("account_login"))
    for user in (non_member, lapsed):
        client.force_login(user)
        assert client.post(PROPOSE, valid())["Location"] == reverse("billing:join")
    assert not GroupProposal.objects.exists()


def test_a_member_proposes_a_group(client, member):
    client.force_login(member)

    response = client.post(PROPOSE, valid(), follow=True)

    proposal = GroupProposal.objects.get()
    assert proposal.proposer == member
    assert proposal.status == GroupProposal.Status.PENDING
    assert set(proposal.interests.values_list("slug", flat=True)) == {"sleep", "mental-health"}
    page = unescape(response.content.decode())
    assert "your idea for “Hull Sleep Circle” is with our team" in page
    assert "waiting for a decision" in page


def interest_ids(count: int) -> list[int]:
    from members.models import Interest

    return list(Interest.objects.order_by("pk").values_list("pk", flat=True)[:count])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": "  "}, "This field is required."),
        ({"name": "Hi"}, "Give the group a name of at least 3 characters."),
        ({"interests": []}, "This field is required."),
        ({"interests": "six"}, "Pick at most 5 interests (you picked 6)."),
    ],
)
def test_bad_proposals_say_why_and_save_nothing(client, member, overrides, message):
    if overrides.get("interests") == "six":
        overrides = {"interests": interest_ids(6)}
    client.force_login(member)

    response = client.post(PROPOSE, valid(**overrides))

    assert response.status_code == 200
    assert message in unescape(response.content.decode())
    assert not GroupProposal.objects.exists()


def test_three_open_proposals_at_most(client, member):
    for _ in range(GroupProposal.MAX_PENDING):
        GroupProposalFactory(proposer=member)
    client.force_login(member)

    response = client.post(PROPOSE, valid())

    assert "You already have 3 proposals waiting for a decision" in unescape(
        response.content.decode()
    )
    assert GroupProposal.objects.count() == 3


def test_the_home_page_include_shows_featured_groups():
    GroupFactory(name="Leeds Marketing Breakfast", interests=[interest("marketing")])

    html = render_to_string(
        "groups/includes/_featured_groups.html", {"featured_groups": featured_groups(limit=3)}
    )

    assert "Leeds Marketing Breakfast" in html
    assert "/groups/leeds-marketing-breakfast/" in html
    assert render_to_string("groups/includes/_featured_groups.html", {}).strip() == ""
