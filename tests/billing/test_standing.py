"""One answer to "is this a member?" (issue #17, item 2): the truth table.

Rows: every status a membership can have (past due on either side of the end of the grace
period; with and without a billing period, which is no evidence of payment), a visitor, an
account with no membership row, and staff with their second factor, paying or not.

1. `test_standing`: `standing_of`, `Membership.standing`, `member_is_active` and
   `Membership.objects.active()` (the SQL form the directory and digests filter by) give the
   row's answer.
2. `test_page`: every page that gates on membership, requested once by each row's person,
   shows the member content, the "rejoin" wording or the "join" wording, as the row's
   standing says; member-only pages send everyone else to /join/ with a message in the
   same words, and visitors to sign in.

The world (a group with a conversation, an event, an offer, an expert, a listed member and
one person per row) is built once for the module in a transaction rolled back at the end;
each cell's sign-in and request run in the test's own savepoint.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.test import Client
from django.utils import timezone

from billing.models import Membership
from billing.selectors import Standing, member_is_active, standing_of
from groups.models import GroupMembership
from tests.discounts.factories import OfferFactory
from tests.events.factories import EventFactory
from tests.experts.factories import ExpertFactory
from tests.groups.factories import GroupFactory, thread_with_opening
from tests.members.factories import UserFactory, make_active_member
from tests.staff import sign_in_with_mfa

pytestmark = pytest.mark.django_db

S = Membership.Status
MEMBER, LAPSED, NEVER_JOINED = Standing.MEMBER, Standing.LAPSED, Standing.NEVER_JOINED


@dataclass(frozen=True)
class Row:
    standing: Standing
    status: str | None = None  # None: no membership row
    past_due: str = ""  # "", "just now", "last hour" (of the grace period) or "grace over"
    period: bool = True  # Stripe gave the subscription a billing period
    staff: bool = False  # on the staff, signed in with their second factor
    anonymous: bool = False


TABLE = {
    "anonymous": Row(NEVER_JOINED, anonymous=True),
    "no_membership_row": Row(NEVER_JOINED),
    "none": Row(NEVER_JOINED, S.NONE, period=False),
    # Stripe gives an incomplete subscription a billing period too: still never paid.
    "incomplete": Row(NEVER_JOINED, S.INCOMPLETE),
    "incomplete_expired": Row(NEVER_JOINED, S.INCOMPLETE_EXPIRED),
    "trialing": Row(MEMBER, S.TRIALING),
    "active": Row(MEMBER, S.ACTIVE),
    "past_due_just_now": Row(MEMBER, S.PAST_DUE, past_due="just now"),
    "past_due_last_hour_of_grace": Row(MEMBER, S.PAST_DUE, past_due="last hour"),
    "past_due_grace_over": Row(LAPSED, S.PAST_DUE, past_due="grace over"),
    "canceled": Row(LAPSED, S.CANCELED),
    # Lapsed by its status, not by whether a billing period is on the row.
    "canceled_without_period": Row(LAPSED, S.CANCELED, period=False),
    "unpaid": Row(LAPSED, S.UNPAID),
    "paused": Row(LAPSED, S.PAUSED),
    # Staff count by their own membership; staff powers open staff tools only.
    "staff_not_paying": Row(NEVER_JOINED, staff=True),
    "staff_paying": Row(MEMBER, S.ACTIVE, staff=True),
}


def test_the_table_has_every_status():
    assert {row.status for row in TABLE.values()} >= set(Membership.Status.values)


def _past_due_since(when: str):
    grace = timedelta(days=settings.MEMBERSHIP_GRACE_DAYS)
    now = timezone.now()
    return {
        "just now": now - timedelta(minutes=5),
        "last hour": now - grace + timedelta(hours=1),
        "grace over": now - grace - timedelta(hours=1),
    }[when]


def _person(key: str, row: Row):
    if row.anonymous:
        return None
    user = UserFactory(email=f"{key.replace('_', '-')}@example.org", is_staff=row.staff)
    if row.staff:
        TOTP.activate(user, generate_totp_secret())
    if row.status is not None:
        Membership.objects.create(
            user=user,
            status=row.status,
            stripe_customer_id=f"cus_standing_{key}",
            stripe_subscription_id=f"sub_standing_{key}" if row.status else None,
            current_period_end=timezone.now() + timedelta(days=20) if row.period else None,
            past_due_since=_past_due_since(row.past_due) if row.past_due else None,
        )
    return user


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            # Built from factories, not services: a service may want its own (durable)
            # transaction, and this one stays open around the whole module.
            group = GroupFactory()
            listed = UserFactory()  # an active member, in the directory and the group
            make_active_member(listed)
            GroupMembership.objects.create(group=group, user=listed)
            thread = thread_with_opening(group, listed, title="Who's for the Leeds meet-up?")
            yield SimpleNamespace(
                group=group,
                thread=thread,
                listed=listed.profile,
                event=EventFactory(group=group),
                offer=OfferFactory(),
                expert=ExpertFactory(),
                people={key: _person(key, row) for key, row in TABLE.items()},
            )
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# --- 1. The rule ----------------------------------------------------------------------------


@pytest.mark.parametrize("key", TABLE)
def test_standing(world, key):
    row, person = TABLE[key], world.people[key]
    # Loaded afresh, as a request would: nothing cached on the object from building it.
    who = AnonymousUser() if person is None else type(person).objects.get(pk=person.pk)

    assert standing_of(who) == row.standing
    assert member_is_active(who) == (row.standing == MEMBER)
    if row.status is not None:
        membership = Membership.objects.get(user=person)
        assert membership.standing == row.standing
        in_sql = Membership.objects.active().filter(pk=membership.pk).exists()
        assert in_sql == (row.standing == MEMBER), "Membership.objects.active() disagrees"


# --- 2. Every page that gates on it -----------------------------------------------------------

# What a member-only page's redirect to /join/ says, by standing.
REJOIN_MESSAGE = "Your membership has ended: rejoin to take part again."
JOIN_MESSAGE = "Join Mutual to take part"


@dataclass(frozen=True)
class Shows:
    """A 200 page with this text, which no other answer on the same page shows."""

    text: str


@dataclass(frozen=True)
class GoesTo:
    """A redirect to this address (filled in from the world)."""

    path: str


LOGIN = GoesTo("/accounts/login/")
JOIN = GoesTo("/join/")  # with the rejoin or join message, by standing
FORBIDDEN = "403"


def member_only(member_answer) -> dict:
    """`member_required`: visitors sign in, non-members go to /join/, members get the page."""
    return {"anonymous": LOGIN, LAPSED: JOIN, NEVER_JOINED: JOIN, MEMBER: member_answer}


PAGES = {
    # Public pages whose member part, or whose invitation to join, depends on standing.
    "group_detail": (
        "/groups/{group.slug}/",
        {
            "anonymous": Shows("Sign in"),
            NEVER_JOINED: Shows("Become a member to join"),
            LAPSED: Shows("Rejoin Mutual to join groups"),
            MEMBER: Shows("Who's in it"),
        },
    ),
    "expert_detail": (
        "/experts/{expert.slug}/",
        {
            "anonymous": Shows("Already a member?"),
            NEVER_JOINED: Shows("Join to ask them"),
            LAPSED: Shows("Renew your membership to ask"),
            MEMBER: Shows("Ask to come to your event"),
        },
    ),
    "offer_detail": (
        "/discounts/{offer.slug}/",
        {
            "anonymous": Shows("Already a member?"),
            NEVER_JOINED: Shows("Codes are for paying members:"),
            LAPSED: Shows("Your membership has lapsed"),
            MEMBER: Shows("Get your code"),
        },
    ),
    "event_detail": (
        "/events/{event.slug}/",
        {
            "anonymous": Shows("Sign in to reply"),
            NEVER_JOINED: Shows("Become a member to come"),
            LAPSED: Shows("Rejoin to come"),
            MEMBER: Shows("Yes, I'll come"),
        },
    ),
    "expert_requests": (
        "/experts/requests/",
        {
            "anonymous": LOGIN,
            NEVER_JOINED: Shows(">Join Mutual<"),
            LAPSED: Shows(">Rejoin Mutual<"),
            MEMBER: Shows("Browse experts"),
        },
    ),
    "billing": (
        "/billing/",
        {
            "anonymous": LOGIN,
            NEVER_JOINED: Shows("You haven't joined yet."),
            LAPSED: Shows(">Rejoin<"),
            MEMBER: Shows("Renews on"),
        },
    ),
    # Member-only pages and actions.
    "group_members": ("/groups/{group.slug}/members/", member_only(Shows("Members of"))),
    "group_thread": (
        "/groups/{group.slug}/threads/{thread.pk}/",
        member_only(Shows("Who's for the Leeds meet-up?")),
    ),
    "group_propose": ("/groups/propose/", member_only(Shows("Propose a group"))),
    "expert_request": ("/experts/{expert.slug}/request/", member_only(Shows('name="town"'))),
    "offer_redeem": (
        "/discounts/{offer.slug}/redeem/",
        member_only(GoesTo("/discounts/{offer.slug}/")),
    ),
    "event_rsvp_yes": (
        "POST /events/{event.slug}/rsvp/",
        member_only(GoesTo("/events/{event.slug}/")),
    ),
    "directory": ("/members/", member_only(Shows("Your introductions"))),
    "profile": ("/members/{listed.handle}/", member_only(Shows("{listed.display_name}"))),
    "intro_request": ("/members/{listed.handle}/intro/", member_only(Shows('name="note"'))),
}

# A staff tool asks for staff powers, not standing: staff get in whether they pay or not,
# and nobody else here organises a group, so everyone else is refused.
STAFF_TOOLS = {"event_create": "/events/new/"}

CELLS = [(page, key) for page in PAGES for key in TABLE] + [
    (page, key) for page in STAFF_TOOLS for key in TABLE
]


def _who(row: Row):
    return "anonymous" if row.anonymous else row.standing


def _client(world, key: str, row: Row) -> Client:
    client = Client()
    person = world.people[key]
    if row.staff:
        sign_in_with_mfa(client, person)
    elif person is not None:
        client.force_login(person)
    return client


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _messages(response) -> str:
    return " ".join(str(m) for m in response.wsgi_request._messages)


@pytest.mark.parametrize(("page", "key"), CELLS)
def test_page(world, page, key):
    row = TABLE[key]
    client = _client(world, key, row)
    if page in STAFF_TOOLS:
        response = client.get(STAFF_TOOLS[page])
        if row.anonymous:
            assert response.status_code == 302
            assert response["Location"].startswith(LOGIN.path)
        else:
            assert response.status_code == (200 if row.staff else 403)
        return

    address, answers = PAGES[page]
    method, _, path = address.rpartition(" ")
    path = path.format(**vars(world))
    if method == "POST":
        response = client.post(path, {"response": "yes", "guests": "0"})
    else:
        response = client.get(path)
    expected = answers[_who(row)]

    if isinstance(expected, GoesTo):
        assert response.status_code == 302, f"{path} answered {response.status_code}"
        location = response["Location"]
        target = expected.path.format(**vars(world))
        went = location if expected is LOGIN else location.split("?")[0].split("#")[0]
        assert went.startswith(target) if expected is LOGIN else went == target, (
            f"{path} went to {location}, not {target}"
        )
        if expected is JOIN:
            said = _messages(response)
            right, wrong = (
                (REJOIN_MESSAGE, JOIN_MESSAGE)
                if row.standing == LAPSED
                else (JOIN_MESSAGE, REJOIN_MESSAGE)
            )
            assert right in said and wrong not in said, said
        return

    assert response.status_code == 200, f"{path} answered {response.status_code}"
    text = _text(response)
    assert expected.text.format(**vars(world)) in text
    for other_who, other in answers.items():
        if other_who == NEVER_JOINED and row.anonymous:
            continue  # a visitor hasn't joined either, and may be told how
        if isinstance(other, Shows) and other != expected:
            assert other.text.format(**vars(world)) not in text, (
                f"{path} shows {other.text!r} to {key} ({row.standing})"
            )
