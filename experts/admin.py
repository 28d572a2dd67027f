from typing import TYPE_CHECKING

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from audit.admin import AuditHistoryMixin
from experts import services
from experts.models import (
    Credential,
    Expert,
    ExpertRequest,
    ExpertRequestStatusChange,
    Region,
)

if TYPE_CHECKING:
    from typing import TypedDict

    from django_stubs_ext import StrOrPromise, WithAnnotations

    class _RegionCounts(TypedDict):  # RegionAdmin.get_queryset
        expert_count: int

    class _ExpertCounts(TypedDict):  # ExpertAdmin.get_queryset
        credential_count: int
        open_request_count: int


Status = ExpertRequest.Status


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "position", "expert_count"]
    list_editable = ["position"]
    list_filter = ["kind"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(expert_count=Count("experts"))

    @admin.display(description=_("experts"), ordering="expert_count")
    def expert_count(self, region: "WithAnnotations[Region, _RegionCounts]") -> int:
        return region.expert_count


class CredentialInline(admin.TabularInline):
    model = Credential
    extra = 1
    fields = ["position", "kind", "title", "year", "url"]


@admin.register(Expert)
class ExpertAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "headline",
        "is_published",
        "is_featured",
        "credential_count",
        "open_request_count",
        "updated_at",
    ]
    list_display_links = ["name"]
    list_editable = ["is_published", "is_featured"]
    list_filter = ["is_published", "is_featured", "interests", "regions"]
    search_fields = ["name", "headline", "bio"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["interests", "regions"]
    readonly_fields = ["photo_preview", "created_at", "updated_at"]
    inlines = [CredentialInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "headline", "bio"]}),
        (_("Photo"), {"fields": ["photo", "photo_preview"]}),
        (_("Expertise and travel"), {"fields": ["interests", "regions", "availability"]}),
        (_("On the site"), {"fields": ["is_published", "is_featured"]}),
        (_("Dates"), {"fields": ["created_at", "updated_at"]}),
    ]

    def save_model(self, request, obj, form, change):
        # The change page and the list's editable boxes alike: the service records the change.
        services.expert_save(expert=obj, by=request.user)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name in ("name", "headline"):
            field.widget.attrs["class"] = "vLargeTextField"
        return field

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                credential_count=Count("credentials", distinct=True),
                open_request_count=Count(
                    "requests",
                    filter=Q(requests__status__in=ExpertRequest.OPEN_STATUSES),
                    distinct=True,
                ),
            )
        )

    @admin.display(description=_("credentials"), ordering="credential_count")
    def credential_count(self, expert: "WithAnnotations[Expert, _ExpertCounts]") -> int:
        return expert.credential_count

    @admin.display(description=_("open requests"), ordering="open_request_count")
    def open_request_count(self, expert: "WithAnnotations[Expert, _ExpertCounts]") -> int:
        return expert.open_request_count

    @admin.display(description=_("current photo"))
    def photo_preview(self, expert: Expert) -> "StrOrPromise":
        if not expert.photo:
            return _("No photo: the site shows their initials instead.")
        return format_html(
            '<img src="{}" alt="" width="120" height="120" class="expert-admin-photo">',
            expert.photo.url,
        )


class StatusChangeInline(admin.TabularInline):
    """The request's history: written only by the service, never edited here."""

    model = ExpertRequestStatusChange
    extra = 0
    can_delete = False
    fields = ("at", "from_status", "to_status", "changed_by", "note")
    readonly_fields = fields
    verbose_name = _("status change")
    verbose_name_plural = _("history")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by")


