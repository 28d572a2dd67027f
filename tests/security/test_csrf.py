"""CSRF (issue #10, part 4): every POST needs the token; exactly two views are exempt.

The two exempt views authenticate the request another way: the Stripe webhook by Stripe's
signature, the one-click unsubscribe (RFC 8058: mail clients POST without cookies) by the
signed token in its address. Everything else, admin included, refuses a POST that carries
the CSRF cookie but not the token, as a cross-site form would.

"No GET changes state" is checked in test_access_matrix.py, on the same sweep that checks
every GET cell of the matrix (`test_no_get_changes_the_database`).
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.middleware.csrf import _get_new_csrf_string
from django.test import override_settings

from tests.security import acl_world
from tests.security.acl_world import ROLES, client_for, one_request
from tests.security.test_access_matrix import MATRIX, ok

pytestmark = pytest.mark.django_db

EXEMPT = {"billing:webhook", "mail:unsubscribe"}


def csrf_exempt_anywhere(callback) -> bool:
    """Is the view, or anything it wraps (decorators, a class view's dispatch), exempt?"""
    seen, todo = set(), [callback]
    while todo:
        function = todo.pop()
        if function is None or id(function) in seen:
            continue
        seen.add(id(function))
        if getattr(function, "csrf_exempt", False):
            return True
        todo.append(getattr(function, "__wrapped__", None))
        todo.append(getattr(function, "__func__", None))
        view_class = getattr(function, "view_class", None)
        if view_class is not None:
            todo.extend(getattr(view_class, name, None) for name in ("dispatch", "post", "put"))
    return False


def test_only_the_stripe_webhook_and_the_one_click_unsubscribe_are_csrf_exempt():
    exempt = {
        pattern.name or pattern.route
        for pattern in acl_world.all_patterns()
        if csrf_exempt_anywhere(pattern.callback)
    }

    assert exempt == EXEMPT


def test_the_exemption_check_sees_through_decorators_and_class_views():
    from django.utils.decorators import method_decorator
    from django.views import View
    from django.views.decorators.csrf import csrf_exempt
    from django.views.decorators.http import require_POST

    @require_POST
    @csrf_exempt
    def wrapped(request): ...

    @method_decorator(csrf_exempt, name="dispatch")
    class Exempt(View): ...

    class Plain(View):
        def post(self, request): ...

    assert csrf_exempt_anywhere(wrapped)
    assert csrf_exempt_anywhere(Exempt.as_view())
    assert not csrf_exempt_anywhere(Plain.as_view())
    assert not csrf_exempt_anywhere(require_POST(lambda request: None))


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from acl_world.world_in_transaction(django_db_blocker)


def authorised_role(name: str) -> str:
    """The role the matrix lets through on this URL (an allowed POST first, then a 200)."""
    row = MATRIX[name]
    for cells in (row.post, row.get):
        for role, cell in zip(ROLES, cells or (), strict=False):
            if isinstance(cell, ok) or cell == 200:
                return role
    return "member"


def test_every_post_without_the_token_is_refused(world, django_db_blocker):
    """POST to every URL pattern as someone allowed there, with the CSRF cookie and no token."""
    wrong, checked = [], 0
    with (
        django_db_blocker.unblock(),
        override_settings(CSRF_FAILURE_VIEW="tests.security.acl_world.csrf_refused"),
    ):
        changes = acl_world.Changes()
        for pattern in acl_world.all_patterns():
            if pattern.is_admin:
                role = "staff"
                url = acl_world.admin_url(pattern, world)
                data = {"post": "yes"}
            else:
                role = authorised_role(pattern.name)
                values = acl_world.role_values(world, role)
                row = MATRIX[pattern.name]
                url = acl_world.fill_url(pattern.name, row.kwargs, values)
                data = acl_world.fill_data(row.data, values)
            client = client_for(world, role, enforce_csrf_checks=True)
            client.cookies[settings.CSRF_COOKIE_NAME] = _get_new_csrf_string()
            with one_request():
                response = client.post(url, data)
                changed = changes.since_last()
            refused = acl_world.CSRF_REFUSED_HEADER in response
            checked += 1
            if pattern.name in EXEMPT:
                if refused:
                    wrong.append(f"{url} is exempt, but refused a POST without the token")
            elif not refused or response.status_code != 403:
                wrong.append(f"{url} as {role}: {response.status_code}, not refused")
            elif changed:
                wrong.append(f"{url} as {role}: refused, but changed {changed}")

    assert not wrong, "\n".join(wrong)
    assert checked > 250  # every pattern, the admin's included


def test_with_the_token_the_same_post_gets_through(world, django_db_blocker):
    """The control: what the test above refuses is the missing token, not the request."""
    with (
        django_db_blocker.unblock(),
        override_settings(CSRF_FAILURE_VIEW="tests.security.acl_world.csrf_refused"),
    ):
        token = _get_new_csrf_string()
        client = client_for(world, "member", enforce_csrf_checks=True)
        client.cookies[settings.CSRF_COOKIE_NAME] = token
        url = acl_world.fill_url("events:calendar_reset", "", world.ids)
        with one_request():
            refused = client.post(url)
            allowed = client.post(url, {"csrfmiddlewaretoken": token})

    assert refused.status_code == 403 and acl_world.CSRF_REFUSED_HEADER in refused
    assert allowed.status_code == 302 and acl_world.CSRF_REFUSED_HEADER not in allowed
