"""The pages' queries use indexes: no sequential scan of a big table, on PostgreSQL's own plans.

A few thousand rows go into the tables the pages read (most events in the past, as on a site
that has run for a while), the planner gets fresh statistics, and every SELECT that each
budgeted page runs is EXPLAINed. A sequential scan of a big table fails the test, naming the
page, the table and the query; so does a page that stops using the index it was given.
Dropping one of the indexes in the models' Meta makes this fail (try it).
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from billing.models import Membership
from discounts.models import Redemption
from events.models import RSVP, CalendarFeed, Event
from events.selectors import EventFilters, event_list
from groups.models import Group, GroupMembership, Post, Thread
from mail.models import ConsentEvent
from members.models import IntroRequest, Profile, User
from tests.discounts.factories import OfferFactory
from tests.members.factories import UserFactory, interests, make_active_member

pytestmark = pytest.mark.django_db

PEOPLE = 15000
GROUPS = 1500
EVENTS = 20000
UPCOMING_SHARE = 0.1
RSVPS = 30000

# The tables that grow with members and time. Groups are not among them: 2,000 at the
# benchmark's scale, and /groups/ counts and lists the published ones, most of the table.
BIG_TABLES = {
    Event._meta.db_table,
    RSVP._meta.db_table,
    GroupMembership._meta.db_table,
    Thread._meta.db_table,
    Post._meta.db_table,
    Profile._meta.db_table,
    User._meta.db_table,
    Membership._meta.db_table,
    Redemption._meta.db_table,
    ConsentEvent._meta.db_table,
    IntroRequest._meta.db_table,
}

# Pages whose one job is to rank every row: they read the whole table by design.
WHOLE_TABLE_BY_DESIGN = {
    # The directory orders every listed member by the interests they share with the viewer,
    # so it counts them all (see the report in tests/perf for what would avoid it).
    "directory": {
        Profile._meta.db_table,
        User._meta.db_table,
        Membership._meta.db_table,
        "members_profile_interests",
    },
}


def _people(rnd: random.Random) -> list[int]:
    now = timezone.now()
    users = User.objects.bulk_create(
        User(email=f"bulk{n}@example.org", password="!", date_joined=now) for n in range(PEOPLE)
    )
    Profile.objects.bulk_create(
        # Listing is an opt-in: some members take it, most don't.
        Profile(
            user=user,
            display_name=f"Person {n}",
            handle=f"bulk-{n}",
            city="Leeds",
            in_directory=rnd.random() < 0.4,
        )
        for n, user in enumerate(users)
    )
    Membership.objects.bulk_create(
        Membership(user=user, status=Membership.Status.ACTIVE, current_period_end=now)
        for user in users
        if rnd.random() < 0.9
    )
    links = Profile.interests.through
    topics = [i.pk for i in interests(30)]
    links.objects.bulk_create(
        links(profile_id=profile_id, interest_id=interest_id)
        for profile_id in Profile.objects.filter(user__in=users).values_list("pk", flat=True)
        for interest_id in rnd.sample(topics, 2)
    )
    return [user.pk for user in users]


def _groups(rnd: random.Random, people: list[int], viewer: User) -> Group:
    groups = Group.objects.bulk_create(
        Group(
            name=f"Bulk group {n:05d}",
            slug=f"bulk-group-{n}",
            summary="People meeting",
            city=rnd.choice(["Leeds", "York", "Hull"]),
            is_published=n % 20 != 0,
        )
        for n in range(GROUPS)
    )
    big = groups[1]
    rows = {(big.pk, person) for person in people[:400]}
    rows |= {(rnd.choice(groups).pk, rnd.choice(people)) for _ in range(8000)}
    GroupMembership.objects.bulk_create(
        GroupMembership(
            group_id=group_id,
            user_id=user_id,
            role=GroupMembership.Role.ORGANISER if user_id % 10 == 0 else "member",
        )
        for group_id, user_id in rows
    )
    GroupMembership.objects.create(group=big, user=viewer)
    threads = Thread.objects.bulk_create(
        Thread(
            group=big if n % 50 == 0 else rnd.choice(groups),
            author_id=rnd.choice(people),
            title=f"Thread {n}",
        )
        for n in range(3000)
    )
    Post.objects.bulk_create(
        Post(thread=thread, author_id=thread.author_id, body="Hello")
        for thread in threads
        for _ in range(15)
    )
    return big


def _events(rnd: random.Random, people: list[int], big: Group, viewer: User) -> Event:
    now = timezone.now()
    groups = list(Group.objects.values_list("pk", flat=True))

    def starts(n: int):
        if n < EVENTS * UPCOMING_SHARE:
            return now + timedelta(days=1 + n % 60, hours=n % 7)
        return now - timedelta(days=1 + n % 900, hours=n % 7)

    events = Event.objects.bulk_create(
        Event(
            title=f"Bulk event {n}",
            slug=f"bulk-event-{n}",
            description="Coffee",
            group_id=big.pk if n % 50 == 0 else rnd.choice(groups),
            starts_at=starts(n),
            ends_at=starts(n) + timedelta(hours=2),
            venue_name="Café",
            venue_address="1 Street",
            city=rnd.choice(["Leeds", "York", "Hull"]),
            capacity=500,
            is_published=n % 30 != 0,
        )
        for n in range(EVENTS)
    )
    pairs = {(rnd.choice(events).pk, rnd.choice(people)) for _ in range(RSVPS)}
    pairs |= {(event.pk, viewer.pk) for event in rnd.sample(events, 60)}
    RSVP.objects.bulk_create(
        RSVP(event_id=event_id, member_id=member_id, status=RSVP.Status.CONFIRMED)
        for event_id, member_id in pairs
    )
    return events[1]


def _own_rows(rnd: random.Random, people: list[int], viewer: User) -> None:
    offers = [OfferFactory() for _ in range(20)]
    Redemption.objects.bulk_create(
        Redemption(offer=offer, member_id=person, code_text=f"C{n}")
        for n, (offer, person) in enumerate(
            {(rnd.choice(offers), rnd.choice(people)) for _ in range(6000)}
        )
    )
    Redemption.objects.bulk_create(
        Redemption(offer=offer, member=viewer, code_text=f"MINE{n}")
        for n, offer in enumerate(offers[:5])
    )
    ConsentEvent.objects.bulk_create(
        ConsentEvent(
            user_id=rnd.choice([*people, viewer.pk]),
            stream="events",
            action=ConsentEvent.Action.GRANTED,
            source=ConsentEvent.Source.SETTINGS,
            wording_version="v1",
        )
        for _ in range(6000)
    )
    IntroRequest.objects.bulk_create(
        IntroRequest(sender_id=a, recipient_id=b, note="Hi", status="declined")
        for a, b in {(rnd.choice(people), rnd.choice([*people, viewer.pk])) for _ in range(6000)}
        if a != b
    )


@pytest.fixture
def site():
    rnd = random.Random(2026)
    viewer = UserFactory()
    make_active_member(viewer)
    viewer.profile.interests.set(interests(5))
    people = _people(rnd)
    big = _groups(rnd, people, viewer)
    event = _events(rnd, people, big, viewer)
    _own_rows(rnd, people, viewer)
    feed = CalendarFeed.objects.create(user=viewer)
    with connection.cursor() as cursor:
        # Statistics for the planner, as autovacuum would keep them on a live site.
        cursor.execute("ANALYZE")
    return {"viewer": viewer, "group": big, "event": event, "feed": feed}


def _plan_nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


def _seq_scans(sql: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0][0]["Plan"]
    return {
        node["Relation Name"]
        for node in _plan_nodes(plan)
        if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in BIG_TABLES
    }


def _pages(site) -> dict[str, tuple[str, bool]]:
    return {
        "home": ("/", False),
        "events": (reverse("events:list"), True),
        "events for you": (reverse("events:list") + "?order=for-you", True),
        "event": (site["event"].get_absolute_url(), True),
        "groups": (reverse("groups:list"), True),
        "group": (site["group"].get_absolute_url(), True),
        "discounts": (reverse("discounts:list"), True),
        "directory": (reverse("members:directory"), True),
        "my events": (reverse("events:mine"), True),
        "calendar feed": (site["feed"].get_absolute_url(), False),
        "my intros": (reverse("members:intros"), True),
        "my codes": (reverse("discounts:mine"), True),
        "billing": (reverse("billing:detail"), True),
        "email settings": (reverse("mail:settings"), True),
    }


def _indexes_used(sql: str, params) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0][0]["Plan"]
    return {node["Index Name"] for node in _plan_nodes(plan) if "Index Name" in node}


def test_no_page_reads_a_big_table_and_the_lists_read_their_own_indexes(client, site):
    # One test, so the rows are made once (they take a while).
    found = []
    for name, (url, signed_in) in _pages(site).items():
        client.logout()
        if signed_in:
            client.force_login(site["viewer"])
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        allowed = WHOLE_TABLE_BY_DESIGN.get(name, set())
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            tables = _seq_scans(sql) - allowed
            if tables:
                found.append(f"{name}: {sorted(tables)}\n  {sql[:400]}")
    assert found == [], "\n".join(found)

    # The paginated lists walk the index made for them and stop after a page.
    listed_events = event_list(viewer=AnonymousUser(), filters=EventFilters())[:24]
    groups = Group.objects.published().order_by("name", "pk")[:24]
    members = GroupMembership.objects.filter(group=site["group"]).for_member_list()[:12]
    assert "event_listed_start" in _indexes_used(*listed_events.query.sql_with_params())
    assert "group_listed_name" in _indexes_used(*groups.query.sql_with_params())
    assert "group_member_list" in _indexes_used(*members.query.sql_with_params())
