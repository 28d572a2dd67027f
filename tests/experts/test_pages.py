"""The public pages: the list with its filters and budget, and an expert's own page."""

from html import unescape

import pytest
from django.urls import reverse

from billing.models import Membership
from experts.models import Credential
from members.models import Interest
from tests.experts.factories import CredentialFactory, ExpertFactory, ExpertRequestFactory, region
from tests.members.factories import UserFactory, make_active_member
from tests.staff import sign_in_with_mfa

pytestmark = pytest.mark.django_db

LIST = reverse("experts:list")
REQUEST_BUTTON = "Ask to come to your event"


def interest(slug: str) -> Interest:
    return Interest.objects.get(slug=slug)


def names(response) -> list[str]:
    return [expert.name for expert in response.context["experts"]]


def page_text(response) -> str:
    return unescape(response.content.decode())


# --- The list ------------------------------------------------------------------------


def test_anyone_sees_published_experts_only(client):
    ExpertFactory(name="Helen Okafor")
    ExpertFactory(name="Hidden Person", is_published=False)

    response = client.get(LIST)

    assert response.status_code == 200
    assert names(response) == ["Helen Okafor"]
    assert "Hidden Person" not in page_text(response)


def test_featured_experts_come_first_then_by_name(client):
    ExpertFactory(name="Bea")
    ExpertFactory(name="Zed", is_featured=True)
    ExpertFactory(name="Abe")

    assert names(client.get(LIST)) == ["Zed", "Abe", "Bea"]


def test_filter_by_interest(client):
    leadership, marketing = interest("leadership"), interest("marketing")
    ExpertFactory(name="Leader", interests=[leadership])
    ExpertFactory(name="Both", interests=[leadership, marketing])
    ExpertFactory(name="Marketer", interests=[marketing])

    response = client.get(LIST, {"interest": "leadership"})

    assert names(response) == ["Both", "Leader"]
    assert response.context["interest"] == leadership
    assert "2 experts" in page_text(response)


def test_filter_by_region_includes_those_who_go_anywhere_in_the_uk(client):
    ExpertFactory(name="Wales only", regions=[region("wales")])
    ExpertFactory(name="Nationwide", regions=[region("anywhere-in-the-uk")])
    ExpertFactory(name="Scotland only", regions=[region("scotland")])
    ExpertFactory(name="Online only", regions=[region("online")])

    assert names(client.get(LIST, {"region": "wales"})) == ["Nationwide", "Wales only"]
    assert names(client.get(LIST, {"region": "online"})) == ["Online only"]
    assert names(client.get(LIST, {"region": "anywhere-in-the-uk"})) == ["Nationwide"]


def test_region_can_be_typed_by_name(client):
    ExpertFactory(name="Wales only", regions=[region("wales")])
    ExpertFactory(name="Scotland only", regions=[region("scotland")])

    assert names(client.get(LIST, {"region": "Wales"})) == ["Wales only"]


def test_filters_combine(client):
    leadership = interest("leadership")
    ExpertFactory(name="Welsh leader", interests=[leadership], regions=[region("wales")])
    ExpertFactory(name="Scottish leader", interests=[leadership], regions=[region("scotland")])
    marketing = interest("marketing")
    ExpertFactory(name="Welsh marketer", interests=[marketing], regions=[region("wales")])

    response = client.get(LIST, {"interest": "leadership", "region": "wales"})

    assert names(response) == ["Welsh leader"]


def test_an_unknown_filter_is_ignored_not_an_error(client):
    ExpertFactory(name="Someone")

    response = client.get(LIST, {"interest": "basket-weaving", "region": "atlantis"})

    assert response.status_code == 200
    assert names(response) == ["Someone"]


def test_only_interests_with_published_experts_are_offered(client):
    ExpertFactory(interests=[interest("leadership")])
    ExpertFactory(interests=[interest("yoga")], is_published=False)

    field = client.get(LIST).context["form"].fields["interest"]
    choices = [label for _value, label in field.choices]

    assert "Leadership" in choices
    assert "Yoga" not in choices


def test_no_match_explains_and_offers_everyone(client):
    ExpertFactory(interests=[interest("leadership")], regions=[region("wales")])

    response = client.get(LIST, {"region": "northern-ireland"})
    assert "No experts match those filters yet." in page_text(response)


def test_the_list_is_paginated_by_24_and_keeps_the_filters(client):
    leadership = interest("leadership")
    for n in range(30):
        ExpertFactory(name=f"Leader {n:02d}", interests=[leadership])

    first = client.get(LIST, {"interest": "leadership"})
    second = client.get(LIST, {"interest": "leadership", "page": 2})

    assert len(first.context["experts"]) == 24
    assert len(second.context["experts"]) == 6
    assert "?interest=leadership&amp;page=2" in first.content.decode()


