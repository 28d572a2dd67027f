"""Writing the audit log: one function, called by the service that makes the change."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from audit.models import NOBODY, Action, ActorKind, AuditEntry
from core.transactions import in_transaction

if TYPE_CHECKING:
    # The type only: `audit` sits below `members` and reaches users through the FK.
    from members.models import User

TARGET_REPR_MAX = 200


class AuditOutsideTransaction(RuntimeError):
    """`record` was called outside the transaction of the change it describes."""


def record(
    *,
    actor: User | None,
    actor_kind: ActorKind | str,
    action: Action | str,
    target: models.Model,
    target_repr: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str = "",
) -> AuditEntry:
    """Append one entry: `actor`, acting as `actor_kind`, did `action` to `target`.

    Must run inside the caller's transaction (the one making the change), so the entry and
    the change commit or roll back together; outside one it raises `AuditOutsideTransaction`.
    `before`/`after` hold only what changed, as JSON (dates and decimals are encoded);
    `target_repr` defaults to `str(target)`, so models whose `__str__` shows a person's name
    or address pass one of their own. The system and Stripe act with `actor=None`.
    """
    if not in_transaction():
        raise AuditOutsideTransaction(
            "audit.record must run inside the transaction that makes the change."
        )
    actor_kind = ActorKind(actor_kind)
    if actor_kind in NOBODY and actor is not None:
        raise ValueError(f"{actor_kind} entries have no acting person.")
    if actor_kind not in NOBODY and actor is None:
        raise ValueError(f"A {actor_kind} entry needs the person who acted.")
    return AuditEntry.objects.create(
        actor=actor,
        actor_kind=actor_kind,
        action=Action(action),
        content_type=ContentType.objects.get_for_model(target),
        object_id=target.pk,
        target_repr=(target_repr or str(target))[:TARGET_REPR_MAX],
        before=dict(before) if before is not None else None,
        after=dict(after) if after is not None else None,
        reason=reason.strip(),
    )


def changes(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the keys whose values differ, as two dicts (before, after)."""
    keys = [key for key in after if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after.get(key) for key in keys}


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The named fields' values of `obj`, as they would be stored (FKs by their id,
    files by their name), for comparing a row before and after an edit."""
    values: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        if not isinstance(field, models.Field):
            raise TypeError(f"{name} is not a column of {type(obj).__name__}")
        value = getattr(obj, field.attname)
        if isinstance(field, models.FileField):
            value = value.name if value else ""
        values[name] = value
    return values
