"""Paid membership, mirrored from Stripe, and the Stripe events already processed."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


class Standing(models.TextChoices):
    """Where someone stands with Mutual: the one answer to "is this a member?".

    Read it through `Membership.standing` or `billing.selectors.standing_of(user)`; every page,
    service and email asks it there, so "lapsed" cannot mean three things on three pages.
    """

    MEMBER = "member", _("member")
    LAPSED = "lapsed", _("membership ended")
    NEVER_JOINED = "never_joined", _("not a member yet")


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self, *, now=None) -> "MembershipQuerySet":
        """Memberships that grant access now: see `Membership.is_active`."""
        now = now or timezone.now()
        grace_start = now - timedelta(days=settings.MEMBERSHIP_GRACE_DAYS)
        return self.filter(
            models.Q(status__in=Membership.ACCESS_STATUSES)
            | models.Q(status=Membership.Status.PAST_DUE, past_due_since__gt=grace_start)
        )

    def to_reconcile(self) -> "MembershipQuerySet":
        """Memberships whose Stripe state could have drifted without us hearing of it."""
        return self.exclude(stripe_subscription_id=None).filter(
            status__in=[
                Membership.Status.ACTIVE,
                Membership.Status.TRIALING,
                Membership.Status.PAST_DUE,
                Membership.Status.INCOMPLETE,
            ]
        )


class Membership(TimeStampedModel):
    """A person's paid membership, mirrored from their Stripe subscription.

    Only the Stripe webhook, the nightly reconciliation and the admin's resync write the
    Stripe fields, always from a freshly fetched subscription (see `billing.services`).
    """

    class Status(models.TextChoices):
        NONE = "", _("not a member yet")
        INCOMPLETE = "incomplete", _("payment not completed")
        INCOMPLETE_EXPIRED = "incomplete_expired", _("payment expired")
        TRIALING = "trialing", _("trial")
        ACTIVE = "active", _("active")
        PAST_DUE = "past_due", _("payment failed")
        CANCELED = "canceled", _("cancelled")
        UNPAID = "unpaid", _("unpaid")
        PAUSED = "paused", _("paused")

    ACCESS_STATUSES = (Status.ACTIVE, Status.TRIALING)
    # Stripe puts only a subscription whose first invoice was never paid in these (and NONE
    # is a Checkout started with no subscription at all): see `standing`.
    NEVER_PAID_STATUSES = (Status.NONE, Status.INCOMPLETE, Status.INCOMPLETE_EXPIRED)

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    stripe_customer_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    stripe_subscription_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.NONE, blank=True
    )
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    past_due_since = models.DateTimeField(
        null=True, blank=True, help_text=_("When the subscription last became past due.")
    )
    synced_at = models.DateTimeField(null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="past_due") | models.Q(past_due_since__isnull=False),
                name="membership_past_due_has_since",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_status_display()})"

    def is_active(self, *, now=None) -> bool:
        """Active, trialing, or past due for less than `MEMBERSHIP_GRACE_DAYS`."""
        if self.status in self.ACCESS_STATUSES:
            return True
        if self.status == self.Status.PAST_DUE and self.past_due_since:
            now = now or timezone.now()
            return now < self.past_due_since + timedelta(days=settings.MEMBERSHIP_GRACE_DAYS)
        return False

    @property
    def standing(self) -> Standing:
        """MEMBER, LAPSED or NEVER_JOINED: the one rule every page uses (see `Standing`).

        MEMBER exactly when `is_active()`: active, trialing, or past due within the grace
        period (`MEMBERSHIP_GRACE_DAYS`), so a member whose card has just failed keeps
        everything until the grace period ends.

        Otherwise LAPSED if this membership once gave access (a paid period, or a Stripe
        trial) and NEVER_JOINED if it never did. The row keeps no payment history, so the
        evidence is the status, read with Stripe's lifecycle:

        - "" (NONE): Checkout was started; no subscription exists.
        - `incomplete`, `incomplete_expired`: the *first* invoice is unpaid, or expired
          unpaid after 23 hours. Only a new subscription is ever in these.
        - `past_due` (after the grace period), `unpaid`: a *renewal* failed, so an earlier
          period was paid for (or trialled).
        - `paused`: only a trial that ended without a card.
        - `canceled`: ended after being active, trialling or past due.

        `current_period_end` is no evidence either way: Stripe gives an unpaid, incomplete
        subscription a billing period too, and every sync overwrites it with the current
        subscription's. Two cases the row cannot show: a former member whose new attempt to
        rejoin is incomplete or expired reads as NEVER_JOINED (the row now mirrors the new
        subscription), and a subscription cancelled while still incomplete reads as LAPSED.
        Both would need a "first paid at" field written by `membership_apply_state`.
        """
        if self.is_active():
            return Standing.MEMBER
        if self.status in self.NEVER_PAID_STATUSES:
            return Standing.NEVER_JOINED
        return Standing.LAPSED

    @property
    def grace_ends_at(self):
        if self.status == self.Status.PAST_DUE and self.past_due_since:
            return self.past_due_since + timedelta(days=settings.MEMBERSHIP_GRACE_DAYS)
        return None

    @property
    def payment_trouble(self) -> bool:
        return self.status in (self.Status.PAST_DUE, self.Status.UNPAID, self.Status.INCOMPLETE)


class StripeEvent(models.Model):
    """A Stripe event we have processed; its id makes every delivery after the first a no-op."""

    id = models.CharField(primary_key=True, max_length=255)
    type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=255, blank=True)
    processed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-processed_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"
