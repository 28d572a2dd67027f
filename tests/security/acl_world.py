"""The world the access-control tests run in: one person per role, and one of everything.

Built once per test module inside a transaction that is rolled back when the module ends
(`world_in_transaction`); each request a test makes runs in a savepoint that is rolled back
too (`one_request`), so no cell of the matrix can change what the next cell sees.
"""

from __future__ import annotations

import importlib
import logging
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from http.cookies import SimpleCookie

import zeal
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.mfa.utils import is_mfa_enabled
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Model
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from billing.models import Membership
from discounts.services import offer_redeem
from events.emails import RELEASE_SALT, invite_token, release_token
from events.models import EventInvite
from events.services.calendar import calendar_feed_create
from events.services.rsvp import rsvp_respond
from groups.emails import unfollow_token
from groups.models import GroupMembership, Post, ThreadFollow
from groups.services.discussion import post_create, post_hide
from home.models import GroupPick
from mail.emails import confirm_token, unsubscribe_token
from mail.models import ConsentEvent
from mail.services import stream_set
from mail.streams import Stream
from members.models import Interest, StaffEnrolment, User
from members.services.intros import intro_request_create
from members.services.staff import staff_enrolment_send
from members.staff import enrolment_token
from tests.discounts.factories import OfferFactory, PartnerFactory
from tests.events.factories import EventFactory
from tests.experts.factories import ExpertFactory, ExpertRequestFactory
from tests.groups.factories import GroupFactory, GroupProposalFactory, add_member
from tests.groups.factories import thread_with_opening as _thread_with_opening
from tests.members.factories import UserFactory, make_active_member

# The columns of the matrix, in order.
ROLES = (
    "anonymous",
    "non_member",  # signed in, email verified, never paid
    "member",  # an active, paying member: owns the per-member objects below
    "lapsed",  # paid once, subscription cancelled
    "organiser",  # organiser of `group`, the group the events belong to
    "other_organiser",  # organiser of `other_group` only
    "staff",  # is_staff and superuser, signed in with their second factor
    # is_staff and superuser, signed in with a password alone, no authenticator set up (with
    # one, and a session that did not use it, see `test_staff_powers_need_the_second_factor`):
    # no staff powers anywhere, so they get what any signed-in non-member gets
    "staff_no_mfa",
)


@dataclass
class World:
    users: dict[str, User] = field(default_factory=dict)
    # Placeholders the matrix uses in URL kwargs, POST data and redirect targets.
    ids: dict[str, object] = field(default_factory=dict)
    objects: dict[str, Model] = field(default_factory=dict)
    # role -> the session cookie value of that role's signed-in session
    sessions: dict[str, str] = field(default_factory=dict)
    clients: dict[tuple, Client] = field(default_factory=dict)


def _seed_reference_data() -> None:
    """Interests and regions come from data migrations; a reused database may lack them."""
    from experts.models import Region

    if not Interest.objects.exists():
        importlib.import_module("members.migrations.0002_seed_interests").seed(apps, None)
    if not Region.objects.exists():
        importlib.import_module("experts.migrations.0002_seed_regions").seed(apps, None)


def _active(**kwargs):
    user = UserFactory(**kwargs)
    make_active_member(user)
    return user


