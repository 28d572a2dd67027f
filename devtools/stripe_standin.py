"""The offline Stripe stand-in: localstripe plus the parts it lacks.

Development and test tooling only (`manage.py stripe_standin`), never used with a live key.
localstripe serves the Stripe API (customers, plans, subscriptions, invoices, events) and
delivers signed webhooks; this module adds Checkout Sessions and Customer Portal sessions,
each with a small hosted page:

- Checkout: card 4242 4242 4242 4242 pays (creates the subscription and delivers a signed
  `checkout.session.completed`); 4000 0000 0000 0002 is declined and nothing is created.
- Portal: cancel at the end of the period, resume, cancel now, or update the card.

It keeps its state in memory only and listens on 127.0.0.1 unless told otherwise. So that
the site's memberships still mean something after a restart (the demo members' included),
`restore` puts back, at start-up, the customers and subscriptions the site's database mirrors,
with their ids and states (`manage.py stripe_standin` reads them from the database).
"""

from __future__ import annotations

import contextlib
import html
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from urllib.parse import quote

from aiohttp import web
from dateutil.relativedelta import relativedelta
from localstripe import resources, server
from localstripe.errors import UserError
from localstripe.resources import (
    Customer,
    Event,
    PaymentMethod,
    Plan,
    Product,
    StripeObject,
    Subscription,
    store,
)
from localstripe.webhooks import register_webhook, schedule_webhook

logger = logging.getLogger(__name__)

PAYING_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"

# State lives in memory only: no shared pickle file between runs.
store.dump_to_disk = lambda: None


class CheckoutSession(StripeObject):
    object = "checkout.session"
    _id_prefix = "cs_test_"

    def __init__(self, base_url: str = "", **data):
        super().__init__()
        line_items = data.get("line_items") or [{}]
        self.mode = data.get("mode", "subscription")
        self.customer = data.get("customer")
        self.client_reference_id = data.get("client_reference_id")
        self.success_url = data.get("success_url")
        self.cancel_url = data.get("cancel_url")
        self.metadata = data.get("metadata") or {}
        self.subscription_metadata = (data.get("subscription_data") or {}).get("metadata") or {}
        self.price = line_items[0].get("price")
        self.status = "open"
        self.payment_status = "unpaid"
        self.subscription = None
        self.url = f"{base_url}/checkout/{self.id}"


class PortalSession(StripeObject):
    object = "billing_portal.session"
    _id_prefix = "bps_test_"

    def __init__(self, base_url: str = "", customer=None, return_url=None, **_ignored):
        super().__init__()
        self.customer = customer
        self.return_url = return_url
        self.url = f"{base_url}/portal/{self.id}"


PUBLIC_URL: dict[str, str] = {}


def _base_url(request: web.Request) -> str:
    """Where a browser reaches the hosted pages (differs from the API address in compose)."""
    return PUBLIC_URL.get("url") or f"{request.scheme}://{request.host}"


async def _form(request: web.Request) -> dict:
    data = await server.get_post_data(request)
    return data or {}


async def checkout_session_create(request: web.Request) -> web.Response:
    data = await _form(request)
    data.pop("expand", None)
    if data.get("mode") != "subscription" or not data.get("customer"):
        raise UserError(400, "Only subscription-mode sessions for a customer are supported.")
    Customer._api_retrieve(data["customer"])
    session = CheckoutSession(base_url=_base_url(request), **data)
    return server.json_response(session._export())


async def checkout_session_retrieve(request: web.Request) -> web.Response:
    session = CheckoutSession._api_retrieve(request.match_info["id"])
    return server.json_response(session._export())


async def portal_session_create(request: web.Request) -> web.Response:
    data = await _form(request)
    Customer._api_retrieve(data.get("customer") or "")
    session = PortalSession(base_url=_base_url(request), **data)
    return server.json_response(session._export())


# --- Hosted pages ----------------------------------------------------------------------

