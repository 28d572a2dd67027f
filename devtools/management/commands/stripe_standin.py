"""Run the offline Stripe stand-in (see `devtools.stripe_standin`)."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import TYPE_CHECKING

from aiohttp import web
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from billing import stripe_api
from billing.models import Membership

if TYPE_CHECKING:
    from devtools.stripe_standin import KnownMembership


def known_memberships() -> list[KnownMembership]:
    """Every membership with a Stripe customer, as the site's database mirrors it (for the
    stand-in to put back at start-up: it remembers nothing between runs)."""
    from devtools.stripe_standin import KnownMembership

    rows = (
        Membership.objects.exclude(stripe_customer_id=None)
        .exclude(stripe_customer_id="")
        .select_related("user")
        .order_by("pk")
    )
    return [
        KnownMembership(
            customer_id=row.stripe_customer_id or "",  # never empty: excluded above
            email=row.user.email,
            user_id=row.user_id,
            subscription_id=row.stripe_subscription_id or None,
            status=row.status,
            current_period_end=row.current_period_end,
            cancel_at_period_end=row.cancel_at_period_end,
        )
        for row in rows.iterator(chunk_size=2000)
    ]


class Command(BaseCommand):
    help = "Start the offline Stripe stand-in (localstripe plus Checkout and the Portal)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=settings.STRIPE_STANDIN_PORT)
        parser.add_argument(
            "--host", default="127.0.0.1", help="Address to listen on (loopback by default)."
        )
        parser.add_argument(
            "--webhook-url",
            default="",
            help="Where to deliver signed events (default: SITE_URL + /billing/webhook/).",
        )
        parser.add_argument(
            "--public-url",
            default="",
            help="The address browsers use for the hosted pages, if not the one called.",
        )

    def handle(self, *args, **options):
        if stripe_api.is_live_key(settings.STRIPE_SECRET_KEY):
            raise CommandError("The stand-in is test tooling: refusing to run with a live key.")
        from devtools import stripe_standin

        try:
            known = known_memberships()
        except DatabaseError as error:  # not migrated yet (compose starts it beside `migrate`)
            self.stderr.write(f"No memberships to put back: the database said {error}")
            known = []
        amount = int(Decimal(settings.MEMBERSHIP_PRICE) * 100)
        webhook_url = options["webhook_url"] or f"{settings.SITE_URL}/billing/webhook/"
        app = stripe_standin.build_app(
            webhook_url=webhook_url,
            webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
            price_id=settings.STRIPE_PRICE_ID,
            amount=amount,
            currency=settings.MEMBERSHIP_CURRENCY,
            public_url=options["public_url"],
            known=known,
        )
        logging.getLogger("aiohttp.access").setLevel(logging.INFO)
        self.stdout.write(
            f"Stripe stand-in on http://{options['host']}:{options['port']} "
            f"(webhooks to {webhook_url}; {len(known)} known customers put back)"
        )
        web.run_app(app, host=options["host"], port=options["port"], print=None)