def build_world() -> World:
    _seed_reference_data()
    w = World()
    marketing = list(Interest.objects.order_by("pk")[:3])
    others = list(Interest.objects.order_by("pk")[3:6])
    established = timezone.now() - timedelta(days=60)

    member = _active(email="alice.member@example.org", date_joined=established)
    member.profile.interests.set(marketing)
    non_member = UserFactory(email="non-member@example.org", date_joined=established)
    lapsed = _active(email="lapsed@example.org", date_joined=established)
    Membership.objects.filter(user=lapsed).update(status=Membership.Status.CANCELED)
    organiser = _active(email="organiser@example.org", date_joined=established)
    other_organiser = _active(email="other-organiser@example.org", date_joined=established)
    staff = UserFactory(
        email="staff@example.org", is_staff=True, is_superuser=True, date_joined=established
    )
    TOTP.activate(staff, generate_totp_secret())
    # Someone else: the other side of the member's introductions and the author of posts.
    target = _active(email="target@example.org", date_joined=established)
    target.profile.interests.set(marketing)
    # Staff who never turned on their second factor.
    staff_no_mfa = UserFactory(
        email="staff-no-mfa@example.org", is_staff=True, is_superuser=True, date_joined=established
    )
    # Staff with an authenticator whose session was opened with the password alone.
    staff_password_only = UserFactory(
        email="staff-password-only@example.org", is_staff=True, is_superuser=True
    )
    TOTP.activate(staff_password_only, generate_totp_secret())
    w.users = {
        "non_member": non_member,
        "member": member,
        "lapsed": lapsed,
        "organiser": organiser,
        "other_organiser": other_organiser,
        "staff": staff,
        "target": target,
        "staff_no_mfa": staff_no_mfa,
        "staff_password_only": staff_password_only,
    }

    group = GroupFactory(interests=list(marketing))
    add_member(group, organiser, role=GroupMembership.Role.ORGANISER)
    add_member(group, member)
    add_member(group, target)
    other_group = GroupFactory()
    add_member(other_group, other_organiser, role=GroupMembership.Role.ORGANISER)

    # Starts in two hours: replies are open and so is check-in.
    soon = timezone.now() + timedelta(hours=2)
    event = EventFactory(
        group=group,
        capacity=20,
        starts_at=soon,
        ends_at=soon + timedelta(hours=2),
        interests=list(marketing),
    )
    draft = EventFactory(group=group, is_published=False)
    other_event = EventFactory(group=other_group, capacity=20)
    rsvp = rsvp_respond(event=event, member=member, response="yes").rsvp
    target_rsvp = rsvp_respond(event=event, member=target, response="yes").rsvp
    other_rsvp = rsvp_respond(event=other_event, member=target, response="yes").rsvp
    invite = EventInvite.objects.create(
        event=event, invited_by=organiser, email="guest@example.net"
    )

    thread = _thread_with_opening(group, target, title="Hello", body="Nice to meet you all.")
    post = post_create(thread=thread, author=target, body="A reply anyone can report.").post
    hidden = post_create(thread=thread, author=target, body="A reply a moderator hid.").post
    assert post is not None and hidden is not None
    post_hide(post=hidden, by=organiser, reason=Post.HiddenReason.OFF_TOPIC)
    hidden.refresh_from_db()
    other_thread = _thread_with_opening(other_group, other_organiser)
    # The member asked for the digest and has not confirmed yet (the confirm link's work).
    stream_set(user=member, stream=Stream.DIGEST, on=True, source=ConsentEvent.Source.SETTINGS)
    # The member follows the thread, so the unfollow link in their email has work to do.
    ThreadFollow.objects.get_or_create(thread=thread, user=member)
    proposal = GroupProposalFactory(proposer=member)
    # Groups chosen on the way in, before paying: the non-member's, and one kept from before
    # the other organiser paid.
    GroupPick.objects.create(user=non_member, group=group)
    GroupPick.objects.create(user=other_organiser, group=group)

    intro_out = intro_request_create(
        sender=member, recipient=target, note="Coffee?", sender_contact="07700 900001"
    )
    intro_in = intro_request_create(
        sender=target, recipient=member, note="Lunch?", sender_contact="07700 900002"
    )

    expert = ExpertFactory()
    expert_request = ExpertRequestFactory(
        member=member, expert=expert, event_name="Harrogate owners' supper"
    )

    partner = PartnerFactory()
    offer = OfferFactory(partner=partner)
    redemption, _created = offer_redeem(offer=offer, member=member)
    assert redemption.code is not None
    feed = calendar_feed_create(user=member)
    enrolment = staff_enrolment_send(user=staff_no_mfa, reason=StaffEnrolment.Reason.GRANTED)

    # A sign-up that has not confirmed its address yet, for allauth's confirmation link.
    newcomer = UserFactory(email="newcomer@example.org", verified=False)
    unverified = EmailAddress.objects.create(
        user=newcomer, email=newcomer.email, verified=False, primary=True
    )

    w.objects = {
        "group": group,
        "other_group": other_group,
        "event": event,
        "draft": draft,
        "other_event": other_event,
        "rsvp": rsvp,
        "target_rsvp": target_rsvp,
        "other_rsvp": other_rsvp,
        "thread": thread,
        "post": post,
        "hidden": hidden,
        "other_thread": other_thread,
        "intro_out": intro_out,
        "intro_in": intro_in,
        "expert": expert,
        "expert_request": expert_request,
        "partner": partner,
        "offer": offer,
        "redemption": redemption,
        "feed": feed,
        "invite": invite,
        "proposal": proposal,
    }
    w.ids = {
        "group": group.slug,
        "other_group": other_group.slug,
        "event": event.slug,
        "draft": draft.slug,
        "other_event": other_event.slug,
        "rsvp": rsvp.pk,
        "other_rsvp": other_rsvp.pk,
        "thread": thread.pk,
        "post": post.pk,
        "hidden": hidden.pk,
        "intro_out": intro_out.pk,
        "intro_in": intro_in.pk,
        "expert": expert.slug,
        "expert_request": expert_request.pk,
        "offer": offer.slug,
        "code": redemption.code.code,
        "partner_token": partner.verification_token,
        "feed_token": feed.token,
        "target_handle": target.profile.handle,
        "member_handle": member.profile.handle,
        "interest": marketing[0].pk,
        "interest2": marketing[1].pk,
        "interest3": marketing[2].pk,
        "unsubscribe_token": unsubscribe_token(user_id=member.pk, stream=Stream.EVENT_REMINDERS),
        "confirm_token": confirm_token(user_id=member.pk, stream=Stream.DIGEST),
        "unfollow_token": unfollow_token(user_id=member.pk, thread_id=thread.pk),
        "release_token": release_token(rsvp),
        # Correctly signed, but naming the target as the member who holds the member's reply.
        "release_token_for_target": signing.Signer(salt=RELEASE_SALT).sign_object(
            [rsvp.pk, target.pk]
        ),
        "expert_request_event": expert_request.event_name,
        "invite_token": invite_token(invite.pk),
        "email_key": EmailConfirmationHMAC(unverified).key,
        "reset_uid": user_pk_to_url_str(member),
        "group_pk": group.pk,
        "interest4": others[0].pk,
        "interest5": others[1].pk,
        "interest6": others[2].pk,
        "in_60_days": (timezone.localdate() + timedelta(days=60)).isoformat(),
        "staff_enrol_token": enrolment_token(enrolment),
    }
    return w


