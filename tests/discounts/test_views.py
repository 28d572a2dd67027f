"""The pages: who sees what, redeeming through the browser's POST, and query budgets."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import Membership
from discounts.models import Code, Offer, Redemption, end_of_next_month, site_today
from tests.discounts.factories import OfferFactory, PartnerFactory, pool_codes
from tests.members.factories import UserFactory, interests

pytestmark = pytest.mark.django_db


@pytest.fixture
def lapsed():
    user = UserFactory()
    Membership.objects.create(user=user, status=Membership.Status.CANCELED)
    return user


@pytest.fixture
def offer():
    return OfferFactory(title="A day at the Hive coworking", slug="hive-day-pass")


def redeem_url(offer) -> str:
    return reverse("discounts:redeem", args=[offer.slug])


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return unescape(response.content.decode())


# --- The list ----------------------------------------------------------------------------


def test_the_list_shows_this_months_offers_and_next_months_but_not_past_or_later(client):
    today = site_today()
    OfferFactory(title="Running now")
    OfferFactory(
        title="Starting next month",
        valid_from=end_of_next_month(today).replace(day=1),
        valid_until=end_of_next_month(today),
    )
    OfferFactory(
        title="Already over",
        valid_from=today - timedelta(days=40),
        valid_until=today - timedelta(days=1),
    )
    later = end_of_next_month(today) + timedelta(days=1)
    OfferFactory(title="In two months", valid_from=later, valid_until=later + timedelta(days=20))

    html = page(client, reverse("discounts:list"))

    current, upcoming = html.split("Coming next month")
    assert "Running now" in current
    assert "Starting next month" in upcoming
    assert "Already over" not in html
    assert "In two months" not in html
    assert "Join to redeem" in html


def test_featured_offers_come_first(client):
    OfferFactory(title="Plain offer", valid_until=site_today())
    OfferFactory(title="Featured offer", featured=True)

    html = page(client, reverse("discounts:list"))

    assert html.index("Featured offer") < html.index("Plain offer")


def test_the_list_filters_by_interest(client):
    marketing, fitness = interests(2)
    OfferFactory(title="Print deal", interests=[marketing])
    OfferFactory(title="Gym deal", interests=[fitness])

    html = page(client, reverse("discounts:list") + f"?interest={fitness.slug}")

    current = html.split("Coming next month")[0]
    assert "Gym deal" in current
    assert "Print deal" not in current
    assert f'href="?interest={marketing.slug}"' in html  # the other filter stays offered


def test_the_list_is_paginated_this_months_offers_first_keeping_the_filter(client):
    today = site_today()
    first_of_next = end_of_next_month(today).replace(day=1)
    marketing, fitness = interests(2)
    for n in range(30):
        OfferFactory(
            title=f"Now {n:02d}", valid_until=end_of_next_month(today), interests=[fitness]
        )
    for n in range(5):
        OfferFactory(
            title=f"Soon {n:02d}",
            valid_from=first_of_next,
            valid_until=end_of_next_month(today),
            interests=[fitness],
        )
    OfferFactory(title="Other interest", interests=[marketing])
    url = reverse("discounts:list") + f"?interest={fitness.slug}"

    first = page(client, url)
    second = page(client, url + "&page=2")

    shown = re.findall(r"(Now \d\d|Soon \d\d|Other interest)</a></h3>", first + second)
    assert shown == [f"Now {n:02d}" for n in range(30)] + [f"Soon {n:02d}" for n in range(5)]
    # Page 1 is all this month's, and says where next month's are.
    current, upcoming = first.split("Coming next month")
    assert "Now 00" in current
    assert "5 offers open next month" in upcoming
    assert f'href="?interest={fitness.slug}&page=2#upcoming-title"' in upcoming
    assert f'href="?interest={fitness.slug}&page=2" rel="next"' in first
    # Page 2 ends this month's and begins next month's, each under its heading.
    current, upcoming = second.split("Coming next month")
    assert "Now 29" in current and "Soon 00" in upcoming
    assert f'href="?interest={fitness.slug}&page=1" rel="prev"' in second


def test_an_unknown_interest_shows_an_empty_list_not_an_error(client):
    OfferFactory(title="Print deal")

    html = page(client, reverse("discounts:list") + "?interest=no-such-thing")

    assert "Print deal" not in html


def test_a_member_sees_which_offers_they_already_have_a_code_for(client, member, offer):
    Redemption.objects.create(offer=offer, member=member, code_text="ABCDEF")
    client.force_login(member)

    assert "Your code is ready" in page(client, reverse("discounts:list"))


# --- The offer page: who sees what ----------------------------------------------------------


def test_anyone_can_read_an_offer_and_is_invited_to_join(client, offer):
    html = page(client, offer.get_absolute_url())

    assert offer.title in html
    assert offer.terms in html
    assert "Join to redeem" in html
    assert redeem_url(offer) not in html


def test_a_signed_in_non_member_is_invited_to_join(client, offer):
    client.force_login(UserFactory())

    html = page(client, offer.get_absolute_url())

    assert "Join to redeem" in html
    assert redeem_url(offer) not in html


def test_a_lapsed_member_is_told_their_membership_lapsed(client, offer, lapsed):
    client.force_login(lapsed)

    html = page(client, offer.get_absolute_url())

    assert "Your membership has lapsed" in html
    assert redeem_url(offer) not in html


def test_an_active_member_gets_a_redeem_button(client, offer, member):
    client.force_login(member)

    html = page(client, offer.get_absolute_url())

    assert redeem_url(offer) in html
    assert ">Redeem</button>" in html


def test_an_unknown_offer_is_404(client):
    assert client.get("/discounts/no-such-offer/").status_code == 404


# --- Redeeming ---------------------------------------------------------------------------


def test_redeeming_shows_the_code_and_again_shows_the_same_code(client, offer, member):
    client.force_login(member)

    response = client.post(redeem_url(offer), follow=True)

    redemption = Redemption.objects.get(member=member)
    assert response.redirect_chain[-1][0] == f"{offer.get_absolute_url()}#code-{redemption.pk}"
    html = unescape(response.content.decode())
    assert "Here's your code" in html
    assert redemption.code_text in html

    response = client.post(redeem_url(offer), follow=True)

    html = unescape(response.content.decode())
    assert "You already have a code for this offer" in html
    assert redemption.code_text in html
    assert Redemption.objects.filter(member=member).count() == 1
    offer.refresh_from_db()
    assert offer.redeemed_count == 1


def test_anonymous_redeem_goes_to_sign_in_and_back_to_the_offer(client, offer):
    response = client.post(redeem_url(offer))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not Redemption.objects.exists()
    # After signing in, the login page sends them to the redeem address: it shows the offer.
    client.force_login(UserFactory())
    assert client.get(redeem_url(offer))["Location"] == reverse("billing:join")


def test_a_member_following_the_sign_in_redirect_lands_on_the_offer(client, offer, member):
    client.force_login(member)

    response = client.get(redeem_url(offer))

    assert response["Location"] == offer.get_absolute_url()
    assert not Redemption.objects.exists()


@pytest.mark.parametrize("who", ["non_member", "lapsed"])
def test_people_without_an_active_membership_are_sent_to_join(client, offer, lapsed, who):
    client.force_login(lapsed if who == "lapsed" else UserFactory())

    response = client.post(redeem_url(offer), follow=True)

    assert response.redirect_chain[-1][0] == reverse("billing:join")
    assert "That's for paying members" in unescape(response.content.decode())
    assert not Redemption.objects.exists()


def test_when_the_pool_runs_out_the_next_member_is_told_all_claimed(client, make_member):
    offer = OfferFactory(method=Offer.Method.POOL)
    [code] = pool_codes(offer, 1)
    first, second = make_member(), make_member()
    client.force_login(first)
    assert code.code in unescape(client.post(redeem_url(offer), follow=True).content.decode())

    client.force_login(second)
    response = client.post(redeem_url(offer), follow=True)

    html = unescape(response.content.decode())
    assert "All claimed" in html
    assert code.code not in html
    assert not Redemption.objects.filter(member=second).exists()


@pytest.mark.parametrize(
    ("shift", "message"),
    [(-40, "This offer ended on"), (40, "This offer opens on")],
)
def test_offers_outside_their_dates_explain_why(client, member, shift, message):
    start = site_today() + timedelta(days=shift)
    offer = OfferFactory(valid_from=start, valid_until=start + timedelta(days=5))
    client.force_login(member)

    response = client.post(redeem_url(offer), follow=True)

    assert message in unescape(response.content.decode())
    assert not Redemption.objects.exists()


def test_get_another_code_is_offered_only_below_the_limit(client, member):
    offer = OfferFactory(per_member_limit=2)
    client.force_login(member)
    client.post(redeem_url(offer))
    assert "Get another code" in page(client, offer.get_absolute_url())

    client.post(redeem_url(offer), {"another": "1"})

    assert Redemption.objects.filter(member=member).count() == 2
    assert "Get another code" not in page(client, offer.get_absolute_url())


def test_nobody_sees_another_members_code(client, offer, make_member):
    owner, other = make_member(), make_member()
    client.force_login(owner)
    client.post(redeem_url(offer))
    code = Redemption.objects.get(member=owner).code_text

    client.force_login(other)

    assert code not in page(client, offer.get_absolute_url())
    assert code not in page(client, reverse("discounts:mine"))
    assert code not in page(client, reverse("discounts:list"))


def test_my_codes_lists_only_my_codes_and_needs_sign_in(client, member, make_member):
    mine = Redemption.objects.create(offer=OfferFactory(), member=member, code_text="MINE0001")
    Redemption.objects.create(offer=OfferFactory(), member=make_member(), code_text="THEIRS01")

    assert client.get(reverse("discounts:mine"))["Location"].startswith(reverse("account_login"))
    client.force_login(member)
    html = page(client, reverse("discounts:mine"))

    assert mine.code_text in html
    assert "THEIRS01" not in html


def test_a_lapsed_member_keeps_seeing_codes_they_were_given(client, lapsed):
    Redemption.objects.create(offer=OfferFactory(), member=lapsed, code_text="KEPT0001")
    client.force_login(lapsed)

    assert "KEPT0001" in page(client, reverse("discounts:mine"))


def test_no_email_address_appears_on_discount_pages(client, member, offer):
    client.force_login(member)
    client.post(redeem_url(offer))

    for url in (reverse("discounts:list"), offer.get_absolute_url(), reverse("discounts:mine")):
        assert "@" not in page(client, url).replace("@media", "")


# --- Query budgets: the same at 5 rows and at 50 --------------------------------------------


def make_offers(count: int) -> None:
    partner = PartnerFactory()
    picked = interests(3)
    for n in range(count):
        OfferFactory(partner=partner, featured=n % 7 == 0, interests=picked)
    pool_offer = Offer.objects.first()
    assert pool_offer is not None
    pool_offer.method = Offer.Method.POOL
    pool_offer.save()
    pool_codes(pool_offer, 3)


@pytest.mark.parametrize("rows", [5, 50])
def test_the_list_takes_4_queries_for_anyone(client, django_assert_num_queries, rows):
    make_offers(rows)

    # interests to filter by, the two sections counted, the page's offers, their interests
    with django_assert_num_queries(4):
        client.get(reverse("discounts:list"))


@pytest.mark.parametrize("rows", [5, 50])
def test_the_list_takes_7_queries_for_a_member(client, member, django_assert_num_queries, rows):
    make_offers(rows)
    client.force_login(member)
    url = reverse("discounts:list") + f"?interest={interests(1)[0].slug}"

    # session, user (with membership and profile); interests to filter by, the two sections
    # counted, the page's offers, their interests, which of them I have a code for
    with django_assert_num_queries(7):
        client.get(url)


@pytest.mark.parametrize("rows", [5, 50])
def test_my_codes_takes_3_queries(client, member, django_assert_num_queries, rows):
    for _ in range(rows):
        offer = OfferFactory()
        code = Code.objects.create(
            offer=offer, code=f"C{offer.pk}XYZ", member=member, assigned_at=timezone.now()
        )
        Redemption.objects.create(offer=offer, member=member, code=code, code_text=code.code)
    client.force_login(member)

    # session, user (with membership and profile), my codes with offer and partner
    with django_assert_num_queries(3):
        html = unescape(client.get(reverse("discounts:mine")).content.decode())
    assert html.count('class="code-value"') == rows


@pytest.mark.parametrize("codes", [1, 5])
def test_an_offer_page_takes_5_queries_for_a_member(
    client, member, django_assert_num_queries, codes
):
    offer = OfferFactory(per_member_limit=5, interests=interests(4))
    for number in range(1, codes + 1):
        code = Code.objects.create(
            offer=offer, code=f"N{number}CODE", member=member, assigned_at=timezone.now()
        )
        Redemption.objects.create(
            offer=offer,
            member=member,
            number=number,
            member_limit=5,
            code=code,
            code_text=code.code,
        )
    client.force_login(member)

    # session, user (with membership and profile); the offer with its partner and codes
    # left, its interests, my codes for it
    with django_assert_num_queries(5):
        client.get(offer.get_absolute_url())


def test_staff_without_a_membership_are_treated_like_any_non_member(client, offer):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)

    assert "Join to redeem" in page(client, offer.get_absolute_url())
    response = client.post(redeem_url(offer))

    assert response["Location"] == reverse("billing:join")
    assert not Redemption.objects.exists()


def test_an_incomplete_first_payment_is_not_called_lapsed(client, offer):
    user = UserFactory()
    Membership.objects.create(user=user, status=Membership.Status.INCOMPLETE)
    client.force_login(user)

    html = page(client, offer.get_absolute_url())

    assert "Join to redeem" in html
    assert "lapsed" not in html
