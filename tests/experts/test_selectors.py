import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from experts.selectors import expert_list, featured_experts
from members.models import Interest
from tests.experts.factories import ExpertFactory, region

pytestmark = pytest.mark.django_db


def test_featured_experts_are_published_and_featured_only():
    ExpertFactory(name="Featured", is_featured=True)
    ExpertFactory(name="Plain")
    ExpertFactory(name="Featured but hidden", is_featured=True, is_published=False)

    assert [e.name for e in featured_experts()] == ["Featured"]


@pytest.mark.parametrize("count", [5, 50])
def test_featured_experts_and_their_section_cost_three_queries(count, django_assert_num_queries):
    leadership = Interest.objects.get(slug="leadership")
    for _n in range(count):
        ExpertFactory(is_featured=True, interests=[leadership], regions=[region("wales")])

    with django_assert_num_queries(3):
        experts = featured_experts(limit=3)
        html = render_to_string(
            "experts/includes/_featured_experts.html",
            {"featured_experts": experts},
            request=RequestFactory().get("/"),
        )

    assert len(experts) == 3
    assert html.count('class="card expert-card') == 3
    assert "See all experts" in html


def test_the_featured_section_renders_nothing_without_experts():
    html = render_to_string("experts/includes/_featured_experts.html", {"featured_experts": []})

    assert html.strip() == ""


def test_expert_list_is_the_published_experts_by_interest_and_region():
    leadership = Interest.objects.get(slug="leadership")
    ExpertFactory(name="Leads in Wales", interests=[leadership], regions=[region("wales")])
    ExpertFactory(name="Leads elsewhere", interests=[leadership])
    ExpertFactory(name="Other subject", regions=[region("wales")])
    ExpertFactory(name="Unpublished", interests=[leadership], is_published=False)

    def names(experts) -> set[str]:
        return {e.name for e in experts}

    assert names(expert_list()) == {"Leads in Wales", "Leads elsewhere", "Other subject"}
    assert names(expert_list(interest=leadership)) == {"Leads in Wales", "Leads elsewhere"}
    assert names(expert_list(region=region("wales"))) == {"Leads in Wales", "Other subject"}
    assert names(expert_list(interest=leadership, region=region("wales"))) == {"Leads in Wales"}