def world_in_transaction(django_db_blocker):
    """Yield a `World` built inside a transaction that is rolled back afterwards.

    Sessions live in signed cookies here: one query fewer on each of the thousands of
    requests these tests make, and who may do what does not depend on where sessions live.
    Expected refusals are not logged (real errors still are).
    """
    with (
        django_db_blocker.unblock(),
        override_settings(SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies"),
        _quiet_logs(),
    ):
        atomic = _test_wrapping()
        atomic.__enter__()
        try:
            world = build_world()
            world.sessions = {
                role: _signed_in_session(user, with_mfa=role != "staff_password_only")
                for role, user in world.users.items()
            }
            # A reset link made after signing in: signing in changes what the token covers.
            world.ids["reset_key"] = default_token_generator.make_token(world.users["member"])
            yield world
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            cache.clear()


def _test_wrapping():
    """An atomic block marked as the tests' own wrapping, as Django's `TestCase` marks its
    own: services that must run outside any transaction of the code's (`durable=True`, the
    Stripe door, see core/transactions.py) still run inside it, as they do in every test."""
    atomic = transaction.atomic()
    atomic._from_testcase = True
    return atomic


@contextmanager
def _quiet_logs():
    """Thousands of expected 403s, 404s and refused Stripe calls: log only real errors."""
    loggers = [logging.getLogger(name) for name in ("django.request", "billing.stripe_api")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _signed_in_session(user, *, with_mfa: bool = True) -> str:
    """A session as allauth leaves it after signing in (staff: with their second factor).

    None of the records is a fresh "confirm it's you", so allauth asks for one before any
    change to two-factor settings, as it would just after signing in.
    """
    client = Client()
    client.force_login(user)
    session = client.session
    now = time.time()
    records = [{"method": "password", "at": now, "email": user.email}]
    if is_mfa_enabled(user) and with_mfa:
        records.append({"method": "mfa", "at": now, "type": "totp"})
    session["account_authentication_methods"] = records
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()
    assert session.session_key is not None
    return session.session_key


def client_for(world: World, role: str, **kwargs) -> Client:
    """A client signed in as `role`, holding no cookie but the session's.

    Clients are reused (a new one sets up the middleware again), but their cookies are reset,
    so nothing one request set (messages, a new session) follows into the next.
    """
    key = (role, tuple(sorted(kwargs.items())))
    client = world.clients.get(key)
    if client is None:
        client = world.clients[key] = Client(**kwargs)
    client.cookies = SimpleCookie()
    if role != "anonymous":
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    return client


class one_request:  # lower case: used like transaction.atomic
    """Run requests in a savepoint that is rolled back, with the cache (rate limits) cleared.

    N+1 detection is off here: these tests make hundreds of requests to check who may do
    what, and the query behaviour of each page is tested where the page is.
    """

    def __enter__(self):
        cache.clear()
        self.ignore = zeal.zeal_ignore()
        self.ignore.__enter__()
        self.atomic = _test_wrapping()
        self.atomic.__enter__()
        return self

    def __exit__(self, *exc):
        transaction.set_rollback(True)
        self.atomic.__exit__(*exc)
        self.ignore.__exit__(*exc)
        return False


# --- Every URL pattern -------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    route: str
    name: str  # namespaced, "" when the pattern has none
    callback: object

    @property
    def is_admin(self) -> bool:
        return self.route.startswith("admin/")


def all_patterns(resolver: URLResolver | None = None, prefix: str = "", namespace: str = ""):
    """Every URL pattern the project serves, recursively, with its full route and name."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from all_patterns(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = ""
            if entry.name:
                name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield Pattern(prefix + str(entry.pattern), name, entry.callback)


# --- URLs and form data from the world --------------------------------------------------


def fill(template: str, values: dict) -> str:
    """Put the world's values ("{event}", "{thread}"...) into a path or a form value."""
    return template.format(**values) if "{" in template else template


def fill_url(name: str, kwargs_spec: str, values: dict) -> str:
    """reverse() a URL name with kwargs written as "slug={event},pk={thread}"."""
    kwargs = {}
    for part in filter(None, kwargs_spec.split(",")):
        key, value = part.split("=", 1)
        kwargs[key] = fill(value, values)
    return reverse(name, kwargs=kwargs)


def role_values(world: World, role: str) -> dict:
    """The world's placeholders, plus the signed-in person's own ("{my_handle}")."""
    values = dict(world.ids)
    user = world.users.get(role)
    values["my_handle"] = user.profile.handle if user is not None else ""
    return values


def fill_data(template: dict | None, values: dict) -> dict:
    data = {}
    for key, value in (template or {}).items():
        data[key] = (
            [fill(v, values) for v in value] if isinstance(value, list) else fill(value, values)
        )
    return data


def admin_url(pattern: Pattern, world: World) -> str:
    """Fill an admin route's parameters with real objects where there are any."""
    path = pattern.route
    match = re.match(r"admin/(\w+)/(\w+)/", path)
    model = None
    if match and "<path:object_id>" in path:
        model = apps.get_model(match.group(1), match.group(2))
    first = model._default_manager.order_by("pk").first() if model else None
    event_type = ContentType.objects.get_for_model(world.objects["event"])
    replacements = {
        "<path:object_id>": str(first.pk) if first else "0",
        "<id>": str(world.users["member"].pk),
        "<path:content_type_id>": str(event_type.pk),
        "<int:offer_id>": str(world.objects["offer"].pk),
    }
    if pattern.route.startswith("admin/r/"):
        replacements["<path:object_id>"] = str(world.objects["event"].pk)
    for placeholder, value in replacements.items():
        path = path.replace(placeholder, value)
    path = re.sub(r"\^\(\?P<app_label>[^)]*\)/\$", "members/", path)
    path = path.replace("(?P<url>.*)$", "no-such-page/")
    return "/" + path


# --- What is in the database --------------------------------------------------------------

# Signing in writes these, and nothing a page shows depends on them.
IGNORED_TABLES = {"django_session"}
IGNORED_COLUMNS = ("last_login",)


def _table_names() -> list[str]:
    with connection.cursor() as cursor:
        names = connection.introspection.table_names(cursor)
    return sorted(n for n in names if n not in IGNORED_TABLES)


def snapshot(tables: list[str] | None = None) -> dict[str, tuple[int, str]]:
    """Each table's row count and a checksum of all its rows, in one query.

    Rows are hashed as JSON (minus `last_login`) and the hashes sorted, so the checksum does
    not depend on the order PostgreSQL returns rows in.
    """
    drop = "".join(f" - '{c}'" for c in IGNORED_COLUMNS)
    parts = [
        f"SELECT '{name}', count(*), "  # noqa: S608 - table names come from introspection
        f"md5(coalesce(string_agg(h, ',' ORDER BY h), '')) FROM "
        f'(SELECT md5((to_jsonb(t){drop})::text) AS h FROM "{name}" t) s'
        for name in (tables if tables is not None else _table_names())
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return {name: (count, digest) for name, count, digest in cursor.fetchall()}


def _writes() -> dict[str, int]:
    """Rows inserted, updated or deleted in each table so far in this transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables"
        )
        return dict(cursor.fetchall())


class Changes:
    """Which tables a request changed, cheaply enough to ask after every request.

    PostgreSQL counts the rows each table had inserted, updated or deleted in the current
    transaction (savepoints included, and the counts survive their rollback). A table with
    no new writes is unchanged; a table with some is checksummed and compared with the
    checksum taken of every table at the start, so a write that put back what was there
    (signing in, say) does not count as a change.
    """

    def __init__(self):
        self.baseline = snapshot()
        self.mark = _writes()

    def since_last(self) -> list[str]:
        """Tables whose rows now differ from the start, among those written since last asked.

        Call it inside the savepoint, before it is rolled back.
        """
        now = _writes()
        written = sorted(
            name
            for name, count in now.items()
            if count != self.mark.get(name, 0) and name not in IGNORED_TABLES
        )
        self.mark = now
        if not written:
            return []
        current = snapshot(written)
        return [name for name in written if current[name] != self.baseline.get(name)]


# --- CSRF ---------------------------------------------------------------------------------

CSRF_REFUSED_HEADER = "X-Test-Csrf-Refused"


def csrf_refused(request, reason=""):
    """Stands in for Django's CSRF failure view in tests, so a refusal is told from a 403."""
    from django.http import HttpResponseForbidden

    response = HttpResponseForbidden("CSRF check failed")
    response[CSRF_REFUSED_HEADER] = reason or "refused"
    return response