STYLE = " ".join(
    [
        "body{font-family:system-ui,sans-serif;background:#f6f9fc;margin:0;color:#1a1f36}",
        "main{max-width:26rem;margin:2rem auto;background:#fff;padding:1.5rem;",
        "border-radius:.75rem;box-shadow:0 2px 12px rgba(0,0,0,.08)}",
        "h1{font-size:1.3rem} label{display:block;margin:.8rem 0 .3rem}",
        "input{width:100%;padding:.6rem;font-size:1rem;border:1px solid #aab;",
        "border-radius:.4rem;box-sizing:border-box}",
        "button{margin-top:1rem;width:100%;padding:.7rem;font-size:1rem;border:0;",
        "border-radius:.4rem;background:#533afd;color:#fff;cursor:pointer}",
        "button.secondary{background:#e3e8ee;color:#1a1f36}",
        ".error{background:#fde8e8;color:#8a1c1c;padding:.6rem;border-radius:.4rem}",
        ".note{color:#555;font-size:.9rem} a{color:#533afd}",
    ]
)
PAGE = (
    '<!doctype html><html lang="en-GB"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>{title} · Stripe stand-in</title><style>{style}</style></head><body><main>"
    '<p class="note">Offline Stripe stand-in: test mode, no real money.</p>{body}'
    "</main></body></html>"
)


def _page(title: str, body: str, status: int = 200) -> web.Response:
    return web.Response(
        text=PAGE.format(title=html.escape(title), style=STYLE, body=body),
        content_type="text/html",
        status=status,
    )


def _price_label(plan_id: str | None) -> str:
    try:
        plan = Plan._api_retrieve(plan_id or "")
    except UserError:
        return ""
    amount = Decimal(plan.amount or 0) / 100
    return f"{amount:.2f} {str(plan.currency).upper()} a {plan.interval}"


def _card_form(action: str, button: str, error: str = "") -> str:
    error_html = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    return f"""{error_html}<form method="post" action="{html.escape(action)}">
<label for="card">Card number</label>
<input id="card" name="card_number" inputmode="numeric" autocomplete="cc-number"
 placeholder="4242 4242 4242 4242" required>
<label for="exp">Expiry (MM/YY)</label><input id="exp" name="exp" value="12/34">
<label for="cvc">CVC</label><input id="cvc" name="cvc" value="123">
<button type="submit">{html.escape(button)}</button></form>
<p class="note">4242 4242 4242 4242 pays; 4000 0000 0000 0002 is declined.</p>"""


def _checkout_page(session: CheckoutSession, error: str = "", status: int = 200):
    body = (
        f"<h1>Pay Mutual</h1><p>Membership: <strong>{html.escape(_price_label(session.price))}"
        "</strong></p>"
        + _card_form(f"/checkout/{session.id}", "Subscribe", error)
        + f'<p><a href="{html.escape(session.cancel_url or "/")}">Cancel and go back</a></p>'
    )
    return _page("Checkout", body, status)


async def checkout_page(request: web.Request) -> web.Response:
    session = CheckoutSession._api_retrieve(request.match_info["id"])
    if session.status != "open":
        raise web.HTTPSeeOther(_success_url(session))
    return _checkout_page(session)


def _success_url(session: CheckoutSession) -> str:
    return (session.success_url or "/").replace("{CHECKOUT_SESSION_ID}", quote(session.id))


def _attach_card(customer_id: str, number: str) -> PaymentMethod:
    """Attach a card as the customer's default; raises UserError(402) when it is declined."""
    card = {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}
    method = PaymentMethod._api_create(type="card", card=card)
    PaymentMethod._api_attach(method.id, customer=customer_id)
    Customer._api_update(customer_id, invoice_settings={"default_payment_method": method.id})
    return method


def _card_number(form) -> str:
    return re.sub(r"\D", "", form.get("card_number", ""))


async def checkout_pay(request: web.Request) -> web.Response:
    session = CheckoutSession._api_retrieve(request.match_info["id"])
    if session.status != "open":
        raise web.HTTPSeeOther(_success_url(session))
    number = _card_number(await request.post())
    if number not in (PAYING_CARD, DECLINED_CARD):
        return _checkout_page(session, "Use a test card: 4242 4242 4242 4242.", 400)
    try:
        _attach_card(session.customer, number)
    except UserError:
        return _checkout_page(session, "Your card was declined. Try another card.", 402)
    subscription = Subscription._api_create(
        customer=session.customer,
        items=[{"plan": session.price}],
        metadata=dict(session.subscription_metadata),
    )
    if subscription.status not in ("active", "trialing"):
        Subscription._api_delete(subscription.id)
        return _checkout_page(session, "Your card was declined. Try another card.", 402)
    session.status = "complete"
    session.payment_status = "paid"
    session.subscription = subscription.id
    schedule_webhook(Event("checkout.session.completed", session))
    raise web.HTTPSeeOther(_success_url(session))