class ExpertRequestStatusForm(forms.ModelForm):
    """Staff change only the status (and may add a message); the member's answers stay as sent."""

    note = forms.CharField(
        label=_("Message to the member"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Optional. Sent with the status change email and kept in the request's history."
        ),
    )

    class Meta:
        model = ExpertRequest
        fields = ["status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.instance.status if self.instance.pk else Status.NEW
        allowed = {current, *ExpertRequest.TRANSITIONS[Status(current)]}
        self.fields["status"].choices = [(v, label) for v, label in Status.choices if v in allowed]
        if len(allowed) == 1:
            self.fields["status"].help_text = _("This status is final.")

    def clean_status(self) -> str:
        status = self.cleaned_data["status"]
        current = ExpertRequest.objects.values_list("status", flat=True).get(pk=self.instance.pk)
        if status != current and status not in ExpertRequest.TRANSITIONS[Status(current)]:
            raise forms.ValidationError(
                _("A request that is “%(current)s” can't become “%(new)s”.")
                % {"current": Status(current).label.lower(), "new": Status(status).label.lower()}
            )
        return status


@admin.register(ExpertRequest)
class ExpertRequestAdmin(admin.ModelAdmin):
    """The queue of members' requests. Status changes go through the service, which records
    who made them and emails the member."""

    form = ExpertRequestStatusForm
    list_display = [
        "event_name",
        "status",
        "expert",
        "member_name",
        "event_date",
        "audience",
        "created_at",
    ]
    list_filter = ["status", "event_date"]
    search_fields = [
        "event_name",
        "town",
        "topic",
        "expert__name",
        "member__email",
        "member__profile__display_name",
    ]
    list_select_related = ["expert", "member__profile"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    readonly_fields = [
        "account",
        "member_name",
        "expert",
        "event_name",
        "event_date",
        "town",
        "audience",
        "topic",
        "message",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (_("Status"), {"fields": ["status", "note"]}),
        (
            _("The request"),
            {
                "fields": [
                    "expert",
                    "member_name",
                    "account",
                    "event_name",
                    "event_date",
                    "town",
                    "audience",
                    "topic",
                    "message",
                ]
            },
        ),
        (_("Dates"), {"fields": ["created_at", "updated_at"]}),
    ]
    inlines = [StatusChangeInline]
    actions = ["mark_in_discussion", "mark_accepted", "mark_declined"]

    def has_add_permission(self, request):
        return False  # requests come from members, through the site

    def has_delete_permission(self, request, obj=None):
        return False  # the queue is also the record of what was asked

    @admin.display(description=_("member"), ordering="member__profile__display_name")
    def member_name(self, expert_request: ExpertRequest) -> str:
        profile = getattr(expert_request.member, "profile", None)
        return f"{profile.display_name} (@{profile.handle})" if profile else "—"

    @admin.display(description=_("account"))
    def account(self, expert_request: ExpertRequest) -> str:
        url = reverse("admin:members_user_change", args=[expert_request.member_id])
        return format_html('<a href="{}">{}</a>', url, expert_request.member.email)

    def save_model(self, request, obj, form, change):
        if not change:
            return
        try:
            services.expert_request_set_status(
                request=obj,
                status=form.cleaned_data["status"],
                by=request.user,
                note=form.cleaned_data.get("note", ""),
            )
        except services.InvalidStatusTransition as error:
            # Someone else changed it between the form and the save.
            self.message_user(request, str(error), messages.ERROR)

    def _set_status(self, request, queryset, status: str) -> None:
        changed = skipped = 0
        for expert_request in queryset.select_related(None):
            if expert_request.status == status:
                skipped += 1
                continue
            try:
                services.expert_request_set_status(
                    request=expert_request, status=status, by=request.user
                )
            except services.InvalidStatusTransition:
                skipped += 1
            else:
                changed += 1
        label = Status(status).label.lower()
        if changed:
            self.message_user(
                request,
                ngettext(
                    "%(count)d request is now %(status)s; the member has been emailed.",
                    "%(count)d requests are now %(status)s; the members have been emailed.",
                    changed,
                )
                % {"count": changed, "status": label},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d request was left alone: it is already %(status)s or final.",
                    "%(count)d requests were left alone: they are already %(status)s or final.",
                    skipped,
                )
                % {"count": skipped, "status": label},
                messages.WARNING,
            )

    @admin.action(description=_("Mark as in discussion"), permissions=["change"])
    def mark_in_discussion(self, request, queryset):
        self._set_status(request, queryset, Status.IN_DISCUSSION)

    @admin.action(description=_("Accept"), permissions=["change"])
    def mark_accepted(self, request, queryset):
        self._set_status(request, queryset, Status.ACCEPTED)

    @admin.action(description=_("Decline"), permissions=["change"])
    def mark_declined(self, request, queryset):
        self._set_status(request, queryset, Status.DECLINED)
