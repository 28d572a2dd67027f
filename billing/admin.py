from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from audit.admin import AuditHistoryMixin
from billing import services as billing
from billing.models import Membership, StripeEvent
from billing.stripe_api import StripeUnavailable


@admin.register(Membership)
class MembershipAdmin(AuditHistoryMixin, admin.ModelAdmin):
    """Read-only: Stripe is the truth, and "Resync from Stripe" fetches it again."""

    list_display = [
        "user",
        "status",
        "current_period_end",
        "cancel_at_period_end",
        "past_due_since",
        "synced_at",
    ]
    list_filter = ["status", "cancel_at_period_end"]
    search_fields = ["user__email", "stripe_customer_id", "stripe_subscription_id"]
    list_select_related = ["user"]
    readonly_fields = [f.name for f in Membership._meta.fields]
    actions = ["resync_from_stripe"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # Viewing is allowed (the change page renders read-only); saving is not.
        return request.method in ("GET", "HEAD") and super().has_change_permission(request, obj)

    @admin.action(description=_("Resync from Stripe"))
    def resync_from_stripe(self, request, queryset):
        done = failed = 0
        for membership in queryset:
            try:
                billing.membership_resync(membership=membership, by=request.user)
            except StripeUnavailable:
                failed += 1
            else:
                done += 1
        self.message_user(request, _("Resynced %(done)d, failed %(failed)d.") % locals())


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ["id", "type", "object_id", "processed_at"]
    list_filter = ["type"]
    search_fields = ["id", "object_id"]
    readonly_fields = ["id", "type", "object_id", "processed_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_change_permission(request, obj)
