"""Stored XSS: hostile text in every field a member or organiser writes never runs anywhere.

Hypothesis writes a hostile string into every such field at once (profiles, discussion,
events and cancellations, organisers' messages, group text, group proposals, expert requests,
introductions), through the ORM as the pages would find it, and Chromium opens every page
that shows them, as the people who would see them, the admin included. Each document runs a
tripwire first (tests/security/conftest.py): the payloads call `window.__xss.push` and
`alert`, so any script that ran is caught, and any dialog fails the test. The site's Content
Security Policy would block most of them anyway, so the DOM is audited too: an injected
on* attribute, a `data-pwn` canary (every payload's markup carries one), an injected script,
frame or base, or a `javascript:` link fails the test even when nothing ran. The page must
also show the text as written: headings hold exactly the stored value, and the <title> and
the admin's digest preview contain it.

The same strings go through the real forms once (the browser for the profile and a new
thread, the test client for the rest), and through every email that carries user text.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.db.models import Model
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, Phase, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from zeal import zeal_ignore

from digests.selectors import digest_contents
from events.models import RSVP, Event, EventInvite, EventMessage
from experts.models import ExpertRequest, ExpertRequestStatusChange
from groups.models import Group, GroupMembership, GroupProposal, Post, Thread, ThreadFollow
from mail.emails import build_message, render
from mail.models import EmailDelivery
from mail.streams import Stream
from members.models import IntroRequest, Profile, User
from tests.events.factories import EventFactory, in_days
from tests.experts.factories import ExpertFactory, ExpertRequestFactory, future_date
from tests.groups.factories import GroupFactory, GroupProposalFactory, PostFactory, ThreadFactory
from tests.members.factories import UserFactory, interests, make_active_member

# --- Hostile strings ------------------------------------------------------------------------

# Every payload's markup carries `data-pwn`, so the DOM audit sees it even if nothing ran.
PAYLOADS = [
    '<script data-pwn>window.__xss.push("script");alert("script")</script>',
    "\"><img src=x data-pwn onerror=\"window.__xss.push('img');alert('img')\">",
    "'><svg data-pwn onload=\"window.__xss.push('svg')\"></svg>",
    '" data-pwn autofocus onfocus="window.__xss.push(\'attr\')" x="',
    "' data-pwn autofocus onfocus='window.__xss.push(\"attr1\")' x='",
    "</textarea><img src=x data-pwn onerror=window.__xss.push('textarea')>",
    "</title><script data-pwn>window.__xss.push('title')</script>",
    "</script><script data-pwn>window.__xss.push('script-end')</script>",
    "<a data-pwn href=\"javascript:window.__xss.push('link')\">click</a>",
    "<iframe data-pwn srcdoc=\"<script>parent.__xss.push('iframe')</script>\"></iframe>",
    "<details data-pwn open ontoggle=\"window.__xss.push('details')\">x</details>",
    "{{ request.user.email }}{% debug %}${7*7}#{7*7}<%= 7*7 %>",
    "<style data-pwn>*{display:none!important}</style>",
    "<!--<img src=\"--><img src=x data-pwn onerror=window.__xss.push('comment')>",
    "<math data-pwn><mtext><table><mglyph><style><img src=x onerror=window.__xss.push('m')>",
    '<base data-pwn href="https://evil.example/">',
    "<meta data-pwn http-equiv=refresh content=\"0;url=javascript:window.__xss.push('m')\">",
    # Full-width brackets, bidi overrides, a ligature, astral characters, line separators.
    "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e \u202eevil\u202c \ufdfd \U0001d54f \U0001f600"
    " \u2028\u2029 e\u0301",
    "javascript:window.__xss.push('js-url')//https://example.org",
    "\\'; window.__xss.push('js-string'); //\";alert(1)//",
    "<input data-pwn autofocus onfocus=window.__xss.push('input')>",
    "<form data-pwn action=\"javascript:window.__xss.push('form')\"><button>go</button></form>",
    "[click](javascript:window.__xss.push('markdown'))",
    'www.example.org/"onmouseover="window.__xss.push(\'urlize\')"data-pwn="',
    "&lt;script&gt;already escaped&amp;amp; %3Cscript%3E",
]

# What a website field might hold if it were ever written around the form's validation.
JS_URLS = [
    "javascript:window.__xss.push('website')",
    "JaVaScRiPt:alert('website')",
    " javascript:alert('website')",
    "java\tscript:alert('website')",
    "vbscript:msgbox('website')",
    "data:text/html,<script>alert('website')</script>",
    "https://example.org/\"><script data-pwn>window.__xss.push('website')</script>",
]

_noise = st.text(
    alphabet=st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=30
)
_payload = st.sampled_from(PAYLOADS)
hostile = st.one_of(_payload, st.tuples(_noise, _payload, _noise).map("".join), _noise)
hostile_website = st.one_of(
    st.sampled_from(JS_URLS), hostile.map(lambda text: "https://example.org/?q=" + text)
)


@dataclass(frozen=True)
class Field:
    owner: str  # the Scene attribute holding the object
    name: str

    @property
    def key(self) -> str:
        return f"{self.owner}.{self.name}"


# Every field a member or organiser types that someone else (or staff) reads.
FIELDS = [
    *[
        Field(owner, name)
        for owner in ("writer_profile", "viewer_profile")
        for name in ("display_name", "headline", "bio", "city", "contact_details", "website")
    ],
    *[Field("group", name) for name in ("name", "summary", "details", "city")],
    Field("thread", "title"),
    Field("opening", "body"),
    Field("reply", "body"),
    *[
        Field("event", name)
        for name in ("title", "description", "venue_name", "venue_address", "city")
    ],
    Field("cancelled", "title"),
    Field("cancelled", "cancel_reason"),
    Field("message", "subject"),
    Field("message", "body"),
    *[Field("proposal", name) for name in ("name", "summary", "details", "city")],
    *[Field("expert_request", name) for name in ("event_name", "town", "topic", "message")],
    Field("intro_pending", "note"),
    Field("intro_pending", "sender_contact"),
    Field("intro_accepted", "note"),
    Field("intro_accepted", "sender_contact"),
    Field("intro_accepted", "recipient_contact"),
]

# Check constraints in the database: shorter values are padded.
MIN_LENGTH = {"expert_request.message": ExpertRequest.MESSAGE_MIN}

field_values = st.fixed_dictionaries(
    {f.key: hostile_website if f.name == "website" else hostile for f in FIELDS}
)

# One example where every field holds one of the known payloads, whatever Hypothesis draws.
KITCHEN_SINK = {
    f.key: (JS_URLS[i % len(JS_URLS)] if f.name == "website" else PAYLOADS[i % len(PAYLOADS)])
    for i, f in enumerate(FIELDS)
}
KITCHEN_SINK["writer_profile.display_name"] = PAYLOADS[11]  # the template-ish one
KITCHEN_SINK["thread.title"] = PAYLOADS[6]  # </title>


def normalise(text: str, *, printable: bool = False) -> str:
    """Composed (NFC, as Django's Truncator leaves excerpts), whitespace collapsed; with
    `printable`, control characters count as spaces (as in Chromium's document.title)."""
    text = unicodedata.normalize("NFC", text)
    if printable:
        text = "".join(" " if unicodedata.category(c) == "Cc" else c for c in text)
    return " ".join(text.split())


# --- The people and things the pages show -------------------------------------------------


@dataclass
class Scene:
    writer: User  # organiser of the group; wrote the thread, the event, the request
    viewer: User  # a member of the group, going to the event
    reader: User  # a member outside the group, for the digest
    staff: User
    group: Group
    thread: Thread
    opening: Post
    reply: Post
    event: Event
    rsvp: RSVP
    cancelled: Event
    message: EventMessage
    invite: EventInvite
    proposal: GroupProposal
    expert_request: ExpertRequest
    creation: ExpertRequestStatusChange
    intro_pending: IntroRequest
    intro_accepted: IntroRequest

    @property
    def writer_profile(self) -> Profile:
        return self.writer.profile

    @property
    def viewer_profile(self) -> Profile:
        return self.viewer.profile

    def write(self, values: dict[str, str]) -> dict[str, str]:
        """Store `values` with queryset updates (no validation: as the page would find them).

        Returns what was stored, each cut to its column's length (and padded to the
        database's minimum, where it has one).
        """
        stored: dict[str, str] = {}
        updates: dict[str, tuple[Model, dict[str, str]]] = {}
        for f in FIELDS:
            obj = getattr(self, f.owner)
            limit = obj._meta.get_field(f.name).max_length
            value = values[f.key][:limit] if limit else values[f.key]
            value = value.ljust(MIN_LENGTH.get(f.key, 0), ".")
            stored[f.key] = value
            updates.setdefault(f.owner, (obj, {}))[1][f.name] = value
        for obj, changes in updates.values():
            type(obj)._default_manager.filter(pk=obj.pk).update(**changes)
        return stored


def _member(**kwargs):
    user = UserFactory(date_joined=timezone.now() - timedelta(days=60), **kwargs)
    make_active_member(user)
    user.profile.interests.set(interests(4))
    return user


def build_scene() -> Scene:
    with zeal_ignore():  # setting up one object at a time is not the code under test
        chosen = interests(4)
        group = GroupFactory(interests=chosen)
        writer, viewer, reader = _member(), _member(), _member()
        GroupMembership.objects.create(
            group=group, user=writer, role=GroupMembership.Role.ORGANISER
        )
        GroupMembership.objects.create(group=group, user=viewer)
        thread = ThreadFactory(group=group, author=writer)
        opening = PostFactory(thread=thread, author=writer, is_opening=True)
        reply = PostFactory(thread=thread, author=viewer)
        ThreadFollow.objects.create(thread=thread, user=writer)
        now = timezone.now()
        event = EventFactory(group=group, created_by=writer, interests=chosen, starts_at=in_days(3))
        rsvp = RSVP.objects.create(
            event=event,
            member=viewer,
            status=RSVP.Status.CONFIRMED,
            share_contact=True,
            confirmed_at=now,
        )
        Event.objects.filter(pk=event.pk).update(confirmed_places=1)
        cancelled = EventFactory(
            group=group,
            created_by=writer,
            is_cancelled=True,
            cancelled_at=now,
            cancel_reason="The room flooded.",
        )
        message = EventMessage.objects.create(
            event=event, sender=writer, subject="Room change", body="Upstairs.", recipient_count=1
        )
        invite = EventInvite.objects.create(
            event=event,
            email="guest@example.org",
            invited_by=writer,
            source=EventInvite.Source.ADDRESS,
        )
        proposal = GroupProposalFactory(proposer=writer, interests=chosen[:2])
        expert_request = ExpertRequestFactory(member=writer, expert=ExpertFactory())
        intro_pending = IntroRequest.objects.create(
            sender=writer, recipient=viewer, note="Coffee?", sender_contact="07700 900000"
        )
        intro_accepted = IntroRequest.objects.create(
            sender=viewer,
            recipient=writer,
            note="Hello!",
            status=IntroRequest.Status.ACCEPTED,
            sender_contact="07700 900001",
            recipient_contact="07700 900002",
            responded_at=now,
        )
        staff = UserFactory(is_staff=True, is_superuser=True)
        TOTP.activate(staff, generate_totp_secret())
        return Scene(
            writer=writer,
            viewer=viewer,
            reader=reader,
            staff=staff,
            group=group,
            thread=thread,
            opening=opening,
            reply=reply,
            event=event,
            rsvp=rsvp,
            cancelled=cancelled,
            message=message,
            invite=invite,
            proposal=proposal,
            expert_request=expert_request,
            creation=ExpertRequestStatusChange.objects.get(request=expert_request),
            intro_pending=intro_pending,
            intro_accepted=intro_accepted,
        )


def pages(scene: Scene) -> dict[str, list[str]]:
    """Who opens which pages: every page that shows one of the FIELDS to someone."""
    g = f"/groups/{scene.group.slug}/"
    e = f"/events/{scene.event.slug}/"
    return {
        "viewer": [
            "/",
            "/members/",
            f"/members/{scene.writer.profile.handle}/",
            "/members/intros/",
            "/groups/",
            g,
            f"{g}members/",
            f"{g}threads/{scene.thread.pk}/",
            "/events/",
            e,
            f"/events/{scene.cancelled.slug}/",
            "/events/mine/",
        ],
        "writer": [
            f"/members/{scene.viewer.profile.handle}/",
            "/members/intros/",
            f"{e}attendees/",
            f"{e}checkin/",
            f"{e}edit/",
            "/experts/requests/",
            "/groups/propose/",
            "/settings/profile/",
        ],
        "staff": [
            "/admin/members/profile/",
            f"/admin/experts/expertrequest/{scene.expert_request.pk}/change/",
            f"/admin/groups/groupproposal/{scene.proposal.pk}/change/",
            "/admin/groups/post/",
            "/admin/events/eventmessage/",
            f"/admin/digests/digestrun/preview/?member={scene.reader.profile.handle}",
        ],
    }


# --- In the browser -------------------------------------------------------------------------


@pytest.fixture
def scene():
    return build_scene()


@pytest.fixture
def people(scene, visitors):
    return {
        "viewer": visitors(scene.viewer),
        "writer": visitors(scene.writer),
        "staff": visitors(scene.staff, mfa=True),
    }


def _text_checks(scene: Scene, stored: dict[str, str]) -> dict[tuple[str, str], list]:
    """(person, path) -> [(CSS selector, or "title" for the document's, the stored text it
    must show, whether the element holds exactly that text or only contains it)]."""
    g = f"/groups/{scene.group.slug}/"
    return {
        ("viewer", f"/members/{scene.writer.profile.handle}/"): [
            ("#profile-name", stored["writer_profile.display_name"], True),
        ],
        ("viewer", g): [("#group-name", stored["group.name"], True)],
        ("viewer", f"{g}threads/{scene.thread.pk}/"): [
            (".thread-title", stored["thread.title"], True),
            ("title", stored["thread.title"], False),
        ],
        ("viewer", f"/events/{scene.event.slug}/"): [
            ("#event-title", stored["event.title"], True),
            ("title", stored["event.title"], False),
        ],
        ("staff", f"/admin/digests/digestrun/preview/?member={scene.reader.profile.handle}"): [
            (".digest-preview", stored["event.title"], False),
            (".digest-preview", stored["group.name"], False),
        ],
    }


def _shows(page, selector: str, text: str, exact: bool) -> str | None:
    """None if the page shows `text` there, as text; otherwise what it shows instead."""
    if selector == "title":
        # Chromium's document.title turns control characters into spaces.
        actual = page.title()
        want, got = normalise(text, printable=True), normalise(actual, printable=True)
    else:
        actual = page.locator(selector).first.text_content() or ""
        want, got = normalise(text), normalise(actual)
    return None if (got == want if exact else want in got) else actual


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@hypothesis_settings(
    max_examples=6,
    deadline=None,
    database=None,
    # No shrinking: each example costs a browser walk, and the first failure says enough.
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(values=field_values)
@example(values=KITCHEN_SINK)
def test_hostile_text_never_runs_on_any_page_that_shows_it(scene, people, values):
    stored = scene.write(values)
    checks = _text_checks(scene, stored)

    problems, shown = [], []
    for person, paths in pages(scene).items():
        visitor = people[person]
        for path in paths:
            findings = visitor.visit(path)
            if findings.status != 200:
                problems.append(f"{person} {path}: answered {findings.status}")
            problems += [f"{person} {path}: {problem}" for problem in findings.problems]
            for selector, text, exact in checks.get((person, path), []):
                if (actual := _shows(visitor.page, selector, text, exact)) is not None:
                    shown.append(f"{person} {path} {selector}: {actual!r}, not {text!r}")

    assert problems == []
    assert shown == []


# --- Through the real forms -----------------------------------------------------------------


def submit(page) -> None:
    """Press the page's main submit button and wait for the answer to load."""
    with page.expect_navigation(wait_until="load"):
        page.locator("main form button[type=submit]").last.click()


def form_errors(page) -> list[str]:
    return [
        text.strip() for text in page.locator(".invalid-feedback, .alert-danger").all_inner_texts()
    ]


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_real_forms_take_hostile_text_and_show_it_as_text(scene, people):
    """Validation neither chokes on hostile text nor lets a script URL through."""
    writer, viewer = people["writer"], people["viewer"]
    page = writer.page

    # The profile form, in the browser: a javascript: website is refused, the text is kept.
    profile_text = {
        "display_name": PAYLOADS[2][:80],
        "headline": PAYLOADS[3],
        "city": PAYLOADS[16][:80],
        "bio": PAYLOADS[5] + "\n\n" + PAYLOADS[11],
        "contact_details": PAYLOADS[0],
    }
    writer.visit("/settings/profile/")
    for name, value in profile_text.items():
        page.fill(f"[name={name}]", value)
    page.fill("[name=website]", "javascript:window.__xss.push('website')")
    submit(page)
    assert page.get_by_text("Enter a valid URL").count() == 1
    assert Profile.objects.get(pk=scene.writer.profile.pk).website == ""
    page.fill("[name=website]", "https://example.org/?q='\"><svg/onload=alert(1)>")
    submit(page)
    assert form_errors(page) == []
    page.get_by_text("Your profile is saved.").wait_for()
    profile = Profile.objects.get(pk=scene.writer.profile.pk)
    for name, value in profile_text.items():
        # Browsers send a textarea's line breaks as CRLF; the display name is tidied.
        expected = normalise(value) if name == "display_name" else value
        assert getattr(profile, name).replace("\r\n", "\n") == expected, name
    assert profile.website.startswith("https://example.org/?q=")

    # A new thread, in the browser.
    group_path = f"/groups/{scene.group.slug}/"
    writer.visit(f"{group_path}threads/new/")
    page.fill("[name=title]", PAYLOADS[6])
    page.fill("[name=body]", PAYLOADS[23] + "\n" + PAYLOADS[1])
    submit(page)
    assert "/threads/new/" not in page.url
    thread = Thread.objects.exclude(pk=scene.thread.pk).get(group=scene.group)
    assert thread.title == normalise(PAYLOADS[6])

    # The other forms, through the test client: each answers without an error and keeps
    # the text as written.
    as_writer, as_viewer = _signed_in(scene.writer), _signed_in(scene.viewer)
    posted = {}

    response = as_viewer.post(f"{group_path}threads/{thread.pk}/", {"body": PAYLOADS[13]})
    posted["reply"] = response.status_code
    assert Post.objects.filter(thread=thread, body=PAYLOADS[13]).exists()

    event_form = {
        "title": PAYLOADS[7],
        "group": scene.group.pk,
        "description": PAYLOADS[9] + "\n" + PAYLOADS[10],
        "starts_at": (timezone.localtime() + timedelta(days=9)).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (timezone.localtime() + timedelta(days=9, hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "venue_name": PAYLOADS[4],
        "venue_address": PAYLOADS[12],
        "city": PAYLOADS[20][:80],
        "online_url": "javascript:window.__xss.push('online')",
        "capacity": "",
        "guests_allowed": "0",
        "is_published": "on",
    }
    response = as_writer.post("/events/new/", event_form)
    posted["event with a javascript: link"] = response.status_code
    assert not Event.objects.filter(title=normalise(PAYLOADS[7])).exists()
    assert b"Enter a valid URL" in response.content
    event_form["online_url"] = 'https://meet.example.org/?q="><script>alert(1)</script>'
    response = as_writer.post("/events/new/", event_form)
    posted["event"] = response.status_code
    event = Event.objects.get(title=PAYLOADS[7])
    assert event.venue_name == PAYLOADS[4]
    event_path = f"/events/{event.slug}/"

    response = as_writer.post(
        f"/events/{scene.event.slug}/message/",
        {"subject": PAYLOADS[6][:120], "body": PAYLOADS[0]},
    )
    posted["message"] = response.status_code
    assert EventMessage.objects.filter(body=PAYLOADS[0]).exists()

    response = as_writer.post(
        f"/events/{scene.event.slug}/invite/",
        {"addresses": "guest2@example.org", "note": PAYLOADS[1]},
    )
    posted["invite preview"] = response.status_code
    found, text = audit_html(response.content.decode())
    assert found == []
    assert normalise(PAYLOADS[1]) in normalise(text)

    response = as_viewer.post(
        f"/members/{scene.writer.profile.handle}/intro/",
        {"note": PAYLOADS[8], "sender_contact": PAYLOADS[16][:200]},
    )
    posted["intro"] = response.status_code
    assert IntroRequest.objects.filter(note=PAYLOADS[8]).exists()

    response = as_viewer.post(
        f"/members/intros/{scene.intro_pending.pk}/accept/",
        {"recipient_contact": PAYLOADS[19]},
    )
    posted["intro accepted"] = response.status_code
    assert IntroRequest.objects.get(pk=scene.intro_pending.pk).recipient_contact == PAYLOADS[19]

    response = as_writer.post(
        f"/experts/{scene.expert_request.expert.slug}/request/",
        {
            "event_name": PAYLOADS[2][:120],
            "event_date": future_date(40).isoformat(),
            "town": PAYLOADS[17][:80],
            "audience": "30",
            "topic": PAYLOADS[21][:160],
            "message": PAYLOADS[14] + " We meet monthly; about thirty owners come along.",
        },
    )
    posted["expert request"] = response.status_code
    assert ExpertRequest.objects.filter(topic=PAYLOADS[21][:160]).exists()

    response = as_writer.post(
        "/groups/propose/",
        {
            "name": PAYLOADS[18][:120],
            "summary": PAYLOADS[22],
            "details": PAYLOADS[24],
            "city": PAYLOADS[15][:80],
            "interests": [i.pk for i in interests(2)],
        },
    )
    posted["proposal"] = response.status_code
    assert GroupProposal.objects.filter(summary=PAYLOADS[22]).exists()

    response = as_writer.post(f"{event_path}cancel/", {"reason": PAYLOADS[10], "confirm": "on"})
    posted["cancel"] = response.status_code
    assert Event.objects.get(pk=event.pk).cancel_reason == PAYLOADS[10]

    assert posted == {
        "reply": 302,
        "event with a javascript: link": 200,
        "event": 302,
        "message": 302,
        "invite preview": 200,
        "intro": 302,
        "intro accepted": 302,
        "expert request": 302,
        "proposal": 302,
        "cancel": 302,
    }

    # And every page showing what went in through the forms stays inert.
    to_visit = {
        writer: [
            f"/members/{scene.writer.profile.handle}/",
            "/settings/profile/",
            f"{group_path}threads/{thread.pk}/",
            event_path,
            f"{event_path}edit/",
            "/experts/requests/",
            "/groups/propose/",
            "/members/intros/",
        ],
        viewer: [
            f"/members/{scene.writer.profile.handle}/",
            f"{group_path}threads/{thread.pk}/",
            event_path,
            "/members/intros/",
        ],
    }
    problems = []
    for visitor, paths in to_visit.items():
        for path in paths:
            findings = visitor.visit(path)
            if findings.status != 200:
                problems.append(f"{path}: answered {findings.status}")
            problems += [f"{path}: {problem}" for problem in findings.problems]
    assert problems == []
    viewer.visit(f"/members/{scene.writer.profile.handle}/")
    assert viewer.page.locator("#profile-name").text_content().strip() == normalise(
        PAYLOADS[2][:80]
    )
    website = viewer.page.locator("a[rel~=ugc]").get_attribute("href")
    assert website == profile.website


# --- In email -------------------------------------------------------------------------------

# Elements an email never has, so only a payload could have put there (pages have svg
# icons, forms and scripts of their own; for pages only the attributes are checked).
EMAIL_FORBIDDEN_TAGS = {
    "script",
    "iframe",
    "frame",
    "object",
    "embed",
    "base",
    "svg",
    "math",
    "form",
}


class _HtmlAudit(HTMLParser):
    """Markup only a payload could have produced, and the document's text."""

    def __init__(self, forbidden_tags: set[str]):
        super().__init__(convert_charrefs=True)
        self.forbidden_tags = forbidden_tags
        self.found: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.text.append(" ")
        if tag in self.forbidden_tags:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in ("data-pwn", "srcdoc", "formaction"):
                self.found.append(f"<{tag} {name}>")
            if name in ("href", "src", "action") and value and ":" in value:
                scheme = "".join(value.split()).lower().split(":", 1)[0]
                if scheme not in ("http", "https", "mailto", "tel"):
                    self.found.append(f"<{tag} {name}={value[:60]!r}>")
            if tag == "meta" and name == "http-equiv":
                self.found.append(f"<meta http-equiv={value}>")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        self.text.append(" ")

    def handle_data(self, data):
        self.text.append(data)


def audit_html(
    document: str, *, forbidden_tags: set[str] | frozenset[str] = frozenset()
) -> tuple[list, str]:
    """(what only a payload could have put in `document`, its text with tags as spaces)."""
    parser = _HtmlAudit(set(forbidden_tags))
    parser.feed(document)
    parser.close()
    return parser.found, "".join(parser.text)


def _emails(scene: Scene, note: str) -> list[tuple[EmailDelivery, list[str]]]:
    """Each kind of email that carries user text, and the fields its HTML must show."""

    def delivery(kind, user, stream="", **payload):
        return EmailDelivery(
            kind=kind, user=user, to_email=user.email, stream=stream, payload=payload
        )

    s = scene
    digest = digest_contents([s.reader], frequency="weekly")[s.reader.pk]
    assert digest.events and digest.groups, "the digest must carry the group and the event"
    return [
        (
            delivery("digest", s.reader, Stream.DIGEST, frequency="weekly", **digest.as_payload()),
            ["event.title", "event.venue_name", "group.name", "group.summary", "group.city"],
        ),
        (
            delivery(
                "events_invite", s.viewer, Stream.EVENT_INVITES, invite=s.invite.pk, note=note
            ),
            ["writer_profile.display_name", "event.title", "event.venue_address", "note"],
        ),
        (
            delivery("events_message", s.viewer, message=s.message.pk),
            ["message.subject", "message.body", "writer_profile.display_name"],
        ),
        (
            delivery("events_rsvp_confirmed", s.viewer, rsvp=s.rsvp.pk),
            ["event.title", "event.venue_name", "event.venue_address", "group.name"],
        ),
        (
            delivery("events_cancelled", s.viewer, event=s.cancelled.pk),
            ["cancelled.title", "cancelled.cancel_reason"],
        ),
        (
            delivery("intro_request", s.viewer, intro=s.intro_pending.pk),
            ["writer_profile.display_name", "intro_pending.note"],
        ),
        (
            delivery("intro_accepted", s.viewer, intro=s.intro_accepted.pk),
            ["writer_profile.display_name"],
        ),
        (
            delivery("groups_reply", s.writer, post=s.reply.pk),
            ["viewer_profile.display_name", "group.name", "thread.title", "reply.body"],
        ),
        (
            delivery("groups_proposal_decided", s.writer, proposal=s.proposal.pk),
            ["proposal.name"],
        ),
        (
            delivery("expert_request_member", s.writer, change=s.creation.pk),
            [
                "writer_profile.display_name",
                "expert_request.event_name",
                "expert_request.town",
                "expert_request.topic",
            ],
        ),
        (
            delivery("expert_request_staff", s.staff, change=s.creation.pk),
            [
                "writer_profile.display_name",
                "expert_request.event_name",
                "expert_request.topic",
                "expert_request.message",
            ],
        ),
    ]


@pytest.fixture
def mail_scene(db):
    scene = build_scene()
    GroupProposal.objects.filter(pk=scene.proposal.pk).update(
        status=GroupProposal.Status.DECLINED,
        decision_note="Not this time.",
        decided_at=timezone.now(),
    )
    return scene


@pytest.mark.django_db
@hypothesis_settings(
    max_examples=15,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(values=field_values, note=hostile)
@example(values=KITCHEN_SINK, note=PAYLOADS[0])
def test_every_email_with_user_text_shows_it_escaped(mail_scene, values, note):
    stored = {**mail_scene.write(values), "note": note}

    problems = []
    with zeal_ignore():  # the same renderers once per example, by design
        for delivery, shown in _emails(mail_scene, note):
            content = render(delivery)
            assert content is not None, f"{delivery.kind} rendered nothing"
            message = build_message(delivery=delivery, content=content)
            [(html, mimetype)] = message.alternatives
            assert mimetype == "text/html"
            found, text = audit_html(html, forbidden_tags=EMAIL_FORBIDDEN_TAGS)
            problems += [f"{delivery.kind}: {problem}" for problem in found]
            text = normalise(text)
            problems += [
                f"{delivery.kind}: {key} {stored[key]!r} is not in the text"
                for key in shown
                if normalise(stored[key]) not in text
            ]

    assert problems == []
