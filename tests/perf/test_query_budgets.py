"""Query budgets: each page costs the same number of queries at 5 and at 50 rows, at most 12.

Every scenario builds a page and what it lists, warms the page once (caches that fill on a
first visit are not what this measures), counts the queries at 5 rows of each kind the page
shows (events, RSVPs, members, posts, offers...), adds 45 more of each, and counts again.
The count is pinned exactly, as Zulip pins its endpoints: a page that gains a query fails
here and says by how much, so the budget is raised on purpose or the query is removed.
zeal (config/test_settings.py) runs inside these requests too, so an N+1 fails them as well.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from billing.models import Membership
from discounts.models import Code, Redemption
from events.models import RSVP, CalendarFeed, Event, EventSpeaker
from experts.models import ExpertRequest
from groups.models import Group, GroupMembership, Post, Thread
from home.models import GroupPick
from mail.models import ConsentEvent
from members.models import IntroRequest, User
from tests.discounts.factories import OfferFactory, PartnerFactory
from tests.events.factories import EventFactory, GroupFactory, in_days
from tests.experts.factories import CredentialFactory, ExpertFactory, ExpertRequestFactory
from tests.members.factories import UserFactory, interests, make_active_member

pytestmark = pytest.mark.django_db

MAX_QUERIES = 12
FEW, MANY = 5, 50

# The measured counts. A signed-in page pays 2 before its view runs: the session, and the
# user with their membership and profile (members.backends loads them together).
BUDGETS = {
    "home": 10,
    "home as member": 11,  # the member home: one query per section (home.selectors)
    "events": 5,  # the town menu comes from the cache once warm; no group menu
    "events as member": 9,
    "event": 4,
    "event as member": 8,
    "groups": 5,
    "groups as member": 10,
    "group": 4,
    "group as member": 10,
    "discounts": 4,  # + the two sections counted, for the pages
    "discounts as member": 7,
    "directory": 6,  # the ranking is cached per viewer once warm (+1 when cold)
    "experts": 6,
    "expert": 5,
    "expert as member": 8,
    "healthz": 1,
    "my events": 6,
    "calendar feed": 2,
    "my expert requests": 4,
    "my intros": 3,
    "my codes": 3,
    "billing": 2,
    "email settings": 4,
    "checklist": 3,  # a newcomer's `/`: their progress, counted in one query
    "suggested groups": 6,
    "what's next": 4,  # after paying: the progress, and the groups picked on the way in
}

_seq = itertools.count()


def _n() -> int:
    return next(_seq)


def member(**kwargs) -> User:
    user = UserFactory(**kwargs)
    make_active_member(user)
    return user


@dataclass
class World:
    """What a scenario made: the viewer, the thing the page is about, and the URL."""

    viewer: User | None = None
    target: object = None
    url: str = ""
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    setup: Callable[[World], None]
    grow: Callable[[World, int], object]  # add this many more of each kind of row
    viewer: bool = False


# --- How each page's rows are made --------------------------------------------------------


def _events(world: World, n: int, **kwargs) -> list:
    topics = interests(3)
    speaker = world.extra.setdefault("speaker", ExpertFactory())
    return [
        EventFactory(interests=topics, speakers=[speaker], capacity=100, **kwargs) for _ in range(n)
    ]


def _offers(world: World, n: int) -> list:
    partner = world.extra.setdefault("partner", PartnerFactory())
    topics = interests(2)
    return [OfferFactory(partner=partner, interests=topics, featured=True) for _ in range(n)]


def _experts(world: World, n: int) -> None:
    for _ in range(n):
        ExpertFactory(is_featured=True, interests=interests(2))


def _groups(world: World, n: int) -> None:
    topics = interests(3)
    for _ in range(n):
        group = GroupFactory(interests=topics)
        GroupMembership.objects.create(group=group, user=UserFactory())
        if world.viewer is not None and _n() % 2:
            GroupMembership.objects.create(group=group, user=world.viewer)


def _public_setup(world: World) -> None:
    if world.viewer is not None:
        world.viewer.profile.interests.set(interests(5))


def _home_grow(world: World, n: int) -> None:
    _offers(world, n)
    _experts(world, n)
    _groups(world, n)
    _events(world, n)


def _member_home_grow(world: World, n: int) -> None:
    """What the member home lists besides the public rows: the viewer's events and waitlists,
    their groups' conversations, introductions waiting for them and their expert requests."""
    _home_grow(world, n)
    _my_events_grow(world, n)
    _intros_grow(world, n)
    _requests_grow(world, n)
    for group_id in GroupMembership.objects.filter(user=world.viewer).values_list(
        "group_id", flat=True
    ):
        Thread.objects.get_or_create(group_id=group_id, defaults={"title": f"Thread {_n()}"})


