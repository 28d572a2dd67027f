"""The partner's secret page: valid or not, which offer, used or not. Never who the member is."""

from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse

from discounts import services
from discounts.models import Offer, site_today
from tests.discounts.factories import OfferFactory, PartnerFactory, pool_codes

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner():
    return PartnerFactory(name="Hive Coworking")


@pytest.fixture
def offer(partner):
    return OfferFactory(partner=partner, title="Free day pass at the Hive")


@pytest.fixture
def claimed(offer, member):
    redemption, _created = services.offer_redeem(offer=offer, member=member)
    return redemption


def url(partner) -> str:
    return reverse("discounts:partner_verify", args=[partner.verification_token])


def check(client, partner, code, action="check"):
    response = client.post(url(partner), {"code": code, "action": action})
    return response, unescape(response.content.decode())


def test_the_page_opens_with_the_secret_link_only(client, partner):
    response = client.get(url(partner))

    assert response.status_code == 200
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]
    assert "noindex" in response["X-Robots-Tag"]


@pytest.mark.parametrize("token", ["wrong", "x" * 32])
def test_a_wrong_or_tampered_token_is_404(client, partner, token):
    assert client.get(f"/discounts/partners/{token}/").status_code == 404
    tampered = partner.verification_token[:-1] + (
        "A" if partner.verification_token[-1] != "A" else "B"
    )
    assert client.get(f"/discounts/partners/{tampered}/").status_code == 404


def test_a_claimed_code_is_valid_and_names_the_offer_but_not_the_member(
    client, partner, claimed, member
):
    response, html = check(client, partner, claimed.code_text)

    assert response.status_code == 200
    assert "Valid code" in html
    assert "Free day pass at the Hive" in html
    assert "Not yet" in html
    assert "Mark as used" in html
    profile = member.profile
    for detail in (member.email, profile.display_name, profile.handle, profile.city):
        assert detail not in html
    assert "@" not in html.replace("@media", "")


def test_codes_are_matched_ignoring_case_and_spaces(client, partner, claimed):
    typed = " ".join(claimed.code_text.lower()[i : i + 5] for i in (0, 5))

    _response, html = check(client, partner, typed)

    assert "Valid code" in html


def test_an_unknown_code_is_not_valid(client, partner, claimed):
    _response, html = check(client, partner, "NOPE12345")

    assert "Not a valid code" in html
    assert "Free day pass" not in html


def test_another_partners_code_is_not_valid_here(client, claimed):
    other = PartnerFactory(name="Someone Else")

    _response, html = check(client, other, claimed.code_text)

    assert "Not a valid code" in html


def test_a_pool_code_no_member_was_given_is_flagged(client, partner):
    offer = OfferFactory(partner=partner, method=Offer.Method.POOL)
    [code] = pool_codes(offer, 1)

    _response, html = check(client, partner, code.code)

    assert "Not issued to a member" in html
    assert "Mark as used" not in html


def test_a_shared_code_is_valid_with_nothing_to_mark(client, partner):
    OfferFactory(partner=partner, method=Offer.Method.SHARED, shared_code="MUTUAL10")

    _response, html = check(client, partner, "mutual10")

    assert "Valid code" in html
    assert "Shared code" in html
    assert "Mark as used" not in html


def test_a_code_for_an_offer_that_has_ended_says_so(client, partner, claimed, offer):
    Offer.objects.filter(pk=offer.pk).update(
        valid_from=site_today() - timedelta(days=30), valid_until=site_today() - timedelta(days=1)
    )

    _response, html = check(client, partner, claimed.code_text)

    assert "the offer has ended" in html
    assert "Mark as used" not in html


def test_marking_used_is_recorded_once(client, partner, claimed):
    _response, html = check(client, partner, claimed.code_text, action="use")

    claimed.code.refresh_from_db()
    first_used = claimed.code.used_at
    assert first_used is not None
    assert "Marked as used" in html

    _response, html = check(client, partner, claimed.code_text, action="use")
    claimed.code.refresh_from_db()
    assert claimed.code.used_at == first_used

    _response, html = check(client, partner, claimed.code_text)
    assert "Already used" in html
    assert "Mark as used" not in html


def test_an_unclaimed_pool_code_cannot_be_marked_used(client, partner):
    offer = OfferFactory(partner=partner, method=Offer.Method.POOL)
    [code] = pool_codes(offer, 1)

    _response, html = check(client, partner, code.code, action="use")

    code.refresh_from_db()
    assert code.used_at is None
    assert "Not issued to a member" in html


def test_another_partner_cannot_mark_a_code_used(client, claimed):
    other = PartnerFactory()

    check(client, other, claimed.code_text, action="use")

    claimed.code.refresh_from_db()
    assert claimed.code.used_at is None


def test_an_empty_code_is_explained(client, partner):
    response, html = check(client, partner, "")

    assert response.status_code == 200
    assert "This field is required" in html


TILL, STRANGER = "198.51.100.20", "203.0.113.66"


def check_from(client, partner, code, address):
    response = client.post(url(partner), {"code": code, "action": "check"}, REMOTE_ADDR=address)
    return response, unescape(response.content.decode())


def test_checks_are_rate_limited_per_link_and_client(client, partner, claimed, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "partner_check": "5/m/ip,100/m/all"}
    for _ in range(5):
        assert check_from(client, partner, "GUESS1234", STRANGER)[0].status_code == 200

    response, html = check_from(client, partner, claimed.code_text, STRANGER)

    assert response.status_code == 429
    assert "Please wait a moment" in html
    assert "Valid code" not in html
    # Someone else holding the link does not lock out the partner's own till,
    response, html = check_from(client, partner, claimed.code_text, TILL)
    assert response.status_code == 200
    assert "Valid code" in html
    # and another partner's link has its own allowance.
    assert check_from(client, PartnerFactory(), "GUESS1234", STRANGER)[0].status_code == 200


def test_each_link_has_an_overall_ceiling(client, partner, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "partner_check": "5/m/ip,8/m/all"}
    for number in range(8):
        address = f"192.0.2.{number}"
        assert check_from(client, partner, "GUESS1234", address)[0].status_code == 200

    assert check_from(client, partner, "GUESS1234", TILL)[0].status_code == 429


def test_a_client_over_its_own_limit_does_not_use_up_the_ceiling(client, partner, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "partner_check": "2/m/ip,5/m/all"}
    for _ in range(20):
        check_from(client, partner, "GUESS1234", STRANGER)

    assert check_from(client, partner, "GUESS1234", TILL)[0].status_code == 200


def test_rotating_the_token_retires_the_old_link(client, partner):
    old = url(partner)

    services.partner_rotate_token(partner=partner)

    assert client.get(old).status_code == 404
    assert client.get(url(partner)).status_code == 200


def test_the_use_service_marks_a_claimed_code_and_only_checks_anything_else(partner, claimed):
    """What the till's "mark as used" does is one service call, tested without the page."""
    unclaimed = pool_codes(OfferFactory(partner=partner, method=Offer.Method.POOL), 1)[0]

    first, newly = services.partner_code_use(partner=partner, code=claimed.code_text.lower())
    again, newly_again = services.partner_code_use(partner=partner, code=claimed.code_text)
    other, marked_other = services.partner_code_use(partner=partner, code=unclaimed.code)
    unknown, marked_unknown = services.partner_code_use(partner=partner, code="NOPE-1234")

    assert newly and first.used_at is not None
    assert not newly_again and again.used_at == first.used_at
    assert not marked_other and other.found and not other.claimed and other.used_at is None
    assert not marked_unknown and not unknown.found
