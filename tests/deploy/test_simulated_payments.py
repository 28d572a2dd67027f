"""With PAYMENTS_SIMULATED on (the offline stand-in), every page says that no card is charged."""

import pytest

from tests.browser import serious_violations

BANNER = "Payments on this site are simulated: no card is charged."
PAGES = ["/", "/events/", "/groups/", "/accounts/signup/", "/accounts/login/"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_every_page_shows_the_banner_while_payments_are_simulated(client, settings, path):
    settings.PAYMENTS_SIMULATED = True

    response = client.get(path)

    assert response.status_code == 200
    assert BANNER in response.text


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_no_banner_when_payments_are_real(client, settings, path):
    settings.PAYMENTS_SIMULATED = False

    response = client.get(path)

    assert response.status_code == 200
    assert BANNER not in response.text


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", [(390, 844), (1280, 900)], ids=["phone", "desktop"])
def test_the_banner_is_visible_and_accessible_on_a_phone_and_a_desktop(
    live_server, page, settings, size
):
    settings.PAYMENTS_SIMULATED = True
    page.set_viewport_size({"width": size[0], "height": size[1]})

    page.goto(f"{live_server.url}/")

    banner = page.get_by_role("complementary", name="Payments notice")
    assert banner.is_visible()
    assert banner.inner_text().strip() == BANNER
    box = banner.bounding_box()
    assert box["y"] == 0 and box["width"] == size[0]  # the top of the page, full width
    assert serious_violations(page) == []


@pytest.mark.django_db
@pytest.mark.parametrize("simulated", [True, False])
def test_the_admin_says_so_too(client, settings, simulated):
    from tests.members.factories import UserFactory
    from tests.staff import sign_in_with_mfa

    settings.PAYMENTS_SIMULATED = simulated
    sign_in_with_mfa(client, UserFactory(is_staff=True, is_superuser=True))

    response = client.get("/admin/")

    assert response.status_code == 200
    assert (BANNER in response.text) is simulated