def _member_home_setup(world: World) -> None:
    _public_setup(world)
    _my_events_setup(world)
    world.url = reverse("home")


def _event_setup(world: World) -> None:
    group = GroupFactory(interests=interests(2))
    event = EventFactory(group=group, capacity=1000, interests=interests(3))
    world.target = event
    world.url = event.get_absolute_url()
    if world.viewer is not None:
        GroupMembership.objects.create(group=group, user=world.viewer)
        RSVP.objects.create(event=event, member=world.viewer, status=RSVP.Status.CONFIRMED)


def _event_grow(world: World, n: int) -> None:
    event = world.target
    assert isinstance(event, Event) and event.group is not None
    for _ in range(n):
        person = member()
        GroupMembership.objects.create(
            group=event.group, user=person, role=GroupMembership.Role.ORGANISER
        )
        RSVP.objects.create(event=event, member=person, status=RSVP.Status.CONFIRMED)
        EventSpeaker.objects.create(event=event, expert=ExpertFactory(), position=_n())


def _group_setup(world: World) -> None:
    group = GroupFactory(interests=interests(3))
    world.target = group
    world.url = group.get_absolute_url()
    if world.viewer is not None:
        GroupMembership.objects.create(group=group, user=world.viewer)


def _group_grow(world: World, n: int) -> None:
    group = world.target
    assert isinstance(group, Group)
    topics = interests(4)
    for index in range(n):
        person = member()
        person.profile.interests.set(topics)
        role = GroupMembership.Role.ORGANISER if index % 3 == 0 else GroupMembership.Role.MEMBER
        GroupMembership.objects.create(group=group, user=person, role=role)
        thread = Thread.objects.create(group=group, author=person, title=f"Thread {_n()}")
        Post.objects.bulk_create(
            Post(thread=thread, author=person, body=f"Post {k}") for k in range(2)
        )
    _events(world, n, group=group)


def _discounts_grow(world: World, n: int) -> None:
    offers = _offers(world, n)
    if world.viewer is not None:
        for offer in offers:
            Redemption.objects.create(offer=offer, member=world.viewer, code_text=f"C{_n()}")


def _directory_setup(world: World) -> None:
    assert world.viewer is not None
    world.viewer.profile.interests.set(interests(5))
    world.url = reverse("members:directory")


def _directory_grow(world: World, n: int) -> None:
    topics = interests(6)
    for _ in range(n):
        member().profile.interests.set(topics)


def _expert_setup(world: World) -> None:
    expert = ExpertFactory(interests=interests(3))
    world.target = expert
    world.url = expert.get_absolute_url()
    if world.viewer is not None:
        ExpertRequestFactory(member=world.viewer, expert=expert)


def _expert_grow(world: World, n: int) -> None:
    expert = world.target
    for _ in range(n):
        CredentialFactory(expert=expert)
    world.extra["speaker"] = expert
    _events(world, n)
    _events(world, n, starts_at=in_days(-20))


