"""Staff curation: partners and logos, counts, CSV code pools in and counts out."""

import csv
import io
import time
from html import unescape

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from discounts import services
from discounts.admin import csv_safe
from discounts.models import Code, Offer, Partner
from tests.discounts.factories import OfferFactory, PartnerFactory, pool_codes
from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db
# Session, user, MFA checks, counts and the page of offers with their partners and counts.
ADMIN_LIST_QUERIES = 9


@pytest.fixture
def staff_client(client):
    """A staff member signed in with their second factor, as the admin requires."""
    staff = UserFactory(is_staff=True, is_superuser=True)
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)
    session = client.session
    session["account_authentication_methods"] = [{"method": "mfa", "at": time.time()}]
    session["account_authentication_methods_user"] = str(staff.pk)
    session.save()
    return client


@pytest.fixture
def pool_offer():
    return OfferFactory(method=Offer.Method.POOL, title="Print run discount")


def import_url(offer) -> str:
    return reverse("admin:discounts_offer_import_codes", args=[offer.pk])


def upload(client, offer, content: str | bytes):
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        import_url(offer),
        {"file": SimpleUploadedFile("codes.csv", data, content_type="text/csv")},
        follow=True,
    )


def text(response) -> str:
    return unescape(response.content.decode())


def image_bytes(fmt: str, size=(40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (15, 95, 92)).save(buffer, format=fmt)
    return buffer.getvalue()


# --- Who may ------------------------------------------------------------------------------


def test_members_who_are_not_staff_cannot_import_codes(client, member, pool_offer):
    client.force_login(member)

    response = client.post(import_url(pool_offer), {"file": SimpleUploadedFile("c.csv", b"AB12")})

    assert response.status_code == 302
    assert not Code.objects.exists()


def test_staff_see_offers_with_their_redemption_counts(staff_client, make_member):
    offer = OfferFactory(title="Counted offer", total_cap=10)
    for _ in range(3):
        services.offer_redeem(offer=offer, member=make_member())

    response = staff_client.get(reverse("admin:discounts_offer_changelist"))

    assert response.status_code == 200
    row = text(response).split("Counted offer</a>")[1].split("</tr>")[0]
    assert '<td class="field-redemptions">3</td>' in row


@pytest.mark.parametrize("rows", [5, 50])
def test_the_offer_list_in_the_admin_has_a_fixed_query_count(
    staff_client, django_assert_num_queries, rows
):
    for _ in range(rows):
        OfferFactory()

    with django_assert_num_queries(ADMIN_LIST_QUERIES):
        assert staff_client.get(reverse("admin:discounts_offer_changelist")).status_code == 200


# --- Importing a pool ---------------------------------------------------------------------


def test_staff_see_the_upload_form_with_the_pool_size(staff_client, pool_offer):
    pool_codes(pool_offer, 4)

    response = staff_client.get(import_url(pool_offer))

    assert response.status_code == 200
    assert "The pool has 4 unclaimed codes" in text(response)
    assert 'type="file"' in text(response)


def test_a_clean_file_is_imported(staff_client, pool_offer):
    response = upload(staff_client, pool_offer, "code\nPRINT-0001\nPRINT-0002\r\nprint_0003\n\n")

    assert "Imported 3 codes" in text(response)
    assert sorted(Code.objects.filter(offer=pool_offer).values_list("code", flat=True)) == [
        "PRINT-0001",
        "PRINT-0002",
        "print_0003",
    ]


def test_a_file_with_bad_rows_imports_nothing_and_lists_every_problem(staff_client, pool_offer):
    Code.objects.create(offer=pool_offer, code="EXISTING1")
    content = "\n".join(
        [
            "code",  # 1: header
            "GOOD0001",  # 2
            "",  # 3: empty
            "X" * 65,  # 4: too long
            "BAD CODE!",  # 5: characters
            "good0001",  # 6: repeats line 2
            "existing1",  # 7: already in the pool
            "ONE,TWO",  # 8: two columns
            "GOOD0002",  # 9
        ]
    )

    response = upload(staff_client, pool_offer, content)

    html = text(response)
    assert "Nothing was imported: 6 problems to fix." in html
    for line, words in [
        (3, "empty row"),
        (4, "too long"),
        (5, "characters we can't accept"),
        (6, "repeats line 2"),
        (7, "already in this offer's pool"),
        (8, "more than one column"),
    ]:
        assert f"Line {line}: " in html
        assert words in html
    assert "Line 2:" not in html
    assert list(Code.objects.filter(offer=pool_offer).values_list("code", flat=True)) == [
        "EXISTING1"
    ]


def test_a_file_that_is_not_utf8_is_refused(staff_client, pool_offer):
    response = upload(staff_client, pool_offer, "CAFÉ0001\n".encode("latin-1"))

    assert "not UTF-8" in text(response)
    assert not Code.objects.exists()


def test_an_empty_file_is_refused(staff_client, pool_offer):
    response = upload(staff_client, pool_offer, "code\n")

    assert "no codes in it" in text(response)


def test_codes_cannot_be_imported_into_an_offer_without_a_pool(staff_client):
    offer = OfferFactory(method=Offer.Method.GENERATED)

    response = upload(staff_client, offer, "GOOD0001\n")

    assert "doesn't use a code pool" in text(response)
    assert not Code.objects.exists()


def test_the_import_action_opens_the_upload_page_for_one_offer(staff_client, pool_offer):
    response = staff_client.post(
        reverse("admin:discounts_offer_changelist"),
        {"action": "import_codes", "_selected_action": [pool_offer.pk]},
    )

    assert response["Location"] == import_url(pool_offer)


def test_imported_codes_are_handed_out_to_members(staff_client, pool_offer, member):
    upload(staff_client, pool_offer, "ONLY0001\n")

    redemption, _created = services.offer_redeem(offer=pool_offer, member=member)

    assert redemption.code_text == "ONLY0001"


# --- Exporting counts ---------------------------------------------------------------------


def test_counts_export_as_csv_without_personal_data(staff_client, pool_offer, make_member):
    pool_codes(pool_offer, 4)
    people = [make_member() for _ in range(3)]
    for person in people:
        services.offer_redeem(offer=pool_offer, member=person)
    Code.objects.filter(offer=pool_offer, member=people[0]).update(used_at=pool_offer.created_at)
    other = OfferFactory(title="=HYPERLINK(evil)")

    response = staff_client.post(
        reverse("admin:discounts_offer_changelist"),
        {"action": "export_counts_csv", "_selected_action": [pool_offer.pk, other.pk]},
    )

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    by_slug = {row["slug"]: row for row in rows}
    row = by_slug[pool_offer.slug]
    assert (row["redemptions"], row["codes_left"], row["codes_used"]) == ("3", "1", "1")
    assert row["partner"] == pool_offer.partner.name
    assert by_slug[other.slug]["offer"] == "'=HYPERLINK(evil)"
    body = response.content.decode()
    for person in people:
        assert person.email not in body
        assert person.profile.display_name not in body
    assert "@" not in body


def test_csv_cells_that_look_like_formulas_are_made_plain():
    assert csv_safe("=1+1") == "'=1+1"
    assert csv_safe("-5") == "'-5"
    assert csv_safe("Hive") == "Hive"


# --- Partners -----------------------------------------------------------------------------


def test_the_partner_page_in_the_admin_shows_the_secret_link(staff_client):
    partner = PartnerFactory()

    response = staff_client.get(reverse("admin:discounts_partner_change", args=[partner.pk]))

    assert partner.get_verification_url() in text(response)


def test_rotating_a_partners_link_from_the_admin(staff_client, client):
    partner = PartnerFactory()
    old_token = partner.verification_token

    staff_client.post(
        reverse("admin:discounts_partner_changelist"),
        {"action": "rotate_verification_link", "_selected_action": [partner.pk]},
    )

    partner.refresh_from_db()
    assert partner.verification_token != old_token
    assert len(partner.verification_token) >= 32


def partner_form(logo: SimpleUploadedFile) -> dict:
    return {"name": "Roast & Co", "slug": "roast-co", "website": "", "logo": logo}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("logo.gif", image_bytes("GIF"), "File extension"),
        ("logo.png", image_bytes("GIF"), "JPEG, PNG or WebP image (this file is GIF)"),
        (
            "logo.png",
            b"<svg xmlns='http://www.w3.org/2000/svg'></svg>",
            "JPEG, PNG or WebP image (this file is not an image we can read)",
        ),
        ("logo.png", image_bytes("PNG", (4100, 10)), "at most 4000 pixels"),
        ("logo.png", image_bytes("PNG") + b"\0" * (1024 * 1024), "the most we accept is 1.0"),
    ],
)
def test_a_bad_logo_is_refused_with_a_reason(staff_client, name, content, message):
    response = staff_client.post(
        reverse("admin:discounts_partner_add"), partner_form(SimpleUploadedFile(name, content))
    )

    assert response.status_code == 200
    assert message in text(response)
    assert not Partner.objects.exists()


