"""The audit log: one append-only row for every change a person (or Stripe) makes.

Like Zulip's `RealmAuditLog`: who acted, as what (member, organiser, staff, the system or
Stripe), when, on what, from what to what, and why. Rows are written by `audit.services.record`
in the same transaction as the change they describe, and never changed or removed: the model
refuses it, and on PostgreSQL so does the database (migration 0002). The one exception is
erasure: when an actor's account is deleted, their entries stay and only lose the link to
them (`actor` becomes empty; `actor_kind` still says what kind of person acted).

What an entry stores is chosen to hold no personal data of its own: `target_repr` and the
before/after values name things by their title or number, never by a member's name or
address, so an erased member leaves nothing behind here but a number that leads nowhere.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """An audit entry was asked to change or go away; the log only ever grows."""


class ActorKind(models.TextChoices):
    MEMBER = "member", _("member")
    ORGANISER = "organiser", _("organiser")
    STAFF = "staff", _("staff")
    SYSTEM = "system", _("system")
    STRIPE = "stripe", _("Stripe")


# Kinds that are never a person: their entries have no actor.
NOBODY = (ActorKind.SYSTEM, ActorKind.STRIPE)


class Action(models.TextChoices):
    MEMBERSHIP_STATUS_CHANGED = "membership.status_changed", _("membership status changed")
    POST_HIDDEN = "post.hidden", _("post hidden")
    POST_APPROVED = "post.approved", _("post approved")
    EVENT_CREATED = "event.created", _("event created")
    EVENT_CHANGED = "event.changed", _("event changed")
    EVENT_PUBLISHED = "event.published", _("event published")
    EVENT_UNPUBLISHED = "event.unpublished", _("event unpublished")
    EVENT_CANCELLED = "event.cancelled", _("event cancelled")
    OFFER_CREATED = "offer.created", _("offer created")
    OFFER_CHANGED = "offer.changed", _("offer changed")
    OFFER_CODES_IMPORTED = "offer.codes_imported", _("offer codes imported")
    PARTNER_LINK_ROTATED = "partner.link_rotated", _("partner's code-checking link rotated")
    EXPERT_CREATED = "expert.created", _("expert created")
    EXPERT_CHANGED = "expert.changed", _("expert changed")
    EXPERT_PUBLISHED = "expert.published", _("expert published")
    EXPERT_UNPUBLISHED = "expert.unpublished", _("expert unpublished")
    GROUP_CREATED = "group.created", _("group created")
    GROUP_CHANGED = "group.changed", _("group changed")
    GROUP_PUBLISHED = "group.published", _("group published")
    GROUP_UNPUBLISHED = "group.unpublished", _("group unpublished")
    GROUP_ORGANISER_ADDED = "group.organiser_added", _("group organiser added")
    GROUP_ORGANISER_REMOVED = "group.organiser_removed", _("group organiser removed")
    ACCOUNT_ROLES_CHANGED = "account.roles_changed", _("account roles changed")


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def for_target(self, obj: models.Model) -> AuditEntryQuerySet:
        """Entries about `obj`, newest first (the "audit_target" index)."""
        return self.filter(
            content_type=ContentType.objects.get_for_model(obj),
            object_id=obj.pk,
        ).order_by("-created_at", "-pk")

    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit entries are never changed.")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("Audit entries are never deleted.")


class AuditEntry(models.Model):
    created_at = models.DateTimeField(_("when"), db_default=Now(), editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        # An erased account's entries stay, without it (the trigger allows only this change).
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        # Covered by the "audit_actor" index, which starts with it.
        db_index=False,
    )
    actor_kind = models.CharField(_("acting as"), max_length=16, choices=ActorKind.choices)
    action = models.CharField(_("action"), max_length=64, choices=Action.choices)
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("kind of thing"), on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(_("its number"))
    target = GenericForeignKey("content_type", "object_id")
    target_repr = models.CharField(_("on what"), max_length=200)
    before = models.JSONField(_("before"), null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(_("after"), null=True, blank=True, encoder=DjangoJSONEncoder)
    reason = models.TextField(_("why"), blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "-created_at"], name="audit_target"),
            models.Index(fields=["actor", "-created_at"], name="audit_actor"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(actor_kind__in=ActorKind.values), name="audit_actor_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(action__in=Action.values), name="audit_action_valid"
            ),
            # The system and Stripe are nobody; a person's entry may lose its actor to erasure.
            models.CheckConstraint(
                condition=~models.Q(actor_kind__in=NOBODY) | models.Q(actor__isnull=True),
                name="audit_nobody_has_no_actor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.target_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Audit entries are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit entries are never deleted.")
