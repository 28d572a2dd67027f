"""The public pages: the list with its filters and "for you" order, and an event's page."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from events import services
from events.models import RSVP
from groups.models import GroupMembership
from tests.events.factories import (
    EventFactory,
    GroupFactory,
    active_member,
    in_days,
    interest,
    join_group,
)
from tests.experts.factories import ExpertFactory

pytestmark = pytest.mark.django_db

LIST = "/events/"


def titles(response) -> list[str]:
    return [e.title for e in response.context["events"]]


def test_the_list_shows_upcoming_published_events_soonest_first(client):
    later = EventFactory(title="Later", starts_at=in_days(9))
    sooner = EventFactory(title="Sooner", starts_at=in_days(2))
    EventFactory(title="Over", starts_at=in_days(-3))
    EventFactory(title="Draft", is_published=False)
    cancelled = EventFactory(title="Called off")
    services.event_cancel(event=cancelled)

    response = client.get(LIST)

    assert response.status_code == 200
    assert titles(response) == [sooner.title, later.title]


def test_an_event_under_way_is_still_listed(client):
    EventFactory(title="Now", starts_at=timezone.now() - timedelta(minutes=30))

    assert titles(client.get(LIST)) == ["Now"]


def test_filters_by_interest_group_town_and_date(client):
    walkers = GroupFactory(slug="bristol-walkers", city="Bristol")
    walk = EventFactory(
        title="Harbour walk",
        group=walkers,
        city="Bristol",
        starts_at=in_days(3),
        interests=[interest("walking-and-hiking")],
    )
    talk = EventFactory(
        title="Marketing talk",
        city="Leeds",
        starts_at=in_days(20),
        interests=[interest("marketing")],
    )

    assert titles(client.get(LIST, {"interest": "walking-and-hiking"})) == [walk.title]
    assert titles(client.get(LIST, {"group": "bristol-walkers"})) == [walk.title]
    assert titles(client.get(LIST, {"city": "Leeds"})) == [talk.title]
    from_date = (timezone.localdate() + timedelta(days=10)).isoformat()
    assert titles(client.get(LIST, {"date_from": from_date})) == [talk.title]
    to_date = (timezone.localdate() + timedelta(days=10)).isoformat()
    assert titles(client.get(LIST, {"date_to": to_date})) == [walk.title]
    # A bad value is ignored, not an error.
    assert client.get(LIST, {"interest": "nonsense", "date_from": "soon"}).status_code == 200


def test_for_you_puts_my_groups_first_then_shared_interests_then_soonest(client, member):
    mine = GroupFactory()
    join_group(mine, member)
    member.profile.interests.set([interest("marketing"), interest("sales"), interest("yoga")])
    soonest = EventFactory(title="Soonest, nothing shared", starts_at=in_days(1))
    one = EventFactory(title="One shared", starts_at=in_days(2), interests=[interest("yoga")])
    two = EventFactory(
        title="Two shared",
        starts_at=in_days(3),
        interests=[interest("marketing"), interest("sales"), interest("cycling")],
    )
    group_event = EventFactory(title="My group's", group=mine, starts_at=in_days(9))
    client.force_login(member)

    response = client.get(LIST, {"order": "for-you"})

    assert titles(response) == [group_event.title, two.title, one.title, soonest.title]
    assert titles(client.get(LIST)) == [soonest.title, one.title, two.title, group_event.title]


def test_the_list_shows_places_left_full_and_my_own_reply(client, member):
    EventFactory(title="Roomy", capacity=10)
    full = EventFactory(title="Packed", capacity=1)
    services.rsvp_respond(event=full, member=member, response="yes")
    client.force_login(member)

    html = client.get(LIST).content.decode()

    assert "10 places left" in html
    assert "Full: waitlist open" in html
    assert "You're going" in html


def list_queries(client, django_assert_num_queries, count: int, expected: int):
    group = GroupFactory()
    expert = ExpertFactory()
    for n in range(count):
        EventFactory(
            group=group if n % 2 else None,
            interests=[interest("marketing"), interest("sales")],
            speakers=[expert],
        )
    with django_assert_num_queries(expected):
        response = client.get(LIST, {"order": "for-you"})
    assert response.status_code == 200


@pytest.mark.parametrize("count", [5, 50])
def test_the_list_costs_the_same_queries_at_5_and_50_events_anonymous(
    client, django_assert_num_queries, count
):
    # cities (cached after this), interests (filter form), count, events, interests, speakers;
    # no groups: a visitor who names no group gets no group menu
    list_queries(client, django_assert_num_queries, count, 6)


@pytest.mark.parametrize("count", [5, 50])
def test_the_list_costs_the_same_queries_at_5_and_50_events_for_a_member(
    client, member, django_assert_num_queries, count
):
    client.force_login(member)
    # + session, user (with membership and profile), their groups for the menu, can_organise
    list_queries(client, django_assert_num_queries, count, 10)


def group_options(response) -> list[str]:
    return [label for _slug, label in response.context["form"].fields["group"].choices][1:]


def test_the_group_menu_offers_a_members_own_groups_not_every_group(client, member):
    mine = GroupFactory(name="My walkers")
    join_group(mine, member)
    hidden = GroupFactory(name="My unpublished group", is_published=False)
    join_group(hidden, member)
    other = GroupFactory(name="Someone else's group")
    EventFactory(group=mine)
    EventFactory(group=other)
    client.force_login(member)

    response = client.get(LIST)

    assert group_options(response) == ["My walkers"]
    assert 'name="group"' in response.content.decode()


def test_a_visitor_gets_no_group_menu_unless_the_address_names_a_group(client):
    walkers = GroupFactory(name="Bristol walkers", slug="bristol-walkers")
    walk = EventFactory(title="Harbour walk", group=walkers)
    EventFactory(title="Another group's talk", group=GroupFactory())

    plain = client.get(LIST)
    assert group_options(plain) == []
    assert 'name="group"' not in plain.content.decode()

    # As the group page's "See all" link does: the group is filtered and shown selected.
    chosen = client.get(LIST, {"group": "bristol-walkers"})
    assert titles(chosen) == [walk.title]
    assert group_options(chosen) == ["Bristol walkers"]
    assert re.search(r'<option value="bristol-walkers" selected>', chosen.content.decode())
    # An unknown or unpublished group is ignored, not an error.
    assert len(titles(client.get(LIST, {"group": "no-such-group"}))) == 2


def test_the_town_menu_is_cached_for_everyone(client, django_assert_num_queries):
    from events.selectors import event_cities

    EventFactory(city="Leeds")
    assert event_cities() == ["Leeds"]
    EventFactory(city="York")

    with django_assert_num_queries(0):
        assert event_cities() == ["Leeds"]  # until the cache entry expires


# --- An event's page --------------------------------------------------------------------


def test_the_page_shows_what_when_where_who_and_places_left(client):
    group = GroupFactory(name="Leeds Marketing Breakfast")
    expert = ExpertFactory(name="Dr Helen Okafor")
    event = EventFactory(
        title="What worked this month",
        group=group,
        capacity=20,
        starts_at=timezone.make_aware(timezone.datetime(2031, 7, 1, 8, 30)),
        ends_at=timezone.make_aware(timezone.datetime(2031, 7, 1, 10, 0)),
        venue_name="The Corn Exchange Café",
        venue_address="Call Lane, Leeds LS1 7BR",
        speakers=[expert],
        online_url="https://meet.example.com/secret-room",
    )

    html = client.get(event.get_absolute_url()).content.decode()

    assert "What worked this month" in html
    assert "Tuesday 1 July 2031, 08:30" in html and "10:00" in html
    assert (
        "https://www.openstreetmap.org/search?query=The+Corn+Exchange+Caf%C3%A9%2C+Call+Lane"
        "%2C+Leeds+LS1+7BR" in html
    )
    assert "Leeds Marketing Breakfast" in html
    assert "Dr Helen Okafor" in html
    assert "20 places left" in html
    assert "secret-room" not in html  # only confirmed attendees see the online link
    assert "Sign in to reply" in html


def test_times_show_in_the_site_time_zone(client):
    from datetime import UTC, datetime

    # 17:30 UTC in July is 18:30 in London.
    starts = datetime(2031, 7, 1, 17, 30, tzinfo=UTC)
    event = EventFactory(starts_at=starts, ends_at=starts + timedelta(hours=1))

    assert "18:30" in client.get(event.get_absolute_url()).content.decode()


def test_the_online_link_shows_to_confirmed_attendees_only(client, make_member):
    event = EventFactory(capacity=1, online_url="https://meet.example.com/secret-room")
    going, waiting = make_member(), make_member()
    services.rsvp_respond(event=event, member=going, response="yes")
    services.rsvp_respond(event=event, member=waiting, response="yes")

    client.force_login(waiting)
    assert "secret-room" not in client.get(event.get_absolute_url()).content.decode()
    client.force_login(going)
    assert "secret-room" in client.get(event.get_absolute_url()).content.decode()


def test_a_draft_is_404_for_members_and_visible_to_its_organisers(client, member, group):
    from tests.events.factories import organiser_of

    draft = EventFactory(group=group, is_published=False)
    client.force_login(member)
    assert client.get(draft.get_absolute_url()).status_code == 404
    client.force_login(organiser_of(group))
    assert "Draft" in client.get(draft.get_absolute_url()).content.decode()


def test_no_email_address_appears_on_event_pages(client, member, organiser, group):
    event = EventFactory(group=group, capacity=5)
    services.rsvp_respond(event=event, member=member, response="yes")
    client.force_login(organiser)

    for url in (
        event.get_absolute_url(),
        reverse("events:attendees", kwargs={"slug": event.slug}),
        reverse("events:checkin", kwargs={"slug": event.slug}),
        reverse("events:attendees_csv", kwargs={"slug": event.slug}),
    ):
        body = client.get(url).content.decode()
        assert member.email not in body and organiser.email not in body
        assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", body.replace("@example.com/", ""))


@pytest.mark.parametrize("count", [5, 50])
def test_an_event_page_costs_the_same_queries_at_5_and_50_replies(
    client, member, django_assert_num_queries, count, group
):
    event = EventFactory(group=group, capacity=count + 10, speakers=[ExpertFactory()])
    event.interests.set([interest("marketing"), interest("sales")])
    for _ in range(count):
        other = active_member()
        GroupMembership.objects.create(group=group, user=other, role="organiser")
        services.rsvp_respond(event=event, member=other, response="yes")
    services.rsvp_respond(event=event, member=member, response="yes")
    client.force_login(member)

    # event, interests, speakers, session, user (with membership and profile), reply,
    # can_manage, organisers, who's going
    with django_assert_num_queries(9):
        response = client.get(event.get_absolute_url())
    assert "You're going" in response.content.decode()


@pytest.mark.parametrize("count", [5, 50])
def test_the_attendee_list_costs_the_same_queries_at_5_and_50(
    client, organiser, group, django_assert_num_queries, count
):
    event = EventFactory(group=group, capacity=count)
    for _ in range(count + 3):
        services.rsvp_respond(event=event, member=active_member(), response="yes")
    client.force_login(organiser)

    # session, user (with membership and profile), event, interests, speakers, can_manage,
    # going, waiting, counts
    with django_assert_num_queries(9):
        response = client.get(reverse("events:attendees", kwargs={"slug": event.slug}))
    assert len(response.context["going"]) == count
    assert [r.position for r in response.context["waiting"]] == [1, 2, 3]


def test_expert_pages_show_their_appearances(client):
    expert = ExpertFactory(name="Dr Helen Okafor")
    EventFactory(title="Leading quietly", starts_at=in_days(10), speakers=[expert])
    EventFactory(title="Last year talk", starts_at=in_days(-200), speakers=[expert])
    EventFactory(title="Unannounced", is_published=False, speakers=[expert])

    html = client.get(expert.get_absolute_url()).content.decode()

    assert "Leading quietly" in html
    assert "Last year talk" in html
    assert "Unannounced" not in html
    assert html.index("Leading quietly") < html.index("Last year talk")


def test_home_page_and_group_page_helpers(group):
    from events.selectors import group_upcoming_events, upcoming_events

    first = EventFactory(group=group, starts_at=in_days(1))
    EventFactory(starts_at=in_days(2))
    EventFactory(starts_at=in_days(3))
    EventFactory(starts_at=in_days(4))

    assert len(upcoming_events(limit=3)) == 3
    assert group_upcoming_events(group) == [first]


def test_a_members_own_page_lists_their_events_and_history_privately(client, member):
    upcoming = EventFactory(title="Next week walk", capacity=1)
    full = EventFactory(title="Packed talk", capacity=1)
    services.rsvp_respond(
        event=full,
        member=__import__("tests.events.factories", fromlist=["x"]).active_member(),
        response="yes",
    )
    services.rsvp_respond(event=upcoming, member=member, response="yes")
    services.rsvp_respond(event=full, member=member, response="yes")
    past = EventFactory(title="Spring breakfast", starts_at=in_days(-30))
    RSVP.objects.create(event=past, member=member, status="confirmed", attended=True)
    client.force_login(member)

    html = client.get(reverse("events:mine")).content.decode()

    assert "Next week walk" in html and "You're going" in html
    assert "Packed talk" in html and "Waitlist: number 1" in html
    assert "Spring breakfast" in html and "checked in" in html
    client.logout()
    assert client.get(reverse("events:mine")).status_code == 302


def test_organisers_find_their_drafts_on_their_own_page(client, group, organiser):
    EventFactory(title="Autumn draft", group=group, is_published=False)
    EventFactory(title="Another group's breakfast")
    client.force_login(organiser)

    html = client.get(reverse("events:mine")).content.decode()

    assert "Events you organise" in html and "Autumn draft" in html
    assert "Another group" not in html


def test_the_home_and_group_page_includes_render(group):
    from django.template.loader import render_to_string

    from events.selectors import group_upcoming_events, upcoming_events

    EventFactory(title="Harbour walk", group=group, capacity=5)

    home = render_to_string(
        "events/includes/_upcoming_events.html", {"upcoming_events": upcoming_events(limit=3)}
    )
    group_page = render_to_string(
        "events/includes/_group_events.html",
        {"group": group, "group_events": group_upcoming_events(group, limit=5)},
    )
    empty = render_to_string("events/includes/_group_events.html", {"group_events": []})

    assert "Harbour walk" in home and "See all events" in home
    assert "Harbour walk" in group_page and "5 places left" in group_page
    assert "No events are planned yet." in empty
    assert render_to_string("events/includes/_upcoming_events.html", {}).strip() == ""


@pytest.mark.parametrize("count", [5, 50])
def test_an_expert_page_with_appearances_costs_one_extra_query(
    client, django_assert_num_queries, count
):
    expert = ExpertFactory()
    for n in range(count):
        starts = timezone.now() + timedelta(days=n - count // 2, hours=2)
        EventFactory(starts_at=starts, speakers=[expert])

    # expert, interests, regions, credentials, appearances (one UNION query)
    with django_assert_num_queries(5):
        response = client.get(expert.get_absolute_url())
    upcoming, past = response.context["upcoming"], response.context["past"]
    assert len(upcoming) == min(10, count - count // 2) and len(past) == min(10, count // 2)
    assert [e.starts_at for e in upcoming] == sorted(e.starts_at for e in upcoming)
    assert [e.starts_at for e in past] == sorted((e.starts_at for e in past), reverse=True)


def test_the_group_page_section_renders_a_groups_next_events(group, rf):
    from groups.selectors import group_page_sections

    EventFactory(title="Harbour walk", group=group, starts_at=in_days(2))
    EventFactory(title="Elsewhere", starts_at=in_days(2))

    (section,) = group_page_sections(group=group, request=rf.get("/"))
    html = section.html

    assert "Harbour walk" in html and "Elsewhere" not in html
