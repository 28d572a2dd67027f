from django.contrib import admin

from core.admin import ReadOnlyAdmin
from mail.models import (
    AddressOptOut,
    ConsentEvent,
    EmailDelivery,
    StreamSubscription,
    SuppressedAddress,
)


@admin.register(ConsentEvent)
class ConsentEventAdmin(ReadOnlyAdmin):
    """The consent ledger: read-only here, and the database refuses edits anyway."""

    list_display = ["created_at", "user", "stream", "action", "source", "wording_version"]
    list_filter = ["stream", "action", "source"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    readonly_fields = [f.name for f in ConsentEvent._meta.fields]
    date_hierarchy = "created_at"


@admin.register(StreamSubscription)
class StreamSubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["user", "stream", "status", "frequency", "confirmed_at", "updated_at"]
    list_filter = ["stream", "status", "frequency"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    readonly_fields = [f.name for f in StreamSubscription._meta.fields]


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "to_email", "kind", "stream", "status", "attempts", "sent_at"]
    list_filter = ["status", "stream", "kind"]
    search_fields = ["to_email", "dedupe_key"]
    readonly_fields = [f.name for f in EmailDelivery._meta.fields]
    date_hierarchy = "created_at"


@admin.register(SuppressedAddress)
class SuppressedAddressAdmin(admin.ModelAdmin):
    list_display = ["email", "reason", "created_at"]
    list_filter = ["reason"]
    search_fields = ["email"]
    readonly_fields = ["created_at"]


@admin.register(AddressOptOut)
class AddressOptOutAdmin(ReadOnlyAdmin):
    list_display = ["email", "stream", "created_at"]
    list_filter = ["stream"]
    search_fields = ["email"]
