"""Hostile input never makes a server error: every URL pattern, as every role (issue #16, part 5).

Hypothesis puts hostile values in every path parameter and in the query string (the
parameters the views read, and names nobody reads): NUL and other control characters, huge
and negative numbers, very long strings and odd Unicode. Each example walks every URL
pattern the site serves once as each person in the world (the matrix's roles and the extra
people it holds), with a GET and a POST carrying the same values as form data; the admin's
patterns get a GET as a visitor, a non-staff account and staff, since it turns every
non-staff account away alike. No answer may be a 5xx, no exception may escape a view, and
nothing may be logged as an error. A GET longer than gunicorn's request line is not made:
gunicorn refuses it before Django sees it.

The world is the access matrix's (`acl_world`), shared by every example; each request runs
in a savepoint that is rolled back. Stripe is replaced by fakes that answer at once: "Stripe
is unreachable" is the one designed 503, and it is not what is being tested here.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, Phase, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from billing import stripe_api
from tests.members.factories import UserFactory, make_active_member
from tests.security import acl_world
from tests.security.acl_world import client_for, one_request

pytestmark = pytest.mark.django_db

# The query parameters the views and forms read, and two nobody reads.
QUERY_NAMES = (
    "page",
    "q",
    "interest",
    "group",
    "city",
    "town",
    "region",
    "date_from",
    "date_to",
    "month",
    "open_to",
    "order",
    "next",
    "cancelled",
    "action",
    "response",
    "session_id",
    "o",  # the admin's ordering, search and page
    "p",
    "e",
    "unknown",
    "utm_source",
)

HUGE_NUMBERS = st.sampled_from(
    ["99999999999999999999999", "9223372036854775808", "2147483648", "1e309", "1" * 5000]
)
NUMBERS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    HUGE_NUMBERS,
    # Arabic-Indic and full-width digits: int() reads them, the URL converters do not.
    st.sampled_from(["-1", "0", "-0", "0x10", "NaN", "inf", "\u0661\u0662", "\uff11\uff12", "3.5"]),
)
CONTROL = st.characters(codec="utf-8", categories=["Cc"])
ODD_UNICODE = st.characters(
    codec="utf-8", categories=["Cf", "Mn", "Me", "Co", "Zl", "Zp", "Zs", "So", "Lo"]
)
HOSTILE = st.one_of(
    st.just("\x00"),
    st.text(CONTROL, min_size=1, max_size=4),
    st.text(st.one_of(CONTROL, st.characters(codec="utf-8")), min_size=1, max_size=12),
    NUMBERS,
    st.text(ODD_UNICODE, min_size=1, max_size=12),
    st.builds(lambda c, n: c * n, st.characters(codec="utf-8"), st.integers(1000, 6000)),
    st.sampled_from(["'", '"><', "%", "%00", "../..", "a/b", "\\", " ", "-", ".", "*", "?#&="]),
)
QUERY = st.dictionaries(
    st.one_of(st.sampled_from(QUERY_NAMES), st.text(min_size=1, max_size=8)),
    HOSTILE,
    min_size=1,
    max_size=6,
)


# --- What the issue found, as a person would type it ---------------------------------------


@pytest.fixture
def member_client(client):
    user = UserFactory()
    make_active_member(user)
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/events/?group=%00",
        "/experts/?interest=%00",
        "/calendar/%00.ics",
        "/members/%00/",
        "/members/someone%00/intro/",
        "/discounts/partners/%00/",
        "/groups/?q=a%00b",
        "/events/?city=%07",
        "/events/%1b/",
    ],
)
def test_control_characters_in_the_address_are_a_bad_request(member_client, url):
    response = member_client.get(url)

    assert response.status_code == 400
    assert "look right." in response.content.decode()


@pytest.mark.parametrize("url", ["/members/", "/events/", "/groups/", "/experts/", "/discounts/"])
@pytest.mark.parametrize("page", ["99999999999999999999", "9223372036854775807", "-5", "1e309"])
def test_absurd_page_numbers_give_a_page(member_client, url, page):
    response = member_client.get(url, {"page": page})

    assert response.status_code == 200


def test_tabs_and_line_breaks_in_a_search_are_still_searched(member_client):
    response = member_client.get("/members/", {"q": "web\tdesign\r\n"})

    assert response.status_code == 200


# --- Every URL pattern, as every role ---------------------------------------------------------


class _ErrorLog(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from acl_world.world_in_transaction(django_db_blocker)


@pytest.fixture
def stripe_answers_at_once(monkeypatch):
    monkeypatch.setattr(stripe_api, "customer_create", lambda **_kw: "cus_hostile")
    monkeypatch.setattr(
        stripe_api, "checkout_session_create", lambda **_kw: "https://checkout.stripe.com/x"
    )
    monkeypatch.setattr(
        stripe_api, "portal_session_create", lambda **_kw: "https://billing.stripe.com/x"
    )


@pytest.fixture
def error_log():
    handler = _ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


_PARAMETER = re.compile(r"<(?:(\w+):)?\w+>")
_ADMIN_OBJECT = re.compile(r"^(/admin/\w+/\w+/)[^/]+/(?=(change|delete|history)/)")


def parameter_count(pattern: acl_world.Pattern) -> int:
    return 1 if pattern.is_admin else len(_PARAMETER.findall(pattern.route))


def path_with(pattern: acl_world.Pattern, world, values: list[str]) -> str:
    """The pattern's route with its parameters replaced by hostile values, percent-encoded.

    An `int` parameter gets digits (any others would not reach the view): the value's own if
    it is a number, else a huge one. The admin's routes are filled as the access matrix fills
    them, and then the object id in change, delete and history pages is replaced.
    """
    if pattern.is_admin:
        path = acl_world.admin_url(pattern, world)
        return _ADMIN_OBJECT.sub(lambda m: m.group(1) + quote(values[0], safe="") + "/", path)
    remaining = iter(values)

    def parameter(match: re.Match) -> str:
        value = next(remaining)
        if match.group(1) == "int":
            digits = value.lstrip("-")
            value = digits if digits.isascii() and digits.isdigit() else str(10**30 + len(value))
        return quote(value, safe="")

    return "/" + _PARAMETER.sub(parameter, pattern.route)


def roles(world) -> list[str]:
    return ["anonymous", *world.sessions]


# The values the issue found first, so the first example always has each kind.
KNOWN = [
    "\x00",
    "a\x00b",
    "\x07\x1b[31m",
    "99999999999999999999999",
    "-99999999999999999999",
    "-1",
    "1" * 5000,
    "x" * 6000,
    "\u202e\ufeff\U0001f469\u200d\U0001f4bb\u0301",
    "\ue000\u2028",
]
KNOWN_QUERIES = [dict.fromkeys(QUERY_NAMES, value) for value in KNOWN]


@hypothesis_settings(
    max_examples=1,
    deadline=None,
    database=None,
    # A walk is a couple of thousand requests; the first failure, with its URL, says enough.
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.large_base_example,
    ],
)
@given(
    pool=st.lists(HOSTILE, min_size=8, max_size=24),
    queries=st.lists(QUERY, min_size=4, max_size=12),
)
@example(pool=KNOWN, queries=KNOWN_QUERIES)
def test_no_url_answers_a_server_error_to_hostile_input(
    world, django_db_blocker, stripe_answers_at_once, error_log, pool, queries
):
    """Each example walks every pattern as every role; request n takes its path values and
    its query from the drawn pools, n places along, so each walk mixes them differently."""
    problems = []
    n = 0
    with django_db_blocker.unblock():
        for pattern in acl_world.all_patterns():
            for role in roles(world):
                if pattern.is_admin and role not in ("anonymous", "non_member", "staff"):
                    continue  # the admin turns the other roles away exactly as non_member
                n += 1
                values = [pool[(n + k) % len(pool)] for k in range(parameter_count(pattern))]
                url = path_with(pattern, world, values)
                query = queries[n % len(queries)]
                for method in ("GET",) if pattern.is_admin else ("GET", "POST"):
                    if problem := _request(world, role, method, url, query, error_log):
                        shown = {name: value[:20] for name, value in query.items()}
                        problems.append(f"{method} {url[:100]!r} {shown} as {role}: {problem}")
    assert not problems, f"{len(problems)} server errors:\n" + "\n".join(problems[:40])


# gunicorn refuses a longer request line (its `limit_request_line`) before Django sees it.
MAX_REQUEST_LINE = 4094


def _request(world, role, method, url, query, error_log) -> str:
    if (
        method == "GET"
        and len(f"GET {url}?{urlencode(query, doseq=True)} HTTP/1.1") > MAX_REQUEST_LINE
    ):
        return ""
    error_log.records.clear()
    with one_request():
        client = client_for(world, role)
        try:
            response = client.get(url, query) if method == "GET" else client.post(url, query)
        except Exception as error:  # the test's whole point: report it
            return f"{type(error).__name__}: {str(error)[:200]}"
    if response.status_code >= 500:
        return f"answered {response.status_code}"
    if logged := error_log.records:
        return "logged " + "; ".join(f"{r.name}: {r.getMessage()[:200]}" for r in logged)
    return ""
