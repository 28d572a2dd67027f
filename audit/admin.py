"""The audit log in the admin: read-only, searchable, and a short history on change pages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEntry
from core.admin import ReadOnlyAdmin

HISTORY_LENGTH = 5
# The changelist's filter for one object's entries (see `AuditEntryAdmin.lookup_allowed`).
TARGET_LOOKUPS = ("content_type__id__exact", "object_id__exact")
ENTRY_FIELDS = (
    "created_at",
    "actor",
    "actor_kind",
    "action",
    "content_type",
    "object_id",
    "target_repr",
    "changes",
    "reason",
)


def entry_changes(entry: AuditEntry) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for each value the entry records, in the order written."""
    before, after = entry.before or {}, entry.after or {}
    keys = list(dict.fromkeys([*before, *after]))
    return [(key, before.get(key), after.get(key)) for key in keys]


def history_url(obj: models.Model) -> str:
    """The audit changelist filtered to `obj`'s entries."""
    content_type = ContentType.objects.get_for_model(obj)
    query = urlencode(dict(zip(TARGET_LOOKUPS, [content_type.pk, obj.pk], strict=True)))
    return f"{reverse('admin:audit_auditentry_changelist')}?{query}"


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "actor_kind", "actor", "target_repr", "reason"]
    list_filter = ["action", "actor_kind", "content_type", "created_at"]
    search_fields = ["target_repr", "reason", "actor__email"]
    list_select_related = ["actor", "content_type"]
    date_hierarchy = "created_at"
    fields = readonly_fields = ENTRY_FIELDS

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        # The "History" links filter to one object; nothing else beyond the list filters.
        return lookup in TARGET_LOOKUPS or super().lookup_allowed(lookup, value, request)

    @admin.display(description=_("from what to what"))
    def changes(self, entry: AuditEntry) -> str:
        return render_to_string("admin/audit/changes.html", {"changes": entry_changes(entry)})


if TYPE_CHECKING:  # the mixin only ever joins a ModelAdmin
    from django.contrib.admin.options import _FieldsetSpec

    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = object


class AuditHistoryMixin(_ModelAdmin):
    """Adds "History" to a model's change page: its latest audit entries, and a link to all."""

    @admin.display(description=_("history"))
    def audit_history(self, obj: models.Model | None) -> str:
        if obj is None or obj.pk is None:
            return ""
        entries = list(
            AuditEntry.objects.for_target(obj).select_related("actor")[: HISTORY_LENGTH + 1]
        )
        return render_to_string(
            "admin/audit/history.html",
            {
                "entries": [(entry, entry_changes(entry)) for entry in entries[:HISTORY_LENGTH]],
                "more": len(entries) > HISTORY_LENGTH,
                "url": history_url(obj),
            },
        )

    def get_readonly_fields(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "audit_history"] if obj is not None else fields

    def get_fieldsets(self, request: HttpRequest, obj: models.Model | None = None) -> _FieldsetSpec:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        # Without declared fieldsets the readonly field already lands in the only one: move it.
        fieldsets = [
            (name, {**options, "fields": [f for f in options["fields"] if f != "audit_history"]})
            for name, options in fieldsets
        ]
        return [*fieldsets, (_("History"), {"fields": ["audit_history"]})]