def _live_subscriptions(customer_id: str) -> list:
    return [
        obj
        for key, obj in store.items()
        if key.startswith("subscription:")
        and obj.customer == customer_id
        and obj.status not in ("canceled", "incomplete_expired")
    ]


async def portal_page(request: web.Request, message: str = "") -> web.Response:
    session = PortalSession._api_retrieve(request.match_info["id"])
    subscriptions = _live_subscriptions(session.customer)
    parts = ["<h1>Manage your membership</h1>"]
    if message:
        parts.append(f'<p class="note" role="status">{html.escape(message)}</p>')
    action = f"/portal/{session.id}"
    if not subscriptions:
        parts.append("<p>You have no active subscription.</p>")
    for subscription in subscriptions:
        label = _price_label(subscription.plan.id if subscription.plan else None)
        status = subscription.status
        if subscription.cancel_at_period_end:
            status += " (cancels at the end of the period)"
        parts.append(f"<p>{html.escape(label)}: <strong>{html.escape(status)}</strong></p>")
        hidden = f'<input type="hidden" name="subscription" value="{subscription.id}">'
        if subscription.cancel_at_period_end:
            parts.append(
                f'<form method="post" action="{action}">{hidden}'
                '<button name="action" value="resume">Keep my membership</button></form>'
            )
        else:
            parts.append(
                f'<form method="post" action="{action}">{hidden}<button name="action" '
                'value="cancel_at_period_end">Cancel at the end of the period</button></form>'
            )
        parts.append(
            f'<form method="post" action="{action}">{hidden}<button class="secondary" '
            'name="action" value="cancel_now">Cancel now</button></form>'
        )
    parts.append("<h2>Update card</h2>")
    parts.append(
        _card_form(action, "Update card").replace(
            "</form>", '<input type="hidden" name="action" value="update_card"></form>'
        )
    )
    parts.append(f'<p><a href="{html.escape(session.return_url or "/")}">Return to Mutual</a></p>')
    return _page("Customer portal", "".join(parts))


async def portal_action(request: web.Request) -> web.Response:
    session = PortalSession._api_retrieve(request.match_info["id"])
    form = await request.post()
    action = form.get("action")
    owned = {s.id: s for s in _live_subscriptions(session.customer)}
    subscription = owned.get(form.get("subscription", ""))
    if action in ("cancel_at_period_end", "resume") and subscription is not None:
        Subscription._api_update(
            subscription.id, cancel_at_period_end=(action == "cancel_at_period_end")
        )
        # localstripe never emits this event itself; real Stripe does.
        schedule_webhook(Event("customer.subscription.updated", subscription))
        message = (
            "Your membership will end at the end of the period."
            if action == "cancel_at_period_end"
            else "Your membership will carry on."
        )
    elif action == "cancel_now" and subscription is not None:
        Subscription._api_delete(subscription.id)
        message = "Your membership is cancelled."
    elif action == "update_card":
        try:
            _attach_card(session.customer, _card_number(form))
        except UserError:
            message = "That card was declined; your card was not changed."
        else:
            message = "Your card is updated."
    else:
        raise web.HTTPBadRequest(text="Unknown action.")
    return await portal_page(request, message)


def build_app(
    *,
    webhook_url: str,
    webhook_secret: str,
    price_id: str,
    amount: int,
    currency: str,
    public_url: str = "",
    known: Iterable[KnownMembership] = (),
):
    """localstripe's app with our routes, a registered webhook and the membership plan, and
    the `known` memberships' customers and subscriptions put back (see `restore`)."""
    if public_url:
        PUBLIC_URL["url"] = public_url.rstrip("/")
    app = server.app
    original_auth = server.auth_middleware

    @web.middleware
    async def auth(request, handler):
        # The hosted pages are opened by a browser, which carries no API key.
        if request.path.startswith(("/checkout/", "/portal/")):
            return await handler(request)
        return await original_auth(request, handler)

    app.middlewares[app.middlewares.index(original_auth)] = auth
    app.router.add_post("/v1/checkout/sessions", checkout_session_create)
    app.router.add_get("/v1/checkout/sessions/{id}", checkout_session_retrieve)
    app.router.add_post("/v1/billing_portal/sessions", portal_session_create)
    app.router.add_get("/checkout/{id}", checkout_page)
    app.router.add_post("/checkout/{id}", checkout_pay)
    app.router.add_get("/portal/{id}", portal_page)
    app.router.add_post("/portal/{id}", portal_action)
    register_webhook("mutual", webhook_url, webhook_secret, None)

    known = list(known)

    async def create_plan(_app):
        # Inside the event loop: creating objects schedules their webhooks.
        ensure_plan(price_id=price_id, amount=amount, currency=currency)
        restored = restore(known, price_id=price_id)
        if restored:
            logger.info("Restored %d customers the site's database knows", restored)

    app.on_startup.append(create_plan)
    return app


