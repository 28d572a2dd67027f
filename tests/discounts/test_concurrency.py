"""Many members pressing Redeem at the same moment, on real PostgreSQL.

Each thread has its own database connection, and a barrier releases them together. The
negative controls turn the lock off (and, for one, drop the cap's CHECK constraint) to show
that these tests can fail: without the lock, the same burst gives out more than the cap.
"""

import pytest

from discounts import services
from discounts.models import Code, Offer, Redemption
from tests import concurrency
from tests.discounts.factories import OfferFactory, pool_codes
from tests.members.factories import UserFactory, make_active_member

pytestmark = pytest.mark.django_db(transaction=True)

MEMBERS = 30
CAP = 5


def members(count: int) -> list:
    users = []
    for _ in range(count):
        user = UserFactory()
        make_active_member(user)
        users.append(user)
    return users


def burst(calls) -> list[tuple[str, object]]:
    return concurrency.burst(calls, refused=services.RedemptionError)


def kinds(outcomes) -> dict[str, int]:
    counts: dict[str, int] = {}
    for kind, _value in outcomes:
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def redeem_call(offer, member):
    return lambda: services.offer_redeem(offer=offer, member=member)


def _reset():
    """What a negative control wrote, undone so the constraint can come back."""
    Redemption.objects.all().delete()
    Code.objects.all().delete()
    Offer.objects.update(redeemed_count=0)


def without_constraint(model, name: str):
    return concurrency.without_constraint(model, name, reset=_reset)


@pytest.fixture
def slow_check(monkeypatch):
    """Widen the race window: every request pauses between checking the cap and taking a code."""
    monkeypatch.setattr(services.faults, "sleep_after_check", 0.05)


@pytest.fixture
def no_locking(monkeypatch):
    monkeypatch.setattr(services.faults, "skip_locking", True)


def test_a_cap_of_5_and_30_members_at_once_gives_exactly_5_codes(slow_check):
    offer = OfferFactory(total_cap=CAP)
    people = members(MEMBERS)

    outcomes = burst([redeem_call(offer, m) for m in people])

    assert kinds(outcomes) == {"ok": CAP, "refused": MEMBERS - CAP}
    assert all(isinstance(v, services.OfferExhausted) for k, v in outcomes if k == "refused")
    assert Redemption.objects.filter(offer=offer).count() == CAP
    assert Code.objects.filter(offer=offer).count() == CAP
    offer.refresh_from_db()
    assert offer.redeemed_count == CAP


def test_negative_control_without_the_lock_or_the_check_the_cap_is_overshot(slow_check, no_locking):
    offer = OfferFactory(total_cap=CAP)
    people = members(MEMBERS)

    with without_constraint(Offer, "discount_offer_within_cap"):
        outcomes = burst([redeem_call(offer, m) for m in people])
        given = Redemption.objects.filter(offer=offer).count()

    # The very bug the lock prevents: far more codes than the cap.
    assert given > CAP
    assert kinds(outcomes).get("ok", 0) == given


def test_without_the_lock_the_check_constraint_alone_still_holds_the_cap(slow_check, no_locking):
    offer = OfferFactory(total_cap=CAP)
    people = members(MEMBERS)

    outcomes = burst([redeem_call(offer, m) for m in people])

    # The backstop: the database refuses the sixth increment and the member is told
    # "all claimed", not shown an error page.
    assert kinds(outcomes) == {"ok": CAP, "refused": MEMBERS - CAP}
    assert Redemption.objects.filter(offer=offer).count() == CAP
    offer.refresh_from_db()
    assert offer.redeemed_count == CAP


def test_a_pool_of_5_and_30_members_at_once_gives_each_code_once(slow_check):
    offer = OfferFactory(method=Offer.Method.POOL)
    pool_codes(offer, CAP)
    people = members(MEMBERS)

    outcomes = burst([redeem_call(offer, m) for m in people])

    assert kinds(outcomes) == {"ok": CAP, "refused": MEMBERS - CAP}
    assert Code.objects.filter(offer=offer, member__isnull=False).count() == CAP
    given = list(Redemption.objects.filter(offer=offer).values_list("code_id", flat=True))
    assert len(given) == len(set(given)) == CAP


@pytest.mark.parametrize("locking", [True, False], ids=["locked", "constraint-only"])
def test_one_member_pressing_redeem_10_times_at_once_gets_one_code(
    locking, monkeypatch, slow_check
):
    monkeypatch.setattr(services.faults, "skip_locking", not locking)
    offer = OfferFactory(total_cap=CAP)
    [member] = members(1)

    outcomes = burst([redeem_call(offer, member) for _ in range(10)])

    assert kinds(outcomes) == {"ok": 10}
    redemptions = {value[0].pk for _kind, value in outcomes}
    assert len(redemptions) == 1
    assert Redemption.objects.filter(offer=offer, member=member).count() == 1
    offer.refresh_from_db()
    assert offer.redeemed_count == 1
