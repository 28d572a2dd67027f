from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from audit.admin import AuditHistoryMixin
from core.admin import RelatedInitialMixin
from events import services
from events.models import RSVP, Event, EventInvite, EventMessage, EventSpeaker

if TYPE_CHECKING:
    from typing import TypedDict

    from django_stubs_ext import WithAnnotations

    class _EventCounts(TypedDict):  # EventAdmin.get_queryset
        waiting_count: int


class SpeakerInline(admin.TabularInline):
    model = EventSpeaker
    fields = ["expert", "position"]
    autocomplete_fields = ["expert"]
    extra = 0


class RSVPInline(admin.TabularInline):
    """Replies are the members' own: staff read them here and never edit them."""

    model = RSVP
    fields = ("member", "status", "guests", "waitlist_ticket", "confirmed_at", "attended")
    readonly_fields = fields
    ordering = ["status", "waitlist_ticket", "pk"]
    extra = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("member")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StartDateFilter(admin.SimpleListFilter):
    title = _("when")
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return [("upcoming", _("Upcoming")), ("past", _("Past"))]

    def queryset(self, request, queryset):
        if self.value() == "upcoming":
            return queryset.upcoming()
        if self.value() == "past":
            return queryset.past()
        return queryset


@admin.register(Event)
class EventAdmin(RelatedInitialMixin, AuditHistoryMixin, admin.ModelAdmin):
    list_display = [
        "title",
        "starts_at",
        "group",
        "city",
        "places",
        "waiting",
        "is_published",
        "is_cancelled",
    ]
    list_filter = [StartDateFilter, "starts_at", "group", "is_published", "is_cancelled", "city"]
    list_select_related = ["group"]
    date_hierarchy = "starts_at"
    search_fields = ["title", "slug", "venue_name", "city", "group__name"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["interests"]
    raw_id_fields = ["created_by"]
    autocomplete_fields = ["group"]
    readonly_fields = [
        "confirmed_places",
        "is_cancelled",
        "cancelled_at",
        "cancel_reason",
        "sequence",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["title", "slug", "group", "description", "cover", "interests"]}),
        (_("When"), {"fields": ["starts_at", "ends_at", "rsvp_deadline"]}),
        (_("Where"), {"fields": ["venue_name", "venue_address", "city", "online_url"]}),
        (_("Places"), {"fields": ["capacity", "guests_allowed", "confirmed_places"]}),
        (
            _("Status"),
            {
                "fields": [
                    "is_published",
                    "is_cancelled",
                    "cancelled_at",
                    "cancel_reason",
                    "created_by",
                    "sequence",
                    "created_at",
                    "updated_at",
                ]
            },
        ),
    ]
    inlines = [SpeakerInline, RSVPInline]
    actions = ["duplicate", "publish", "cancel"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(waiting_count=Count("rsvps", filter=Q(rsvps__status=RSVP.Status.WAITLISTED)))
        )

    @admin.display(description=_("places taken"), ordering="confirmed_places")
    def places(self, event: Event) -> str:
        if event.capacity is None:
            return f"{event.confirmed_places}"
        return f"{event.confirmed_places} / {event.capacity}"

    @admin.display(description=_("waiting"), ordering="waiting_count")
    def waiting(self, event: "WithAnnotations[Event, _EventCounts]") -> int:
        return event.waiting_count

    def save_model(self, request, obj, form, change):
        # One door for every save: the service keeps the counters and promotes from the
        # waitlist when places were added.
        services.event_save(event=obj, by=request.user)

    @admin.action(description=_("Duplicate (an unpublished copy a week later)"))
    def duplicate(self, request, queryset):
        copies = [services.event_duplicate(event=event, by=request.user) for event in queryset]
        self.message_user(
            request,
            _("Made %(n)d unpublished copies, a week later: check the dates, then publish.")
            % {"n": len(copies)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Publish"))
    def publish(self, request, queryset):
        published = sum(
            services.event_publish(event=event, by=request.user)
            for event in queryset.filter(is_cancelled=False)
        )
        self.message_user(request, _("%(n)d events published.") % {"n": published})

    @admin.action(description=_("Cancel and tell everyone going or waiting"))
    def cancel(self, request, queryset):
        told = sum(services.event_cancel(event=event, by=request.user) for event in queryset)
        self.message_user(
            request,
            _("Cancelled. %(n)d people are being told.") % {"n": told},
            messages.WARNING,
        )


@admin.register(RSVP)
class RSVPAdmin(admin.ModelAdmin):
    """Read-only: replies change only through the site, so the counters stay true."""

    list_display = ["event", "member", "status", "guests", "waitlist_ticket", "attended"]
    list_filter = ["status", "attended"]
    list_select_related = ["event", "member"]
    search_fields = ["event__title", "member__profile__display_name", "member__profile__handle"]
    raw_id_fields = ["event", "member"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EventInvite)
class EventInviteAdmin(admin.ModelAdmin):
    list_display = ["event", "source", "invited_by", "created_at"]
    list_filter = ["source", "created_at"]
    list_select_related = ["event", "invited_by"]
    search_fields = ["event__title"]
    raw_id_fields = ["event", "member", "invited_by"]
    readonly_fields = ["event", "email", "member", "invited_by", "source", "created_at"]

    def has_add_permission(self, request):
        return False


@admin.register(EventMessage)
class EventMessageAdmin(admin.ModelAdmin):
    list_display = ["subject", "event", "sender", "recipient_count", "created_at"]
    list_select_related = ["event", "sender"]
    search_fields = ["subject", "event__title"]
    readonly_fields = ["event", "sender", "subject", "body", "recipient_count", "created_at"]

    def has_add_permission(self, request):
        return False
