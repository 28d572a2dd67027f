"""Signed synthetic Stripe events, posted to the webhook exactly as Stripe would."""

import itertools
import json
import time

import stripe
from django.conf import settings

_ids = itertools.count(1)


def event_payload(event_type: str, obj: dict, *, event_id: str | None = None) -> str:
    return json.dumps(
        {
            "id": event_id or f"evt_test_{next(_ids):06d}",
            "object": "event",
            "api_version": "2026-10-28.endive",
            "created": int(time.time()),
            "type": event_type,
            "livemode": False,
            "pending_webhooks": 1,
            "data": {"object": obj},
        }
    )


def post_event(client, payload: str, *, secret: str | None = None, timestamp: int | None = None):
    header = stripe.WebhookSignature.generate_signature_header(
        payload, secret or settings.STRIPE_WEBHOOK_SECRET, timestamp=timestamp
    )
    return client.post(
        "/billing/webhook/",
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": header},
    )


def subscription_object(subscription_id: str, customer_id: str, status: str = "active") -> dict:
    """A subscription in the current API shape (period end on the items)."""
    return {
        "id": subscription_id,
        "object": "subscription",
        "customer": customer_id,
        "status": status,
        "cancel_at_period_end": False,
        "items": {"object": "list", "data": [{"id": "si_1", "current_period_end": 1}]},
    }


def invoice_object(
    invoice_id: str, subscription_id: str, *, attempt_count: int = 1, legacy: bool = False
) -> dict:
    invoice = {"id": invoice_id, "object": "invoice", "attempt_count": attempt_count}
    if legacy:
        invoice["subscription"] = subscription_id
    else:
        invoice["parent"] = {
            "type": "subscription_details",
            "subscription_details": {"subscription": subscription_id},
        }
    return invoice