def test_a_good_logo_is_kept(staff_client):
    response = staff_client.post(
        reverse("admin:discounts_partner_add"),
        partner_form(SimpleUploadedFile("logo.webp", image_bytes("WEBP"))),
    )

    assert response.status_code == 302
    partner = Partner.objects.get()
    assert partner.logo.name.startswith("discounts/partners/logo")


# --- Offers -------------------------------------------------------------------------------


def offer_form(partner, **overrides) -> dict:
    data = {
        "partner": partner.pk,
        "title": "Coffee for members",
        "slug": "coffee-for-members",
        "description": "Good coffee.",
        "terms": "Once each.",
        "valid_from": "2026-12-01",
        "valid_until": "2026-12-31",
        "method": "generated",
        "shared_code": "",
        "per_member_limit": "1",
        "total_cap": "",
    }
    return data | overrides


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"method": "shared"}, "A shared-code offer needs its code."),
        ({"shared_code": "NOTSHARED"}, "Only shared-code offers have a shared code."),
        ({"valid_until": "2026-11-30"}, "must end on or after the day it starts"),
        ({"slug": "mine"}, "That address is taken by another page."),
        ({"total_cap": "0"}, "A cap must be at least 1"),
        ({"per_member_limit": "0"}, "at least one code"),
    ],
)
def test_offers_that_make_no_sense_are_explained_in_the_admin(staff_client, overrides, message):
    partner = PartnerFactory()

    response = staff_client.post(
        reverse("admin:discounts_offer_add"), offer_form(partner, **overrides)
    )

    assert response.status_code == 200
    assert message in text(response)
    assert not Offer.objects.exists()