def _my_events_setup(world: World) -> None:
    assert world.viewer is not None
    world.url = reverse("events:mine")
    group = GroupFactory()
    world.extra["group"] = group
    GroupMembership.objects.create(
        group=group, user=world.viewer, role=GroupMembership.Role.ORGANISER
    )


def _my_events_grow(world: World, n: int) -> None:
    viewer = world.viewer
    now = timezone.now()
    going = _events(world, n)
    past = _events(world, n, starts_at=in_days(-10))
    full = _events(world, n)
    rows = [RSVP(event=e, member=viewer, status=RSVP.Status.CONFIRMED) for e in going]
    rows += [
        RSVP(event=e, member=viewer, status=RSVP.Status.CONFIRMED, attended=True) for e in past
    ]
    someone = member()
    for event in full:
        rows.append(
            RSVP(
                event=event,
                member=someone,
                status=RSVP.Status.WAITLISTED,
                waitlist_ticket=1,
                waitlisted_at=now,
            )
        )
        rows.append(
            RSVP(
                event=event,
                member=viewer,
                status=RSVP.Status.WAITLISTED,
                waitlist_ticket=2,
                waitlisted_at=now,
            )
        )
    RSVP.objects.bulk_create(rows)
    _events(world, n, group=world.extra["group"])
    _events(world, n, group=world.extra["group"], is_published=False)


def _feed_setup(world: World) -> None:
    assert world.viewer is not None
    feed = CalendarFeed.objects.create(user=world.viewer)
    world.url = feed.get_absolute_url()


def _feed_grow(world: World, n: int) -> None:
    RSVP.objects.bulk_create(
        RSVP(event=event, member=world.viewer, status=RSVP.Status.CONFIRMED)
        for event in _events(world, n)
    )


def _requests_grow(world: World, n: int) -> None:
    for _ in range(n):
        ExpertRequestFactory(member=world.viewer, status=ExpertRequest.Status.IN_DISCUSSION)


def _intros_grow(world: World, n: int) -> None:
    assert world.viewer is not None
    for _ in range(n):
        IntroRequest.objects.create(sender=member(), recipient=world.viewer, note="Hello there")
        IntroRequest.objects.create(sender=world.viewer, recipient=member(), note="Hi")


def _codes_grow(world: World, n: int) -> None:
    for offer in _offers(world, n):
        code = Code.objects.create(offer=offer, code=f"POOL{_n()}", assigned_at=timezone.now())
        Redemption.objects.create(offer=offer, member=world.viewer, code=code, code_text=code.code)


def _consent_grow(world: World, n: int) -> None:
    ConsentEvent.objects.bulk_create(
        ConsentEvent(
            user=world.viewer,
            stream="events",
            action=ConsentEvent.Action.GRANTED,
            source=ConsentEvent.Source.SETTINGS,
            wording_version="v1",
            created_at=timezone.now() - timedelta(minutes=_n()),
        )
        for _ in range(n)
    )


def _url(name: str) -> Callable[[World], None]:
    def setup(world: World) -> None:
        _public_setup(world)
        world.url = reverse(name)

    return setup


def _everything_listed_elsewhere(world: World, n: int) -> None:
    """For pages that list nothing: rows they must not be reading anyway."""
    _events(world, n)
    if world.viewer is not None:
        _consent_grow(world, n)


def _newcomer(name: str) -> Callable[[World], None]:
    """A signed-in newcomer who hasn't paid: the onboarding pages' viewer."""

    def setup(world: World) -> None:
        assert world.viewer is not None
        Membership.objects.filter(user=world.viewer).delete()
        _public_setup(world)
        world.url = reverse(name)

    return setup


def _onboarding_grow(world: World, n: int) -> None:
    """What the checklist, the suggested groups and "what's next" read: groups sharing the
    viewer's interests (some joined), the groups they picked on the way in, and events."""
    assert world.viewer is not None
    _groups(world, n)
    topics = interests(3)
    GroupPick.objects.bulk_create(
        GroupPick(user=world.viewer, group=GroupFactory(interests=topics)) for _ in range(n)
    )
    _events(world, n)