@pytest.mark.parametrize("count", [5, 50])
def test_list_query_budget_is_the_same_at_5_and_50(client, django_assert_num_queries, count):
    leadership, marketing = interest("leadership"), interest("marketing")
    for _n in range(count):
        expert = ExpertFactory(interests=[leadership, marketing], regions=[region("wales")])
        CredentialFactory.create_batch(2, expert=expert)

    # count, page, interests, regions, filter interests, filter regions
    with django_assert_num_queries(6):
        response = client.get(LIST)
    assert response.status_code == 200
    assert len(response.context["experts"]) == min(count, 24)


@pytest.mark.parametrize("count", [5, 50])
def test_filtered_list_query_budget_for_a_member(client, django_assert_num_queries, member, count):
    leadership = interest("leadership")
    for _n in range(count):
        ExpertFactory(interests=[leadership], regions=[region("wales")])
    client.force_login(member)

    # session, user (with membership and profile); the two filter values; count, page, its
    # interests and regions; the two lists of choices
    with django_assert_num_queries(10):
        response = client.get(LIST, {"interest": "leadership", "region": "wales"})
    assert response.status_code == 200


# --- An expert's page ----------------------------------------------------------------


def test_detail_shows_bio_credentials_and_appearances(client):
    expert = ExpertFactory(
        name="Dr Helen Okafor",
        bio="Ran a hospital trust.\n\nNow writes.",
        interests=[interest("leadership")],
        regions=[region("london"), region("online")],
        availability="Weekday breakfasts.",
    )
    CredentialFactory(expert=expert, kind=Credential.Kind.BOOK, title="Lead Quietly", year=2019)
    CredentialFactory(expert=expert, kind=Credential.Kind.AWARD, title="Lifetime Award", year=None)
    CredentialFactory(
        expert=expert,
        kind=Credential.Kind.LINK,
        title="Her website",
        year=None,
        url="https://example.com/helen",
    )

    response = client.get(expert.get_absolute_url())
    html = page_text(response)

    assert response.status_code == 200
    assert "Dr Helen Okafor" in html
    assert "<p>Ran a hospital trust.</p>" in html
    assert "Lead Quietly" in html and "(2019)" in html
    assert "Lifetime Award" in html
    assert 'href="https://example.com/helen"' in html
    assert "London, Online" in html
    assert "Weekday breakfasts." in html
    assert "No appearances are announced yet." in html
    assert f"{LIST}?interest=leadership" in html


def test_initials_stand_in_for_a_missing_photo(client):
    expert = ExpertFactory(name="Dr Helen Okafor-Smith")

    html = page_text(client.get(expert.get_absolute_url()))

    assert 'class="expert-photo expert-initials is-lg"' in html
    assert ">HO<" in html


def test_unpublished_expert_is_a_404_for_everyone_but_staff(client, member, staff):
    expert = ExpertFactory(is_published=False)
    url = expert.get_absolute_url()

    assert client.get(url).status_code == 404
    client.force_login(member)
    assert client.get(url).status_code == 404
    make_active_member(staff)
    client.force_login(staff)  # a password alone carries no staff powers
    assert client.get(url).status_code == 404
    sign_in_with_mfa(client, staff)
    response = client.get(url)
    assert response.status_code == 200
    assert "Preview: this expert is not published" in page_text(response)
    assert REQUEST_BUTTON not in page_text(response)


def test_detail_query_budget(client, django_assert_num_queries):
    expert = ExpertFactory(interests=[interest("leadership")], regions=[region("wales")])
    CredentialFactory.create_batch(5, expert=expert)

    with django_assert_num_queries(5):  # expert, interests, regions, credentials, appearances
        client.get(expert.get_absolute_url())


def test_the_ask_button_is_for_active_members(client, member):
    expert = ExpertFactory()
    url = expert.get_absolute_url()

    anonymous = page_text(client.get(url))
    assert REQUEST_BUTTON not in anonymous
    assert "Join Mutual" in anonymous

    client.force_login(UserFactory())
    not_member = page_text(client.get(url))
    assert REQUEST_BUTTON not in not_member
    assert "Join to ask them" in not_member

    never_paid = UserFactory()
    Membership.objects.create(user=never_paid, status=Membership.Status.INCOMPLETE)
    client.force_login(never_paid)
    assert "Join to ask them" in page_text(client.get(url))

    lapsed = UserFactory()
    Membership.objects.create(user=lapsed, status=Membership.Status.CANCELED)
    client.force_login(lapsed)
    assert "Renew your membership to ask" in page_text(client.get(url))

    client.force_login(member)
    html = page_text(client.get(url))
    assert REQUEST_BUTTON in html
    assert reverse("experts:request", kwargs={"slug": expert.slug}) in html


def test_a_member_sees_their_open_request_on_the_page(client, member):
    expert = ExpertFactory()
    ExpertRequestFactory(member=member, expert=expert)
    client.force_login(member)

    html = page_text(client.get(expert.get_absolute_url()))

    assert "You asked them to your event on" in html
    assert 'request-status is-new">New<' in html


def test_the_reserved_slug_is_the_members_requests_page(client, member):
    client.force_login(member)

    response = client.get("/experts/requests/")

    assert response.status_code == 200
    assert response.resolver_match.view_name == "experts:requests"
