"""Who may open what, and who may change what: the access-control matrix (issue #10, part 3).

Pretix style: ONE table, `MATRIX`, has a row for every URL pattern the site serves (the
admin's are covered by one rule, `admin_expected`), giving the answer each role gets. The
resolver is walked, and a pattern without a row, or a row without a pattern, fails the
suite, so a new URL cannot ship unclassified.

Every cell is checked with a real request against one shared world (`acl_world`): a GET for
pages, the POST answer for POST-only endpoints, and both for forms. Each POST runs in a
savepoint that is rolled back, and `acl_world.Changes` says which tables it changed (every
table written to is checksummed and compared with the start), so the same sweep proves that
a refused POST changed nothing and that an allowed one (`ok(...)`) really did change
something, which shows its POST data was good enough to have worked.

The same sweep GETs every URL as every role and shows that no GET changes any row. Allowed
to change: sessions (`django_session`, and they are signed cookies here anyway) and
`last_login`; the rate-limit counters live in the cache, not the database.

How to read a cell:
    200, 403, 404, 405, 503  that status (503: past every check, then Stripe is unreachable)
    L                        302 to the sign-in page      J   302 to /join/ ("members only")
    "->/path/"               a redirect to that path ("*" at the end: to a path under it)
    ok(x)                    answer x, and this role's POST changed the database
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from tests.members.factories import PASSWORD
from tests.security import acl_world
from tests.security.acl_world import ROLES, client_for, one_request

pytestmark = pytest.mark.django_db

L = "login"
J = "join"


class ok(str):  # lower case: it reads as a marker in the table
    """This role may make this POST, and it changes the database."""

    __slots__ = ()


@dataclass(frozen=True)
class Row:
    kwargs: str = ""
    get: tuple | None = None
    post: tuple | None = None
    data: dict | None = None


def page(kwargs: str, *cells) -> Row:
    """A page: the GET answer for each role."""
    return Row(kwargs, get=cells)


def action(kwargs: str, *cells, data: dict | None = None) -> Row:
    """A POST-only endpoint: the POST answer for each role."""
    return Row(kwargs, post=cells, data=data or {})


def form(kwargs: str, get: tuple, post: tuple, data: dict) -> Row:
    """A page with a form: the GET answer and the POST answer for each role."""
    return Row(kwargs, get=get, post=post, data=data)


# Redirect targets used in many rows.
MFA_SETUP = "->/accounts/2fa/totp/activate/"
SIGNED_IN = "->/"  # allauth's "you're signed in already": the signed-in home
REAUTH = "->/accounts/reauthenticate/"  # allauth's "confirm it's you" before MFA changes
REAUTH_CODE = "->/accounts/reauthenticate/code/"  # no code asked for yet
PW_CHANGE = "->/accounts/password/change/"
INTROS = "->/members/intros/"
GROUP = "->/groups/{group}/"
THREAD = "->/groups/{group}/threads/{thread}/"
EVENT = "->/events/{event}/"
DRAFT = "->/events/{draft}/"
OFFER = "->/discounts/{offer}/"
MINE = "->/events/mine/"
EXPERT_REQUESTS = "->/experts/requests/"
WELCOME_GROUPS = "->/welcome/groups/"

_later = timezone.localtime() + timedelta(days=20)
EVENT_FORM = {
    "title": "Spring breakfast",
    "group": "{group_pk}",
    "description": "Coffee and talk.",
    "starts_at": _later.strftime("%Y-%m-%dT%H:%M"),
    "ends_at": (_later + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
    "venue_name": "The Exchange",
    "venue_address": "1 Call Lane, Leeds",
    "city": "Leeds",
    "capacity": "30",
    "guests_allowed": "0",
    "is_published": "on",
}
# A passkey's answer that no authenticator signed (braces doubled: the data is a format string).
MADE_UP_PASSKEY = '{{"type": "public-key", "id": "bm90LWEta2V5"}}'
NEW_PASSWORD = "a-brand-new-long-passphrase"  # pragma: allowlist secret (a test password)

# fmt: off
MATRIX: dict[str, Row] = {
    # Columns: anonymous, non_member, member, lapsed, organiser, other_organiser, staff,
    # staff_no_mfa
    # --- Site ----------------------------------------------------------------------------
    "home":    page("", 200, 200, 200, 200, 200, 200, 200, 200),
    "healthz": page("", 200, 200, 200, 200, 200, 200, 200, 200),
    # --- allauth: signing in and the account ---------------------------------------------
    "account_login":  page("", 200, SIGNED_IN, SIGNED_IN, SIGNED_IN, SIGNED_IN, SIGNED_IN,
                           SIGNED_IN, SIGNED_IN),
    "account_logout": page("", "->/", 200, 200, 200, 200, 200, 200, 200),
    "account_inactive": page("", 200, 200, 200, 200, 200, 200, 200, 200),
    # Signing up is for people who are not signed in.
    "account_signup": form(
        "",
        get=(200, SIGNED_IN, SIGNED_IN, SIGNED_IN, SIGNED_IN, SIGNED_IN, SIGNED_IN, SIGNED_IN),
        post=(ok("->/accounts/confirm-email/"), *[SIGNED_IN] * 7),
        data={"display_name": "Brand New", "email": "brand.new@example.net",
              "password1": NEW_PASSWORD,
              "password2": NEW_PASSWORD}),
    "account_reauthenticate": page("", L, 200, 200, 200, 200, 200, 200, 200),
    # allauth 65.22: "confirm it's you" with a code sent by email instead of the password.
    "account_request_reauthentication_code": page("", L, 200, 200, 200, 200, 200, 200, 200),
    "account_confirm_reauthentication_code": page("", L, *[REAUTH_CODE] * 7),
    # allauth refuses a new address on an account with two-factor authentication (staff).
    "account_email": form(
        "",
        get=(L, 200, 200, 200, 200, 200, 200, 200),
        post=(L, *[ok("->/accounts/email/")] * 5, 200, ok("->/accounts/email/")),
        data={"action_add": "", "email": "second.address@example.net"}),
    "account_email_verification_sent": page("", 200, 200, 200, 200, 200, 200, 200, 200),
    "account_change_password": form(
        "",
        get=(L, 200, 200, 200, 200, 200, 200, 200),
        post=(L, *[ok(PW_CHANGE)] * 7),
        data={"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}),
    # Everyone here has a password already, so may only change it.
    "account_set_password": form(
        "",
        get=(L, *[PW_CHANGE] * 7),
        post=(L, *[PW_CHANGE] * 7),
        data={"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}),
    "account_reset_password": page("", 200, 200, 200, 200, 200, 200, 200, 200),
    # Sign-in by an emailed code: the owner's way in that failed passwords never block.
    "account_request_login_code": page("", 200, SIGNED_IN, SIGNED_IN, SIGNED_IN, SIGNED_IN,
                                       SIGNED_IN, SIGNED_IN, SIGNED_IN),
    # No code asked for yet: back to asking for one.
    "account_confirm_login_code": page("", "->/accounts/login/code/", SIGNED_IN, SIGNED_IN,
                                       SIGNED_IN, SIGNED_IN, SIGNED_IN, SIGNED_IN, SIGNED_IN),
    # The key in the link is the permission: whoever holds it confirms that address.
    "account_confirm_email": form(
        "key={email_key}",
        get=(200, 200, 200, 200, 200, 200, 200, 200),
        post=(*[ok("->/accounts/login/")] * 8,),
        data={}),
    "account_reset_password_from_key_done": page("", 200, 200, 200, 200, 200, 200, 200, 200),
    "account_reset_password_from_key": page(
        "uidb36={reset_uid},key={reset_key}",
        *["->/accounts/password/reset/key/{reset_uid}-set-password/"] * 8),
    "account_reset_password_done": page("", 200, 200, 200, 200, 200, 200, 200, 200),
    # --- allauth: two-factor authentication ----------------------------------------------
    "mfa_index":                   page("", L, 200, 200, 200, 200, 200, 200, 200),
    "mfa_authenticate":            page("", L, SIGNED_IN, SIGNED_IN, SIGNED_IN, SIGNED_IN,
                                        SIGNED_IN, SIGNED_IN, SIGNED_IN),
    "mfa_view_recovery_codes":     page("", L, 404, 404, 404, 404, 404, 404, 404),
    # Changing two-factor settings needs a fresh "confirm it's you", which nobody here has
    # given; a wrong code changes nothing either.
    "mfa_reauthenticate": form(
        "",
        get=(L, *[REAUTH] * 5, 200, REAUTH),
        post=(L, *[REAUTH] * 5, 200, REAUTH),
        data={"code": "000000"}),
    # Staff without a second factor add one only from the session that opened the link
    # mailed to them: here, a page saying so, and a refused activation.
    "mfa_activate_totp": form(
        "",
        get=(L, *[REAUTH] * 6, 200),
        post=(L, *[REAUTH] * 6, 403),
        data={"code": "000000"}),
    "mfa_deactivate_totp": form(
        "",
        get=(L, *[404] * 5, REAUTH, 404),
        post=(L, *[404] * 5, REAUTH, 404),
        data={}),
    "mfa_generate_recovery_codes": form(
        "",
        get=(L, *[REAUTH] * 7),
        post=(L, *[REAUTH] * 7),
        data={}),
    "mfa_download_recovery_codes": page("", L, 404, 404, 404, 404, 404, 404, 404),
    # Passkeys (WebAuthn). Adding one is a change to how you sign in: a fresh "confirm it's
    # you" first, and for staff without a second factor only from their emailed link.
    "mfa_list_webauthn": page("", L, 200, 200, 200, 200, 200, 200, 200),
    "mfa_add_webauthn": form(
        "",
        get=(L, *[REAUTH] * 6, 200),
        post=(L, *[REAUTH] * 6, 403),
        data={"name": "My phone", "credential": MADE_UP_PASSKEY}),
    "mfa_edit_webauthn": form(
        "pk=999999",
        get=(L, *[REAUTH] * 7),
        post=(L, *[REAUTH] * 7),
        data={"name": "Renamed"}),
    "mfa_remove_webauthn": form(
        "pk=999999",
        get=(L, *[REAUTH] * 7),
        post=(L, *[REAUTH] * 7),
        data={}),
    # Nobody here has a passkey: "confirm it's you" another way.
    "mfa_reauthenticate_webauthn": form(
        "",
        get=(L, *[REAUTH] * 7),
        post=(L, *[REAUTH] * 7),
        data={"credential": MADE_UP_PASSKEY}),
    # Signing in with a passkey alone: a page asks it for its options by fetch; a browser
    # that opens it is sent to the sign-in page, and a made-up passkey is refused.
    "mfa_login_webauthn": form(
        "",
        get=("->/accounts/login/", *[SIGNED_IN] * 7),
        post=("->/accounts/login/", *[SIGNED_IN] * 7),
        data={"credential": MADE_UP_PASSKEY}),
    # --- Members: profile, directory, introductions --------------------------------------
    # Saved; then on to pick interests, unless they have enough (the member does).
    "members:profile": form(
        "",
        get=(L, 200, 200, 200, 200, 200, 200, 200),
        post=(L, ok("->/settings/interests/"), ok("->/settings/profile/"),
              *[ok("->/settings/interests/")] * 5),
        data={"display_name": "A New Name", "handle": "{my_handle}", "city": "York"}),
    # On the way in (not a member), saving interests leads to the groups that share them.
    "members:interests": form(
        "",
        get=(L, 200, 200, 200, 200, 200, 200, 200),
        post=(L, ok(WELCOME_GROUPS), ok("->/settings/interests/"), ok(WELCOME_GROUPS),
              ok("->/settings/interests/"), ok("->/settings/interests/"), ok(WELCOME_GROUPS),
              ok(WELCOME_GROUPS)),
        data={"interests": ["{interest4}", "{interest5}", "{interest6}"]}),
    "members:directory": page("", L, J, 200, J, 200, 200, J, J),
    "members:detail": page("handle={target_handle}", L, J, 200, J, 200, 200, J, J),
    # The member has asked the target already: the page leads to that waiting request, and
    # asking again changes nothing.
    "members:intro_request": form(
        "handle={target_handle}",
        get=(L, J, INTROS, J, 200, 200, J, J),
        post=(L, J, INTROS, J, ok(INTROS), ok(INTROS), J, J),
        data={"note": "Shall we have coffee?", "sender_contact": "07700 900123"}),
    "members:intros": page("", L, 200, 200, 200, 200, 200, 200, 200),
    # The member's own requests: the one they sent, and the one they received.
    "members:intro_withdraw": action("pk={intro_out}", L, 404, ok(INTROS), 404, 404, 404, 404, 404),
    "members:intro_answer": action("pk={intro_in},answer=accept",
                                   L, 404, ok(INTROS), 404, 404, 404, 404, 404,
                                   data={"recipient_contact": "07700 900999"}),
    # --- Members: joining and billing (Stripe is unreachable in this sweep) ---------------
    "billing:join": form(
        "",
        get=(L, 200, 200, 200, 200, 200, 200, 200),
        post=(L, 503, "->/billing/", 503, "->/billing/", "->/billing/", 503, 503),
        data={}),
    "billing:join_success": page("", L, 200, 200, 200, 200, 200, 200, 200),
    "billing:detail": page("", L, 200, 200, 200, 200, 200, 200, 200),
    "billing:membership_status": page("", L, 200, 200, 200, 200, 200, 200, 200),
    "billing:portal": action("", L, J, 503, 503, 503, 503, J, J),
    # Nobody here is cancelling at the period's end: nothing to resume, nothing changes.
    "billing:resume": action("", L, *["->/billing/"] * 7),
    # Signed by Stripe, not by a session: an unsigned POST is refused whoever sends it.
    "billing:webhook": action("", 400, 400, 400, 400, 400, 400, 400, 400),
    # --- Members: email choices; in the emailed links the signed token is the permission --
    "mail:settings": form(
        "",
        get=(L, 200, 200, 200, 200, 200, 200, 200),
        post=(L, *[ok("->/settings/email/")] * 7),
        data={"frequency": "weekly", "event_invites": "on"}),
    "mail:stream_confirm": form(
        "token={confirm_token}",
        get=(200, 200, 200, 200, 200, 200, 200, 200),
        post=(*[ok(200)] * 8,),
        data={}),
    "mail:unsubscribe": form(
        "token={unsubscribe_token}",
        get=(200, 200, 200, 200, 200, 200, 200, 200),
        post=(*[ok(200)] * 8,),
        data={"List-Unsubscribe": "One-Click"}),
    # --- Members: staff setting up their second factor ------------------------------------
    # The link mailed to staff_no_mfa: nobody else's account may use it. GET shows a button;
    # the POST uses it once and opens enrolment for that session.
    "members:staff_enrol": form(
        "token={staff_enrol_token}",
        get=(L, *[404] * 6, 200),
        post=(L, *[404] * 6, ok("->/accounts/2fa/totp/activate/")),
        data={}),
    # A fresh link, mailed only to staff without a second factor; everyone else is sent back.
    # staff_no_mfa has just been sent one, so asking again changes nothing for a few minutes.
    "members:staff_enrolment_resend": action("", L, *[MFA_SETUP] * 7),
    # --- Groups -------------------------------------------------------------------------
    "groups:list": page("", 200, 200, 200, 200, 200, 200, 200, 200),
    "groups:detail": page("slug={group}", 200, 200, 200, 200, 200, 200, 200, 200),
    "groups:members": page("slug={group}", L, J, 200, J, 200, 200, J, J),
    "groups:propose": form(
        "",
        get=(L, J, 200, J, 200, 200, J, J),
        post=(L, J, ok("->/groups/propose/"), J, ok("->/groups/propose/"),
              ok("->/groups/propose/"), J, J),
        data={"name": "Harrogate Makers", "summary": "Makers meeting monthly.",
              "details": "Pub back room.", "city": "Harrogate", "interests": ["{interest}"]}),
    # In the group already (member, organiser), or not (other organiser).
    "groups:join": action("slug={group}", L, J, GROUP, J, GROUP, ok(GROUP), J, J),
    # The organiser is the group's last organiser, so may not leave it.
    "groups:leave": action("slug={group}", L, J, ok(GROUP), J, GROUP, GROUP, J, J),
    "groups:thread_create": form(
        "slug={group}",
        get=(L, J, 200, J, 200, GROUP, J, J),
        post=(L, J, ok(THREAD.replace("{thread}/", "*")), J,
              ok(THREAD.replace("{thread}/", "*")), GROUP, J, J),
        data={"title": "Anyone for lunch?", "body": "Thursday at one?"}),
    "groups:thread": form(
        "slug={group},pk={thread}",
        get=(L, J, 200, J, 200, 200, J, J),
        post=(L, J, ok(THREAD), J, ok(THREAD), THREAD, J, J),
        data={"body": "Count me in."}),
    # The member already follows the thread (the unfollow link below needs that).
    "groups:follow": action("slug={group},pk={thread}",
                            L, J, THREAD, J, ok(THREAD), THREAD, J, J, data={"follow": "1"}),
    "groups:report": action("slug={group},pk={post}",
                            L, J, ok(THREAD), J, ok(THREAD), ok(THREAD), J, J,
                            data={"reason": "spam"}),
    # Moderation is for the group's organisers; staff moderate in the admin.
    "groups:hide": action("slug={group},pk={post}",
                          L, J, 403, J, ok(THREAD), 403, J, J, data={"reason": "off_topic"}),
    # A hidden post is not there at all for those who may not moderate it.
    "groups:restore": action("slug={group},pk={hidden}", L, J, 404, J, ok(THREAD), 404, J, J),
    "groups:unfollow": form(
        "token={unfollow_token}",
        get=(200, 200, 200, 200, 200, 200, 200, 200),
        post=(*[ok(200)] * 8,),
        data={}),
    # --- Events: browsing and replying -------------------------------------------------
    "events:list": page("", 200, 200, 200, 200, 200, 200, 200, 200),
    "events:detail": page("slug={event}", 200, 200, 200, 200, 200, 200, 200, 200),
    "events:ics": page("slug={event}", 200, 200, 200, 200, 200, 200, 200, 200),
    # Yes needs an active membership; the member has said yes already.
    "events:rsvp": action("slug={event}",
                          L, J, EVENT, J, ok(EVENT), ok(EVENT), J, J, data={"response": "yes"}),
    # The member's own "I can't come" link and private calendar address.
    "events:release": form(
        "token={release_token}",
        get=(200, 200, 200, 200, 200, 200, 200, 200),
        post=(*[ok(200)] * 8,),
        data={}),
    "events:feed": page("token={feed_token}", 200, 200, 200, 200, 200, 200, 200, 200),
    "events:mine": page("", L, 200, 200, 200, 200, 200, 200, 200),
    # The member has a calendar address already; everyone else gets one made.
    "events:calendar_create": action("", L, ok(MINE), MINE, ok(MINE), ok(MINE), ok(MINE),
                                     ok(MINE), ok(MINE)),
    "events:calendar_reset": action("", L, *[ok(MINE)] * 7),
    # --- Events: organising (this group's organisers and staff) --------------------------
    "events:create": form(
        "",
        get=(L, 403, 403, 403, 200, 200, 200, 403),
        # The other organiser may create events, but not in this group.
        post=(L, 403, 403, 403, ok("->/events/*"), 200, ok("->/events/*"), 403),
        data=EVENT_FORM),
    "events:edit": form(
        "slug={event}",
        get=(L, 403, 403, 403, 200, 403, 200, 403),
        post=(L, 403, 403, 403, ok("->/events/{event}/message/"), 403,
              ok("->/events/{event}/message/"), 403),
        data=EVENT_FORM),
    # A draft is not there at all for anyone who may not manage it.
    "events:publish": action("slug={draft}", L, 404, 404, 404, ok(DRAFT), 404, ok(DRAFT), 404),
    "events:cancel": form(
        "slug={event}",
        get=(L, 403, 403, 403, 200, 403, 200, 403),
        post=(L, 403, 403, 403, ok(EVENT), 403, ok(EVENT), 403),
        data={"reason": "The venue flooded.", "confirm": "on"}),
    "events:attendees": page("slug={event}", L, 403, 403, 403, 200, 403, 200, 403),
    "events:attendees_csv": page("slug={event}", L, 403, 403, 403, 200, 403, 200, 403),
    "events:checkin": page("slug={event}", L, 403, 403, 403, 200, 403, 200, 403),
    "events:checkin_mark": action("slug={event},rsvp_id={rsvp}",
                                  L, 403, 403, 403, ok("->/events/{event}/checkin/"), 403,
                                  ok("->/events/{event}/checkin/"), 403,
                                  data={"mark": "attended"}),
    "events:message": form(
        "slug={event}",
        get=(L, 403, 403, 403, 200, 403, 200, 403),
        post=(L, 403, 403, 403, ok(EVENT), 403, ok(EVENT), 403),
        data={"subject": "Room change", "body": "We're in room 2 now."}),
    "events:invite": form(
        "slug={event}",
        get=(L, 403, 403, 403, 200, 403, 200, 403),
        post=(L, 403, 403, 403, ok("->/events/{event}/invite/"), 403,
              ok("->/events/{event}/invite/"), 403),
        data={"addresses": "a.friend@example.net", "action": "send"}),
    # --- Experts ------------------------------------------------------------------------
    "experts:list": page("", 200, 200, 200, 200, 200, 200, 200, 200),
    "experts:detail": page("slug={expert}", 200, 200, 200, 200, 200, 200, 200, 200),
    "experts:request": form(
        "slug={expert}",
        get=(L, J, 200, J, 200, 200, J, J),
        post=(L, J, ok(EXPERT_REQUESTS), J, ok(EXPERT_REQUESTS), ok(EXPERT_REQUESTS), J, J),
        data={"event_name": "Leeds breakfast", "event_date": "{in_60_days}", "town": "Leeds",
              "audience": "30", "topic": "Hiring your first person",
              "message": "We meet monthly; about thirty owners come along."}),
    "experts:requests": page("", L, 200, 200, 200, 200, 200, 200, 200),
    "experts:request_withdraw": action("pk={expert_request}",
                                       L, 404, ok(EXPERT_REQUESTS), 404, 404, 404, 404, 404),
    # --- Discounts ----------------------------------------------------------------------
    "discounts:list": page("", 200, 200, 200, 200, 200, 200, 200, 200),
    "discounts:detail": page("slug={offer}", 200, 200, 200, 200, 200, 200, 200, 200),
    # The member has their code already: asking again gives the same one.
    "discounts:redeem": form(
        "slug={offer}",
        get=(L, J, OFFER, J, OFFER, OFFER, J, J),
        post=(L, J, OFFER, J, ok(OFFER), ok(OFFER), J, J),
        data={}),
    "discounts:mine": page("", L, 200, 200, 200, 200, 200, 200, 200),
    # The partner's secret page: the token is the permission, no sign-in.
    "discounts:partner_verify": form(
        "token={partner_token}",
        get=(200, 200, 200, 200, 200, 200, 200, 200),
        post=(*[ok(200)] * 8,),
        data={"code": "{code}", "action": "use"}),
    # --- Privacy ------------------------------------------------------------------------
    # Deleting cancels a live Stripe subscription first; with Stripe unreachable, only the
    # accounts without one (never paid, cancelled, staff) are actually deleted.
    "privacy:settings": form(
        "",
        get=(L, 200, 200, 200, 200, 200, 200, 200),
        post=(L, ok(200), "->/settings/privacy/", ok(200),
              "->/settings/privacy/", "->/settings/privacy/", ok(200), ok(200)),
        data={"password": PASSWORD, "confirm": "on"}),
    "privacy:export": page("", L, 200, 200, 200, 200, 200, 200, 200),
    # --- The way in: groups to choose before joining (non_member has picked `group`, and
    # other_organiser picked it before paying) -------------------------------------------
    "home:groups": page("", L, 200, 200, 200, 200, 200, 200, 200),
    # A member joins at once (already in it: nothing changes); anyone else adds it to a list.
    "home:group_choose": action("slug={group}", L, WELCOME_GROUPS, WELCOME_GROUPS,
                                ok(WELCOME_GROUPS), WELCOME_GROUPS, ok(WELCOME_GROUPS),
                                ok(WELCOME_GROUPS), ok(WELCOME_GROUPS)),
    "home:group_unchoose": action("slug={group}", L, ok(WELCOME_GROUPS), WELCOME_GROUPS,
                                  WELCOME_GROUPS, WELCOME_GROUPS, ok(WELCOME_GROUPS),
                                  WELCOME_GROUPS, WELCOME_GROUPS),
    "home:picks_join": action("", L, J, "->/", J, "->/", ok("->/"), J, J),
}
# fmt: on


# --- The admin: one rule for every admin/ pattern ------------------------------------------

ADMIN_ROLES = (*ROLES, "staff_password_only")
# The admin tells people apart only by `is_staff` and, for staff, the second factor: POSTs
# are made by one person down each way it turns people away (member, lapsed and the
# organisers are signed-in non-staff exactly like non_member; their GETs are all made).
ADMIN_REFUSED_POSTERS = ("anonymous", "non_member", "staff_no_mfa", "staff_password_only")
MFA_AGAIN = "->/accounts/2fa/reauthenticate/"
STAFF_WITHOUT_MFA = ("staff_no_mfa", "staff_password_only")
STAFF_PASSES = "staff passes"  # not turned away to sign in or to MFA; no server error


def admin_expected(pattern: acl_world.Pattern, role: str):
    """Every admin page is for staff who signed in with their second factor, and no one else."""
    if role == "staff":
        return 200 if _admin_listing(pattern.route) else STAFF_PASSES
    if role == "staff_no_mfa":
        return MFA_SETUP
    if role == "staff_password_only":
        return MFA_AGAIN
    if pattern.route == "admin/logout/":
        return "->/admin/"
    if pattern.route == "admin/login/":
        return "->/accounts/login/" if role == "anonymous" else 403
    return "->/admin/login/"


def _admin_listing(route: str) -> bool:
    """The index, each app's page and each model's list: these must open for staff."""
    return (
        route == "admin/"
        or "(?P<app_label>" in route
        or bool(re.fullmatch(r"admin/\w+/\w+/", route))
    )


# --- Filling in the table ------------------------------------------------------------------


def check(cell, response, values: dict) -> bool:
    """Does the response match the expected cell?"""
    expected = str(cell)
    location = urlsplit(response.get("Location", "")).path
    redirected = response.status_code in (301, 302, 303)
    if expected == L:
        return redirected and location == reverse("account_login")
    if expected == J:
        return redirected and location == reverse("billing:join")
    if expected == STAFF_PASSES:
        return response.status_code < 500 and not (
            redirected and location.startswith(("/admin/login/", "/accounts/"))
        )
    if expected.startswith("->"):
        target = acl_world.fill(expected[2:], values)
        if target.endswith("*"):
            return redirected and location.startswith(target[:-1])
        return redirected and location == target
    return response.status_code == int(expected)


def describe(response) -> str:
    location = response.get("Location", "")
    return f"{response.status_code} {location}".strip()


@dataclass
class Answer:
    url: str
    got: str
    expected: object
    matches: bool
    changed: list[str]  # tables a POST changed (inside its rolled-back savepoint)


# --- The sweep: every cell, once ----------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from acl_world.world_in_transaction(django_db_blocker)


@pytest.fixture(scope="module")
def sweep(world, django_db_blocker):
    with django_db_blocker.unblock():
        return run_sweep(world)


def run_sweep(world) -> tuple[dict[tuple[str, str, str], Answer], list[str]]:
    """Make every request of the matrix once; the tests below read the answers.

    Each URL's GETs (one per role) run in a savepoint that is rolled back afterwards
    (allauth's password-reset link signs out whoever opens it, for one); each POST runs
    alone in a savepoint that is rolled back. After every request `Changes` says which
    tables it changed.
    """
    answers: dict[tuple[str, str, str], Answer] = {}
    get_changes: list[str] = []
    # Stripe is a closed port: starting a checkout or the portal fails fast with a 503.
    with override_settings(STRIPE_API_BASE="http://127.0.0.1:9"):
        changes = acl_world.Changes()
        for name, row in MATRIX.items():
            # POST-only: the GET is still made (it must change nothing), but not graded.
            cells = row.get or (None,) * len(ROLES)
            url = acl_world.fill_url(name, row.kwargs, world.ids)
            with one_request():
                for role, cell in zip(ROLES, cells, strict=True):
                    response = client_for(world, role).get(url)
                    matches = cell is None or check(
                        cell, response, acl_world.role_values(world, role)
                    )
                    answers[(name, "GET", role)] = Answer(
                        url, describe(response), cell, matches, []
                    )
                    if changed := changes.since_last():
                        get_changes.append(f"GET {url} as {role} changed {changed}")
        # Everyone but staff is refused, and nothing changes, even on "yes, delete it".
        refused_post = {"post": "yes", "action": "delete_selected", "_selected_action": ["1"]}
        for pattern in acl_world.all_patterns():
            if not pattern.is_admin:
                continue
            url = acl_world.admin_url(pattern, world)
            with one_request():
                for role in ADMIN_ROLES:
                    response = client_for(world, role).get(url)
                    cell = admin_expected(pattern, role)
                    answers[(pattern.route, "GET", role)] = Answer(
                        url, describe(response), cell, check(cell, response, world.ids), []
                    )
                if changed := changes.since_last():
                    get_changes.append(f"GET {url} (as each role) changed {changed}")
                posts = []
                for role in ADMIN_REFUSED_POSTERS:
                    response = client_for(world, role).post(url, refused_post)
                    cell = admin_expected(pattern, role)
                    matches = check(cell, response, world.ids)
                    answer = Answer(url, describe(response), cell, matches, [])
                    answers[(pattern.route, "POST", role)] = answer
                    posts.append(answer)
                # Counted once for the lot (any change fails every one of them).
                if changed := changes.since_last():
                    for answer in posts:
                        answer.changed = changed
        for name, row in MATRIX.items():
            if row.post is None:
                continue
            for role, cell in zip(ROLES, row.post, strict=True):
                values = acl_world.role_values(world, role)
                url = acl_world.fill_url(name, row.kwargs, values)
                with one_request():
                    response = client_for(world, role).post(
                        url, acl_world.fill_data(row.data, values)
                    )
                    changed = changes.since_last()
                answers[(name, "POST", role)] = Answer(
                    url, describe(response), cell, check(cell, response, values), changed
                )
    return answers, get_changes


# --- The tests ------------------------------------------------------------------------------


def test_every_url_pattern_has_a_row_and_every_row_a_pattern():
    patterns = [p for p in acl_world.all_patterns() if not p.is_admin]
    unnamed = [p.route for p in patterns if not p.name]
    names = [p.name for p in patterns]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    missing = sorted(set(names) - set(MATRIX))
    stale = sorted(set(MATRIX) - set(names))

    assert not unnamed, f"URL patterns without a name cannot have a row: {unnamed}"
    assert not duplicated, f"URL names used twice: {duplicated}"
    assert not missing, f"URL patterns with no row in MATRIX (add one): {missing}"
    assert not stale, f"MATRIX rows for URLs that no longer exist: {stale}"
    for name, row in MATRIX.items():
        for cells in (row.get, row.post):
            assert cells is None or len(cells) == len(ROLES), name
    # The admin rule covers what it claims to: every admin pattern and nothing else.
    admin = [p for p in acl_world.all_patterns() if p.is_admin]
    assert len(admin) > 100
    assert all(p.route.startswith("admin/") for p in admin)


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(sweep, role):
    answers, _ = sweep
    wrong = [
        f"{method} {answer.url}: expected {answer.expected!s}, got {answer.got}"
        for (_name, method, who), answer in answers.items()
        if who == role and not answer.matches
    ]
    assert not wrong, f"{len(wrong)} cells wrong for {role}:\n" + "\n".join(wrong)


def test_admin_is_for_staff_who_used_their_second_factor(sweep):
    answers, _ = sweep
    wrong = [
        f"{method} {answer.url} as {role}: expected {answer.expected!s}, got {answer.got}"
        for (route, method, role), answer in answers.items()
        if route.startswith("admin/") and role in STAFF_WITHOUT_MFA and not answer.matches
    ]
    wrong += [
        f"POST {answer.url} as staff without MFA changed {answer.changed}"
        for (route, _method, role), answer in answers.items()
        if route.startswith("admin/") and role in STAFF_WITHOUT_MFA and answer.changed
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("role", ROLES)
def test_a_refused_post_changes_nothing_and_an_allowed_one_does(sweep, role):
    answers, _ = sweep
    problems = []
    for (_name, method, who), answer in answers.items():
        if method != "POST" or who != role:
            continue
        if isinstance(answer.expected, ok) and not answer.changed:
            problems.append(f"POST {answer.url} was allowed but changed nothing ({answer.got})")
        if not isinstance(answer.expected, ok) and answer.changed:
            problems.append(f"POST {answer.url} ({answer.got}) changed {answer.changed}")
    assert not problems, "\n".join(problems)


def test_no_get_changes_the_database(sweep):
    """GET every URL as every role: no row in any table changes.

    Not counted: `django_session` (signing in) and `last_login`; the rate-limit counters
    live in Redis, not the database.
    """
    _answers, get_changes = sweep
    assert not get_changes, "\n".join(get_changes)


def test_the_sweep_made_every_request(sweep):
    answers, _ = sweep
    gets = sum(1 for (_n, method, _r) in answers if method == "GET")
    posts = sum(1 for (_n, method, _r) in answers if method == "POST")
    rows_with_posts = sum(1 for row in MATRIX.values() if row.post is not None)
    admin_patterns = sum(1 for p in acl_world.all_patterns() if p.is_admin)
    assert posts == rows_with_posts * len(ROLES) + admin_patterns * len(ADMIN_REFUSED_POSTERS)
    assert gets > len(MATRIX) * len(ROLES)


# --- Another member's things, another group's things ----------------------------------------

# (who, method, URL name, kwargs, data): each must answer 404 and change nothing.
NOT_YOURS = [
    # The member's introduction requests: the one they sent and the one they received. The
    # other party (target) may not act for them either.
    *[
        (who, "POST", "members:intro_withdraw", "pk={intro_out}", {})
        for who in ("target", "non_member", "lapsed", "organiser", "other_organiser", "staff")
    ],
    *[
        (who, "POST", "members:intro_answer", f"pk={{intro_in}},answer={answer}", {})
        for who in ("target", "non_member", "organiser", "other_organiser", "staff")
        for answer in ("accept", "decline")
    ],
    # The member's expert request.
    *[
        (who, "POST", "experts:request_withdraw", "pk={expert_request}", {})
        for who in ("target", "non_member", "lapsed", "organiser", "other_organiser", "staff")
    ],
    # RSVPs: an organiser marks only their own event's replies, through their own event.
    ("organiser", "POST", "events:checkin_mark", "slug={event},rsvp_id={other_rsvp}",
     {"mark": "attended"}),
    ("other_organiser", "POST", "events:checkin_mark", "slug={other_event},rsvp_id={rsvp}",
     {"mark": "attended"}),
    # Posts belong to their group: another group's organiser can't reach them through theirs.
    ("other_organiser", "POST", "groups:hide", "slug={other_group},pk={post}",
     {"reason": "off_topic"}),
    ("other_organiser", "POST", "groups:restore", "slug={other_group},pk={hidden}", {}),
    ("other_organiser", "GET", "groups:thread", "slug={other_group},pk={thread}", {}),
    # A draft is not there for anyone but its group's organisers and staff.
    *[
        (who, "GET", name, "slug={draft}", {})
        for who in ("member", "other_organiser")
        for name in ("events:detail", "events:ics", "events:edit", "events:attendees",
                     "events:attendees_csv", "events:checkin", "events:message")
    ],
    # Links from emails: the signature is checked, and a correctly signed link for someone
    # else's reply does not work either.
    ("target", "POST", "events:release", "token={release_token_for_target}", {}),
    ("anonymous", "POST", "events:release", "token={release_token}x", {}),
    ("anonymous", "POST", "mail:unsubscribe", "token={unsubscribe_token}x", {}),
    ("anonymous", "POST", "mail:stream_confirm", "token={confirm_token}x", {}),
    ("anonymous", "POST", "groups:unfollow", "token={unfollow_token}x", {}),
    ("anonymous", "GET", "events:feed", "token={feed_token}x", {}),
    ("anonymous", "POST", "discounts:partner_verify", "token={partner_token}x",
     {"code": "{code}", "action": "use"}),
]  # fmt: skip


def test_another_members_things_answer_404_and_stay_as_they_were(world, django_db_blocker):
    wrong = []
    with django_db_blocker.unblock():
        changes = acl_world.Changes()
        for who, method, name, kwargs, data in NOT_YOURS:
            values = acl_world.role_values(world, who)
            url = acl_world.fill_url(name, kwargs, values)
            with one_request():
                client = client_for(world, who)
                if method == "POST":
                    response = client.post(url, acl_world.fill_data(data, values))
                else:
                    response = client.get(url)
                changed = changes.since_last()
            if response.status_code != 404 or changed:
                wrong.append(f"{method} {url} as {who}: {describe(response)}, changed {changed}")
    assert not wrong, "\n".join(wrong)


# Things only the member should ever see, and the pages other people might see them on.
THEIRS = {
    "their discount code": "{code}",
    "their introduction note": "Coffee?",
    "their calendar address": "{feed_token}",
    "their expert request": "{expert_request_event}",
    "their email address": "alice.member@example.org",
}
PAGES = [
    "members:intros", "experts:requests", "discounts:mine", "events:mine", "privacy:export",
    "mail:settings", "billing:detail", "home",
]  # fmt: skip


def test_nobody_else_sees_the_members_codes_notes_or_requests(world, django_db_blocker):
    seen = []
    with django_db_blocker.unblock():
        offer_page = acl_world.fill_url("discounts:detail", "slug={offer}", world.ids)
        urls = [reverse(name) for name in PAGES] + [offer_page]
        for who in ("non_member", "lapsed", "organiser", "other_organiser", "staff"):
            for url in urls:
                with one_request():
                    body = client_for(world, who).get(url).content.decode()
                for label, secret in THEIRS.items():
                    if acl_world.fill(secret, world.ids) in body:
                        seen.append(f"{who} sees {label} on {url}")
        # The control: the member does see their own, on their own pages.
        with one_request():
            mine = client_for(world, "member").get(reverse("discounts:mine")).content.decode()
    assert not seen, "\n".join(seen)
    assert world.ids["code"] in mine


def test_the_change_detector_sees_a_write_and_ignores_a_rewrite(world, django_db_blocker):
    """The checks above are only as good as `Changes`: show it is not blind."""
    from events.models import Event

    event = world.objects["event"]
    with django_db_blocker.unblock():
        changes = acl_world.Changes()
        with one_request():
            Event.objects.filter(pk=event.pk).update(title=event.title)
            assert changes.since_last() == []
            Event.objects.filter(pk=event.pk).update(title="Renamed")
            assert changes.since_last() == ["events_event"]
        with one_request():
            assert changes.since_last() == []


# --- The same answers under a script prefix ---------------------------------------------------

# Every use of staff privilege outside the admin.
STAFF_POWER_ROWS = [
    "events:create", "events:edit", "events:publish", "events:cancel", "events:attendees",
    "events:attendees_csv", "events:checkin", "events:checkin_mark", "events:message",
    "events:invite", "groups:hide", "groups:restore",
]  # fmt: skip
# A prefix from the proxy (gunicorn takes `SCRIPT_NAME` from a trusted forwarder), or the
# site mounted under one.
PREFIXES = {
    "script_name_header": ({"SCRIPT_NAME": "/x"}, {}),
    "force_script_name": ({}, {"FORCE_SCRIPT_NAME": "/mutual"}),
}
# Staff who did not use a second factor in this session, with no authenticator or with one:
# each gets the column staff_no_mfa has in the matrix.
STAFF_ROLES = {"staff": "staff", "staff_no_mfa": "staff_no_mfa",
               "staff_password_only": "staff_no_mfa"}  # fmt: skip  # pragma: allowlist secret


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_script_prefix_changes_no_staff_answer(world, django_db_blocker, prefix):
    """The staff-power rows and the admin rule again, under a script prefix: same answers.

    Also the staff account that has an authenticator but signed in with its password alone
    (`staff_password_only`): outside the admin it gets the staff_no_mfa column.
    """
    environ, overrides = PREFIXES[prefix]
    wrong = []
    with django_db_blocker.unblock(), override_settings(**overrides):
        changes = acl_world.Changes()
        for name in STAFF_POWER_ROWS:
            row = MATRIX[name]
            for role, column in STAFF_ROLES.items():
                index = ROLES.index(column)
                values = acl_world.role_values(world, role)
                url = acl_world.fill_url(name, row.kwargs, values)
                for method, cells in (("GET", row.get), ("POST", row.post)):
                    if cells is None:
                        continue
                    with one_request():
                        client = client_for(world, role, **environ)
                        if method == "GET":
                            response = client.get(url)
                        else:
                            response = client.post(url, acl_world.fill_data(row.data, values))
                        changed = changes.since_last()
                    cell = cells[index]
                    if not check(cell, response, values) or bool(changed) != isinstance(cell, ok):
                        wrong.append(f"{method} {url} as {role}: expected {cell!s}, got "
                                     f"{describe(response)}, changed {changed}")  # fmt: skip
        listings = ("admin/", "admin/members/user/")
        for pattern in (p for p in acl_world.all_patterns() if p.route in listings):
            url = acl_world.admin_url(pattern, world)
            for role in ("staff", "staff_no_mfa", "staff_password_only"):
                with one_request():
                    response = client_for(world, role, **environ).get(url)
                cell = admin_expected(pattern, role)
                if not check(cell, response, world.ids):
                    wrong.append(f"GET {url} as {role}: expected {cell}, got {describe(response)}")
        proposal = world.objects["proposal"]
        delete = reverse("admin:groups_groupproposal_delete", args=[proposal.pk])
        for role in ("staff_no_mfa", "staff_password_only", "staff"):
            with one_request():
                response = client_for(world, role, **environ).post(delete, {"post": "yes"})
                changed = changes.since_last()
            if bool(changed) != (role == "staff"):
                wrong.append(f"POST {delete} as {role}: {describe(response)}, changed {changed}")
    assert not wrong, "\n".join(wrong)


def test_staff_with_their_second_factor_may_post_in_the_admin(world, django_db_blocker):
    """The control for the admin rows: the same "yes, delete it" works for staff."""
    proposal = world.objects["proposal"]
    with django_db_blocker.unblock():
        changes = acl_world.Changes()
        with one_request():
            response = client_for(world, "staff").post(
                reverse("admin:groups_groupproposal_delete", args=[proposal.pk]), {"post": "yes"}
            )
            changed = changes.since_last()

    assert response.status_code == 302
    assert "groups_groupproposal" in changed
