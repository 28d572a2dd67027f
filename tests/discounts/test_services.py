"""Redeeming: codes, idempotency, limits, dates in London time, and the database's guards."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction

from billing.models import Membership
from discounts import services
from discounts.models import Code, Offer, Redemption
from tests.discounts.factories import OfferFactory, pool_codes
from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def redeem(offer, member, **kwargs):
    return services.offer_redeem(offer=offer, member=member, **kwargs)


def test_a_generated_code_is_random_readable_and_recorded(member):
    offer = OfferFactory()

    redemption, created = redeem(offer, member)

    assert created
    assert len(redemption.code_text) == 10
    assert set(redemption.code_text) <= set(services.GENERATED_ALPHABET)
    assert redemption.code.member == member
    assert redemption.code.assigned_at is not None
    assert (redemption.member, redemption.offer, redemption.number) == (member, offer, 1)
    offer.refresh_from_db()
    assert offer.redeemed_count == 1


def test_generated_codes_differ_between_members(make_member):
    offer = OfferFactory()

    codes = {redeem(offer, make_member())[0].code_text for _ in range(20)}

    assert len(codes) == 20


def test_redeeming_again_shows_the_same_code_and_consumes_nothing(member):
    offer = OfferFactory(total_cap=3)
    first, _created = redeem(offer, member)

    again, created = redeem(offer, member)

    assert not created
    assert again.pk == first.pk
    assert again.code_text == first.code_text
    offer.refresh_from_db()
    assert offer.redeemed_count == 1
    assert Code.objects.filter(offer=offer).count() == 1
    assert Redemption.objects.filter(offer=offer).count() == 1


def test_a_shared_offer_shows_everyone_the_same_code(make_member):
    offer = OfferFactory(method=Offer.Method.SHARED, shared_code="MUTUAL20")

    first, _ = redeem(offer, make_member())
    second, _ = redeem(offer, make_member())

    assert first.code_text == second.code_text == "MUTUAL20"
    assert first.code is None
    assert not Code.objects.exists()
    offer.refresh_from_db()
    assert offer.redeemed_count == 2


def test_a_pool_hands_out_its_codes_in_order_then_says_all_claimed(make_member):
    offer = OfferFactory(method=Offer.Method.POOL)
    codes = pool_codes(offer, 2)
    first_member, second_member, third_member = make_member(), make_member(), make_member()

    assert redeem(offer, first_member)[0].code == codes[0]
    assert redeem(offer, second_member)[0].code == codes[1]
    with pytest.raises(services.OfferExhausted, match="All claimed"):
        redeem(offer, third_member)

    assert not Redemption.objects.filter(member=third_member).exists()
    offer.refresh_from_db()
    assert offer.redeemed_count == 2
    # The first member still gets their code back after the pool ran out.
    assert redeem(offer, first_member)[0].code == codes[0]


def test_the_total_cap_stops_further_codes(make_member):
    offer = OfferFactory(total_cap=2)
    redeem(offer, make_member())
    redeem(offer, make_member())

    late = make_member()
    with pytest.raises(services.OfferExhausted):
        redeem(offer, late)

    assert Redemption.objects.filter(offer=offer).count() == 2
    assert not Code.objects.filter(member=late).exists()


def test_get_another_code_up_to_the_per_member_limit(member):
    offer = OfferFactory(per_member_limit=2)
    first, _ = redeem(offer, member)

    second, created = redeem(offer, member, another=True)
    with pytest.raises(services.MemberLimitReached, match="2 codes allowed"):
        redeem(offer, member, another=True)

    assert created
    assert second.number == 2
    assert second.code_text != first.code_text
    # A plain Redeem press shows the latest code and issues nothing.
    assert redeem(offer, member)[0].pk == second.pk
    assert Redemption.objects.filter(offer=offer, member=member).count() == 2


def test_another_code_is_refused_when_the_limit_is_one(member):
    offer = OfferFactory()
    redeem(offer, member)

    with pytest.raises(services.MemberLimitReached, match="1 code allowed"):
        redeem(offer, member, another=True)


@pytest.mark.parametrize(
    ("status", "past_due_days"),
    [(None, None), ("canceled", None), ("past_due", 8), ("incomplete", None)],
)
def test_people_without_an_active_membership_get_no_code(status, past_due_days):
    user = UserFactory()
    if status is not None:
        since = None if past_due_days is None else datetime.now(UTC) - timedelta(past_due_days)
        Membership.objects.create(user=user, status=status, past_due_since=since)
    offer = OfferFactory()

    with pytest.raises(services.MembershipInactive, match="Rejoin"):
        redeem(offer, user)

    assert not Redemption.objects.exists()
    offer.refresh_from_db()
    assert offer.redeemed_count == 0


def test_a_member_within_the_payment_grace_period_can_redeem():
    user = UserFactory()
    Membership.objects.create(
        user=user, status="past_due", past_due_since=datetime.now(UTC) - timedelta(days=2)
    )

    assert redeem(OfferFactory(), user)[1]


# --- Dates are London calendar days ------------------------------------------------------


def london(
    year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("now", "outcome"),
    [
        (london(2026, 11, 1, 0, 0, 0), "ok"),
        (london(2026, 10, 31, 23, 59, 59), "not started"),
        (london(2026, 11, 30, 23, 59, 59), "ok"),
        (london(2026, 12, 1, 0, 0, 0), "ended"),
    ],
)
def test_an_offer_runs_from_midnight_to_midnight_london_time_in_winter(member, now, outcome):
    offer = OfferFactory(valid_from=date(2026, 11, 1), valid_until=date(2026, 11, 30))

    if outcome == "ok":
        assert redeem(offer, member, now=now)[1]
    elif outcome == "ended":
        with pytest.raises(services.OfferEnded, match="ended on 30 November 2026"):
            redeem(offer, member, now=now)
    else:
        with pytest.raises(services.OfferNotStarted, match="opens on 1 November 2026"):
            redeem(offer, member, now=now)


@pytest.mark.parametrize(
    ("utc_now", "redeemable"),
    [
        # 23:59:59 BST on 30 June is 22:59:59 UTC: still June in London.
        (datetime(2026, 6, 30, 22, 59, 59, tzinfo=UTC), True),
        # 23:30 UTC on 30 June is already 00:30 on 1 July in London: over.
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), False),
        # 23:30 UTC on 31 May is 00:30 BST on 1 June: started in London.
        (datetime(2026, 5, 31, 23, 30, tzinfo=UTC), True),
        (datetime(2026, 5, 31, 22, 59, 59, tzinfo=UTC), False),
    ],
)
def test_summer_time_boundaries_follow_london_not_utc(member, utc_now, redeemable):
    offer = OfferFactory(valid_from=date(2026, 6, 1), valid_until=date(2026, 6, 30))

    if redeemable:
        assert redeem(offer, member, now=utc_now)[1]
    else:
        with pytest.raises((services.OfferEnded, services.OfferNotStarted)):
            redeem(offer, member, now=utc_now)
        assert not Redemption.objects.exists()


def test_a_member_who_holds_a_code_still_sees_it_after_the_offer_ends(member):
    offer = OfferFactory(valid_from=date(2026, 11, 1), valid_until=date(2026, 11, 30))
    first, _ = redeem(offer, member, now=london(2026, 11, 15, 12))

    again, created = redeem(offer, member, now=london(2026, 12, 3, 12))

    assert (again.pk, created) == (first.pk, False)


# --- The database refuses what the code must never do ------------------------------------


def test_the_database_refuses_a_count_past_the_cap(member):
    offer = OfferFactory(total_cap=2)

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE discounts_offer SET redeemed_count = total_cap + 1 WHERE id = %s", [offer.pk]
        )


def test_the_database_refuses_a_second_first_code_for_the_same_member(member):
    offer = OfferFactory()
    redeem(offer, member)

    with pytest.raises(IntegrityError), transaction.atomic():
        Redemption.objects.create(offer=offer, member=member, number=1, code_text="ANOTHER1")


def test_the_database_refuses_more_codes_than_the_member_limit(member):
    offer = OfferFactory(per_member_limit=1)
    redeem(offer, member)

    with pytest.raises(IntegrityError), transaction.atomic():
        Redemption.objects.create(
            offer=offer, member=member, number=2, member_limit=1, code_text="ANOTHER1"
        )


def test_the_database_refuses_one_pool_code_for_two_redemptions(make_member):
    offer = OfferFactory(method=Offer.Method.POOL)
    [code] = pool_codes(offer, 1)
    redeem(offer, make_member())

    with pytest.raises(IntegrityError), transaction.atomic():
        Redemption.objects.create(offer=offer, member=make_member(), code=code, code_text="X")


def test_the_database_refuses_the_same_code_twice_in_a_pool_whatever_the_case():
    offer = OfferFactory(method=Offer.Method.POOL)
    Code.objects.create(offer=offer, code="ABC123")

    with pytest.raises(IntegrityError), transaction.atomic():
        Code.objects.create(offer=offer, code="abc123")


@pytest.mark.parametrize(
    "fields",
    [
        {"valid_from": date(2026, 11, 30), "valid_until": date(2026, 11, 1)},
        {"method": "shared", "shared_code": ""},
        {"method": "generated", "shared_code": "SHOULDNOT"},
        {"method": "shared", "shared_code": "ONE", "per_member_limit": 2},
        {"per_member_limit": 0},
        {"total_cap": 0},
        {"slug": "mine"},
    ],
)
def test_the_database_refuses_offers_that_make_no_sense(fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        OfferFactory(**fields)


def test_codes_are_unguessable_and_easy_to_read():
    codes = {services.code_generate() for _ in range(500)}

    assert len(codes) == 500
    assert not any(set(code) & set("01OIL") for code in codes)