def test_a_cap_below_the_codes_already_given_is_refused(staff_client, make_member):
    offer = OfferFactory(total_cap=5)
    for _ in range(3):
        services.offer_redeem(offer=offer, member=make_member())
    form = offer_form(
        offer.partner,
        slug=offer.slug,
        valid_from=offer.valid_from.isoformat(),
        valid_until=offer.valid_until.isoformat(),
        total_cap="2",
    )

    response = staff_client.post(reverse("admin:discounts_offer_change", args=[offer.pk]), form)

    assert "The cap can't be lower than the 3 codes already given out." in text(response)
    offer.refresh_from_db()
    assert offer.total_cap == 5


def test_staff_can_add_an_offer(staff_client):
    partner = PartnerFactory()

    response = staff_client.post(reverse("admin:discounts_offer_add"), offer_form(partner))

    assert response.status_code == 302
    assert Offer.objects.get().slug == "coffee-for-members"


def test_saving_an_offer_in_the_admin_never_writes_back_a_stale_count(member):
    offer = OfferFactory(total_cap=5)
    stale = Offer.objects.get(pk=offer.pk)  # loaded by the admin form before a redemption
    services.offer_redeem(offer=offer, member=member)

    stale.title = "Renamed"
    services.offer_save(offer=stale)

    offer.refresh_from_db()
    assert (offer.title, offer.redeemed_count) == ("Renamed", 1)


@pytest.mark.parametrize(
    ("url", "field"),
    [("admin:discounts_offer_add", "partner"), ("admin:events_event_add", "group")],
)
@pytest.mark.parametrize("value", ["not-a-number", "\ue000\u2028", "1,2"])
def test_an_add_form_prefilled_from_the_address_ignores_a_key_that_cannot_be_one(
    staff_client, url, field, value
):
    """`?partner=…` prefills the add form; a value that can't be a row's key is dropped
    instead of the autocomplete widget failing with a server error."""
    partner = PartnerFactory()

    response = staff_client.get(reverse(url), {field: value})
    assert response.status_code == 200
    good = staff_client.get(reverse("admin:discounts_offer_add"), {"partner": partner.pk})
    assert good.status_code == 200
    assert f'value="{partner.pk}" selected' in good.content.decode()