def ensure_plan(*, price_id: str, amount: int, currency: str) -> None:
    try:
        Plan._api_retrieve(price_id)
    except UserError:
        product = Product._api_create(name="Mutual membership")
        Plan._api_create(
            id=price_id,
            product=product.id,
            amount=amount,
            currency=currency.lower(),
            interval="month",
        )


def reset() -> None:
    """Forget every object (tests call this between runs); the plan must be made again."""
    store.clear()


# --- What the site already knows -------------------------------------------------------


@dataclass(frozen=True)
class KnownMembership:
    """A membership row as the site's database mirrors it: what `restore` puts back."""

    customer_id: str
    email: str
    user_id: int
    subscription_id: str | None = None
    status: str = ""
    current_period_end: datetime | None = None
    cancel_at_period_end: bool = False


class _ChosenId(StripeObject):
    """Placed after a localstripe class in a subclass's bases, so that class's own
    `super().__init__()` lands here and the object is stored under the id already chosen
    (`_chosen_id`) instead of a random one; everything else is localstripe's."""

    def __init__(self):
        StripeObject.__init__(self, id=self._chosen_id)


class _KnownCustomer(Customer, _ChosenId):
    def __init__(self, chosen_id: str, **data):
        self._chosen_id = chosen_id
        super().__init__(**data)


class _KnownSubscription(Subscription, _ChosenId):
    def __init__(self, chosen_id: str, **data):
        self._chosen_id = chosen_id
        super().__init__(**data)


@contextlib.contextmanager
def _no_webhooks():
    """localstripe announces every object it makes; putting back what the site already
    knows must not tell the site anything (it would only re-sync to the same state)."""
    original = resources.schedule_webhook
    resources.schedule_webhook = lambda event: None
    try:
        yield
    finally:
        resources.schedule_webhook = original


def restore(known: Iterable[KnownMembership], *, price_id: str) -> int:
    """Put back each membership's customer (with a paying card) and subscription, under the
    ids the site stored, in the state it mirrors: its status, whether it cancels at the end
    of the period, and (as closely as a monthly plan allows) its period end. Sends no
    webhooks; a customer already here is left alone. Returns how many were put back."""
    restored = 0
    with _no_webhooks():
        for membership in known:
            try:
                Customer._api_retrieve(membership.customer_id)
                continue
            except UserError:
                pass
            _KnownCustomer(
                membership.customer_id,
                email=membership.email,
                metadata={"user_id": str(membership.user_id)},
            )
            _attach_card(membership.customer_id, PAYING_CARD)
            if membership.subscription_id:
                _restore_subscription(membership, price_id=price_id)
            restored += 1
    return restored


def _restore_subscription(membership: KnownMembership, *, price_id: str) -> None:
    started = None
    if membership.current_period_end is not None:
        # localstripe's period is a month from the start date, counted in local time: start
        # a month before the end, counted the same way.
        end = datetime.fromtimestamp(membership.current_period_end.timestamp())  # noqa: DTZ006
        started = int((end - relativedelta(months=1)).timestamp())
    subscription = _KnownSubscription(
        membership.subscription_id or "",  # the caller restores only those with one
        customer=membership.customer_id,
        items=[{"plan": price_id}],
        metadata={"user_id": str(membership.user_id)},
        backdate_start_date=started,
    )
    subscription.cancel_at_period_end = membership.cancel_at_period_end
    if membership.status == "canceled":
        Subscription._api_delete(subscription.id)
    elif membership.status and membership.status != subscription.status:
        subscription.status = membership.status
