import io
import random

import pytest

from discounts import demo
from discounts.models import Code, Offer, Partner, end_of_next_month, site_today

pytestmark = pytest.mark.django_db


def run(count: int) -> int:
    return demo.seed(count=count, rng=random.Random(2026), stdout=io.StringIO())


def test_demo_offers_span_this_month_and_next_and_seeding_again_adds_nothing():
    assert run(8) == 8

    today = site_today()
    current = Offer.objects.current(today=today)
    upcoming = Offer.objects.upcoming(today=today)
    assert current.count() >= 5
    assert upcoming.count() >= 2
    assert all(o.valid_until <= end_of_next_month(today) for o in Offer.objects.all())
    assert Partner.objects.count() == len(demo.PARTNERS)
    assert set(Offer.objects.values_list("method", flat=True)) == {"shared", "pool", "generated"}
    assert Code.objects.filter(offer__method="pool", assigned_at=None).count() >= 25
    assert all(o.interests.exists() for o in Offer.objects.all())

    assert run(8) == 0
    assert Offer.objects.count() == 8


def test_many_demo_offers_are_quick_to_create(django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        assert run(400) == 400

    assert Offer.objects.count() == 400
    assert run(410) == 10


def test_demo_offers_can_be_redeemed(member):
    from discounts import services

    run(8)
    for offer in Offer.objects.current():
        redemption, created = services.offer_redeem(offer=offer, member=member)
        assert created
        assert redemption.code_text
