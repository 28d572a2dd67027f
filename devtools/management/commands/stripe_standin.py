"""Run the offline Stripe stand-in (see `devtools.stripe_standin`)."""

import logging
from decimal import Decimal

from aiohttp import web
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from billing import stripe_api


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

        amount = int(Decimal(settings.MEMBERSHIP_PRICE) * 100)
        webhook_url = options["webhook_url"] or f"{settings.SITE_URL}/billing/webhook/"
        app = stripe_standin.build_app(
            webhook_url=webhook_url,
            webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
            price_id=settings.STRIPE_PRICE_ID,
            amount=amount,
            currency=settings.MEMBERSHIP_CURRENCY,
            public_url=options["public_url"],
        )
        logging.getLogger("aiohttp.access").setLevel(logging.INFO)
        self.stdout.write(
            f"Stripe stand-in on http://{options['host']}:{options['port']} "
            f"(webhooks to {webhook_url})"
        )
        web.run_app(app, host=options["host"], port=options["port"], print=None)