SCENARIOS: dict[str, Scenario] = {
    "home": Scenario(_url("home"), _home_grow),
    "home as member": Scenario(_member_home_setup, _member_home_grow, viewer=True),
    "events": Scenario(_url("events:list"), lambda w, n: _events(w, n)),
    "events as member": Scenario(_url("events:list"), lambda w, n: _events(w, n), viewer=True),
    "event": Scenario(_event_setup, _event_grow),
    "event as member": Scenario(_event_setup, _event_grow, viewer=True),
    "groups": Scenario(_url("groups:list"), _groups),
    "groups as member": Scenario(_url("groups:list"), _groups, viewer=True),
    "group": Scenario(_group_setup, _group_grow),
    "group as member": Scenario(_group_setup, _group_grow, viewer=True),
    "discounts": Scenario(_url("discounts:list"), _discounts_grow),
    "discounts as member": Scenario(_url("discounts:list"), _discounts_grow, viewer=True),
    "directory": Scenario(_directory_setup, _directory_grow, viewer=True),
    "experts": Scenario(_url("experts:list"), _experts),
    "expert": Scenario(_expert_setup, _expert_grow),
    "expert as member": Scenario(_expert_setup, _expert_grow, viewer=True),
    "healthz": Scenario(_url("healthz"), _everything_listed_elsewhere),
    "my events": Scenario(_my_events_setup, _my_events_grow, viewer=True),
    "calendar feed": Scenario(_feed_setup, _feed_grow, viewer=True),
    "my expert requests": Scenario(_url("experts:requests"), _requests_grow, viewer=True),
    "my intros": Scenario(_url("members:intros"), _intros_grow, viewer=True),
    "my codes": Scenario(_url("discounts:mine"), _codes_grow, viewer=True),
    "billing": Scenario(_url("billing:detail"), _everything_listed_elsewhere, viewer=True),
    "email settings": Scenario(_url("mail:settings"), _consent_grow, viewer=True),
    "checklist": Scenario(_newcomer("home"), _onboarding_grow, viewer=True),
    "suggested groups": Scenario(_newcomer("home:groups"), _onboarding_grow, viewer=True),
    "what's next": Scenario(_url("billing:join_success"), _onboarding_grow, viewer=True),
}


def _queries(client, url: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured), [query["sql"] for query in captured.captured_queries]


def test_every_budget_is_within_the_goal():
    assert set(BUDGETS) == set(SCENARIOS)
    assert max(BUDGETS.values()) <= MAX_QUERIES


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_the_page_costs_the_same_queries_at_5_and_at_50_rows(client, name):
    scenario = SCENARIOS[name]
    world = World(viewer=member() if scenario.viewer else None)
    scenario.setup(world)
    if world.viewer is not None:
        client.force_login(world.viewer)
    scenario.grow(world, FEW)
    client.get(world.url)  # warm: the content-type and site caches fill on a first visit

    few, few_sql = _queries(client, world.url)
    scenario.grow(world, MANY - FEW)
    many, many_sql = _queries(client, world.url)

    assert many == few, f"{name}: {few} queries at {FEW} rows, {many} at {MANY}:\n" + "\n".join(
        many_sql
    )
    assert few == BUDGETS[name], f"{name}: {few} queries, budget {BUDGETS[name]}:\n" + "\n".join(
        few_sql
    )


def test_a_lapsed_members_billing_page_costs_the_same(client):
    """Billing reads the membership row; a lapsed one must not send it looking elsewhere."""
    viewer = member()
    Membership.objects.filter(user=viewer).update(status=Membership.Status.CANCELED)
    client.force_login(viewer)
    client.get(reverse("billing:detail"))

    count, sql = _queries(client, reverse("billing:detail"))

    assert count == BUDGETS["billing"], "\n".join(sql)
