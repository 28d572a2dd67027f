from datetime import date, timedelta

import pytest
from django.template.loader import render_to_string

from discounts.models import Offer, end_of_next_month, site_today
from discounts.selectors import catalogue, current_offers, offer_state
from tests.discounts.factories import OfferFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("today", "end"),
    [
        (date(2026, 11, 25), date(2026, 12, 31)),
        (date(2026, 12, 31), date(2027, 1, 31)),
        (date(2027, 1, 31), date(2027, 2, 28)),
        (date(2028, 1, 1), date(2028, 2, 29)),
    ],
)
def test_end_of_next_month(today, end):
    assert end_of_next_month(today) == end


def test_the_catalogue_splits_current_and_upcoming_on_a_given_day():
    today = date(2026, 11, 30)
    OfferFactory(title="Last day", valid_from=date(2026, 11, 1), valid_until=today)
    OfferFactory(title="Tomorrow", valid_from=date(2026, 12, 1), valid_until=date(2026, 12, 31))
    OfferFactory(title="Gone", valid_from=date(2026, 11, 1), valid_until=date(2026, 11, 29))

    result = catalogue(today=today)

    assert [o.title for o in result.current] == ["Last day"]
    assert [o.title for o in result.upcoming] == ["Tomorrow"]


def test_home_page_offers_are_current_featured_first_and_render(django_assert_num_queries):
    for n in range(5):
        OfferFactory(title=f"Plain {n}")
    OfferFactory(title="The featured one", featured=True)
    next_month_end = end_of_next_month(site_today())
    OfferFactory(
        title="Next month", valid_from=next_month_end - timedelta(1), valid_until=next_month_end
    )

    with django_assert_num_queries(2):
        offers = current_offers(limit=3)
    html = render_to_string("discounts/_home_offers.html", {"offers": offers})

    assert len(offers) == 3
    assert offers[0].title == "The featured one"
    assert "The featured one" in html
    assert "Next month" not in html
    assert render_to_string("discounts/_home_offers.html", {"offers": []}).strip() == ""


def test_codes_left_counts_only_unclaimed_pool_codes(member):
    from discounts import services
    from tests.discounts.factories import pool_codes

    offer = OfferFactory(method=Offer.Method.POOL, total_cap=10)
    pool_codes(offer, 3)
    services.offer_redeem(offer=offer, member=member)

    annotated = Offer.objects.with_counts().get(pk=offer.pk)

    assert (annotated.codes_left, annotated.redemption_total, annotated.codes_used) == (2, 1, 0)
    assert annotated.codes_remaining == 2
    assert not annotated.is_exhausted


def test_offer_state_is_upcoming_open_exhausted_or_ended():
    today = site_today()
    running = OfferFactory(valid_from=today, valid_until=today + timedelta(days=3))
    all_claimed = OfferFactory(total_cap=1, redeemed_count=1)

    assert offer_state(offer=running, today=today - timedelta(days=1)) == "upcoming"
    assert offer_state(offer=running, today=today) == "open"
    assert offer_state(offer=running, today=today + timedelta(days=3)) == "open"
    assert offer_state(offer=running, today=today + timedelta(days=4)) == "ended"
    assert offer_state(offer=all_claimed) == "exhausted"
