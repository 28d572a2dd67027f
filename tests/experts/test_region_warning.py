"""Asking an expert to an event somewhere they don't go: warned before sending, and sent
only once the member ticks "ask anyway". One rule (`experts.selectors.travel_warning`)
decides, for the page's script and for the form alike."""

from html import unescape

import pytest
from django.urls import reverse

from experts.models import ExpertRequest
from experts.selectors import event_regions, travel_warning
from tests.browser import serious_violations, sign_in
from tests.experts.factories import ExpertFactory, region, request_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def helen():
    return ExpertFactory(name="Helen Hart", regions=[region("london"), region("online")])


def request_url(expert) -> str:
    return reverse("experts:request", kwargs={"slug": expert.slug})


def send(client, expert, **fields):
    return client.post(request_url(expert), request_data(**fields))


# --- The rule -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("goes_to", "event_in", "warned"),
    [
        (["london", "online"], "london", False),
        (["london", "online"], "online", False),
        (["london", "online"], "yorkshire-and-the-humber", True),
        (["london"], "online", True),
        (["anywhere-in-the-uk"], "scotland", False),
        (["anywhere-in-the-uk"], "online", True),
        ([], "scotland", False),  # an expert who names nowhere: nothing to warn about
        (["london"], None, False),  # the member didn't say where
    ],
)
def test_travel_warning(goes_to, event_in, warned):
    expert = ExpertFactory(regions=[region(slug) for slug in goes_to])

    warning = travel_warning(expert=expert, region=region(event_in) if event_in else None)

    assert bool(warning) is warned
    if warned:
        assert expert.name in warning
        assert region(event_in).name in warning or "online" in warning


def test_the_warning_says_where_they_do_go(helen):
    warning = travel_warning(expert=helen, region=region("scotland"))

    assert warning == "Helen Hart doesn't usually travel to Scotland: they go to London, Online."


def test_an_event_is_in_a_region_or_online_never_anywhere_in_the_uk():
    slugs = [r.slug for r in event_regions()]

    assert "anywhere-in-the-uk" not in slugs
    assert {"london", "scotland", "online"} <= set(slugs)


# --- The form -------------------------------------------------------------------------------


def test_the_form_asks_where_the_event_is_and_knows_where_the_expert_goes(client, member, helen):
    client.force_login(member)

    body = client.get(request_url(helen)).content.decode()

    assert 'name="region"' in body
    assert f'data-within-reach="{region("london").pk},{region("online").pk}"' in body
    assert "Travels to London, Online" in body
    assert "data-travel-warning" in body  # there for the script, hidden until needed


def test_outside_their_regions_the_request_is_held_back_with_the_warning(client, member, helen):
    client.force_login(member)

    response = send(client, helen, region=region("scotland").pk)

    body = unescape(response.content.decode())
    assert response.status_code == 200
    assert "Helen Hart doesn't usually travel to Scotland" in body
    assert "Tick this box to ask anyway" in body
    assert not ExpertRequest.objects.exists()


def test_ticking_ask_anyway_sends_it(client, member, helen):
    client.force_login(member)

    response = send(client, helen, region=region("scotland").pk, ask_anyway="on")

    assert response.status_code == 302
    assert ExpertRequest.objects.get().expert == helen


@pytest.mark.parametrize("where", ["london", "online", ""])
def test_within_their_regions_or_unsaid_it_goes_without_a_tick(client, member, helen, where):
    client.force_login(member)

    response = send(client, helen, region=region(where).pk if where else "")

    assert response.status_code == 302
    assert ExpertRequest.objects.count() == 1


# --- In the browser: the warning appears as soon as the region is picked --------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_picking_a_region_they_do_not_go_to_shows_the_warning_at_once(live_server, page):
    from tests.members.factories import UserFactory, make_active_member

    member = UserFactory()
    make_active_member(member)
    helen = ExpertFactory(name="Helen Hart", regions=[region("london")])
    sign_in(page, live_server, member)
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(live_server.url + request_url(helen))
    warning = page.locator("[data-travel-warning]")
    assert warning.is_hidden()

    page.get_by_label("Region").select_option(label="Scotland")
    warning.wait_for(state="visible")
    assert "doesn't usually go there" in warning.inner_text()
    assert serious_violations(page) == []

    page.get_by_label("Region").select_option(label="London")
    warning.wait_for(state="hidden")
