"""Many members pressing Redeem at the same moment, on real PostgreSQL.

Each thread has its own database connection (and, for the HTTP tests, its own signed-in
client), and a barrier releases them together; each request is then held between checking
the cap and taking a code until every other request has checked too or is queued behind the
lock, so the race happens on every run.

The cap has two guards, and each is proved on its own: with the cap's CHECK constraint
dropped, the lock alone gives exactly the cap; with the lock off (`core.faults`), the
constraint alone refuses the extra codes and every member gets a page, never an error. The
negative control takes both away and the same burst gives out far more than the cap.
"""

import pytest
from django.test import Client
from django.urls import reverse

from core import faults
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
    return concurrency.burst(calls, refused=services.RedemptionError, all_check_first=True)


def kinds(outcomes) -> dict[str, int]:
    counts: dict[str, int] = {}
    for kind, _value in outcomes:
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def redeem_call(offer, member):
    return lambda: services.offer_redeem(offer=offer, member=member)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post_redeem(client, offer, *, another=False):
    url = reverse("discounts:redeem", kwargs={"slug": offer.slug})
    data = {"another": "1"} if another else {}
    return lambda: client.post(url, data).status_code


def _reset():
    """What a negative control wrote, undone so the constraint can come back."""
    Redemption.objects.all().delete()
    Code.objects.all().delete()
    Offer.objects.update(redeemed_count=0)


def without_constraint(model, name: str):
    return concurrency.without_constraint(model, name, reset=_reset)


@pytest.fixture
def no_locking(monkeypatch):
    monkeypatch.setattr(faults, "skip_locking", True)


def test_a_cap_of_5_and_30_members_at_once_gives_exactly_5_codes():
    offer = OfferFactory(total_cap=CAP)
    people = members(MEMBERS)

    outcomes = burst([redeem_call(offer, m) for m in people])

    assert kinds(outcomes) == {"ok": CAP, "refused": MEMBERS - CAP}
    assert all(isinstance(v, services.OfferExhausted) for k, v in outcomes if k == "refused")
    assert Redemption.objects.filter(offer=offer).count() == CAP
    assert Code.objects.filter(offer=offer).count() == CAP
    offer.refresh_from_db()
    assert offer.redeemed_count == CAP


def test_with_the_check_constraint_dropped_the_lock_alone_gives_exactly_5_codes():
    offer = OfferFactory(total_cap=CAP)
    clients = [signed_in(m) for m in members(MEMBERS)]

    with without_constraint(Offer, "discount_offer_within_cap"):
        outcomes = burst([post_redeem(client, offer) for client in clients])
        given = Redemption.objects.filter(offer=offer).count()
        redeemed_count = Offer.objects.get(pk=offer.pk).redeemed_count

    assert outcomes == [("ok", 302)] * MEMBERS
    assert given == redeemed_count == CAP


def test_with_the_lock_off_the_check_constraint_alone_refuses_the_extra_codes_cleanly(no_locking):
    offer = OfferFactory(total_cap=CAP)
    people = members(MEMBERS)
    clients = [signed_in(m) for m in people]

    outcomes = burst([post_redeem(client, offer) for client in clients])

    # All 30 see 5 codes left and take one; the database refuses the sixth increment
    # onwards, and those members are told "all claimed": a page, never an error.
    assert outcomes == [("ok", 302)] * MEMBERS
    assert Redemption.objects.filter(offer=offer).count() == CAP
    assert Offer.objects.get(pk=offer.pk).redeemed_count == CAP
    refused = [c for c in clients if "All claimed" in c.get(offer.get_absolute_url()).text]
    assert len(refused) == MEMBERS - CAP


def test_with_the_lock_off_pressing_get_another_code_3_times_at_once_never_errors(no_locking):
    offer = OfferFactory(per_member_limit=5)
    [member] = members(1)
    services.offer_redeem(offer=offer, member=member)
    client = signed_in(member)

    outcomes = burst([post_redeem(client, offer, another=True) for _ in range(3)])

    # All three count one code and write the second; the unique number refuses two of them,
    # and those presses are asked to try again rather than shown an error page.
    assert outcomes == [("ok", 302)] * 3
    assert Redemption.objects.filter(offer=offer, member=member).count() == 2
    assert Offer.objects.get(pk=offer.pk).redeemed_count == 2


def test_negative_control_without_the_lock_or_the_check_the_cap_is_overshot(no_locking):
    offer = OfferFactory(total_cap=CAP)
    people = members(MEMBERS)

    with without_constraint(Offer, "discount_offer_within_cap"):
        outcomes = burst([redeem_call(offer, m) for m in people])
        given = Redemption.objects.filter(offer=offer).count()

    # The very bug the lock prevents: everyone saw codes left, so everyone got one.
    assert given == MEMBERS
    assert kinds(outcomes) == {"ok": MEMBERS}


def test_a_pool_of_5_and_30_members_at_once_gives_each_code_once():
    offer = OfferFactory(method=Offer.Method.POOL)
    pool_codes(offer, CAP)
    people = members(MEMBERS)

    outcomes = burst([redeem_call(offer, m) for m in people])

    assert kinds(outcomes) == {"ok": CAP, "refused": MEMBERS - CAP}
    assert Code.objects.filter(offer=offer, member__isnull=False).count() == CAP
    given = list(Redemption.objects.filter(offer=offer).values_list("code_id", flat=True))
    assert len(given) == len(set(given)) == CAP


@pytest.mark.parametrize("locking", [True, False], ids=["locked", "constraint-only"])
def test_one_member_pressing_redeem_10_times_at_once_gets_one_code(locking, monkeypatch):
    monkeypatch.setattr(faults, "skip_locking", not locking)
    offer = OfferFactory(total_cap=CAP)
    [member] = members(1)

    outcomes = burst([redeem_call(offer, member) for _ in range(10)])

    assert kinds(outcomes) == {"ok": 10}
    redemptions = {value[0].pk for _kind, value in outcomes}
    assert len(redemptions) == 1
    assert Redemption.objects.filter(offer=offer, member=member).count() == 1
    offer.refresh_from_db()
    assert offer.redeemed_count == 1
