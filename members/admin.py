from typing import TYPE_CHECKING

from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from audit.admin import AuditHistoryMixin
from core.admin import ReadOnlyAdmin
from members.models import Interest, Profile, StaffEnrolment, User
from members.services.staff import account_save_by_staff, authenticator_remove

if TYPE_CHECKING:
    from typing import TypedDict

    from django_stubs_ext import WithAnnotations

    class _InterestCounts(TypedDict):  # InterestAdmin.get_queryset
        member_count: int


class ProfileInline(admin.StackedInline):
    model = Profile
    extra = 0
    can_delete = False
    filter_horizontal = ["interests"]


@admin.register(User)
class UserAdmin(AuditHistoryMixin, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "is_active", "is_staff", "date_joined", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser", "date_joined"]
    search_fields = ["email", "profile__display_name", "profile__handle"]
    list_select_related = ["profile"]
    readonly_fields = ["date_joined", "last_login"]
    inlines = [ProfileInline]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]}),
    ]

    def save_model(self, request, obj, form, change):
        # Records a change of roles, and mails newly made staff their enrolment link.
        account_save_by_staff(user=obj, by=request.user)

    @admin.display(description=_("display name"), ordering="profile__display_name")
    def display_name(self, user: User) -> str:
        profile = getattr(user, "profile", None)
        return profile.display_name if profile else "—"


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["display_name", "handle", "headline", "city", "in_directory", "created_at"]
    list_filter = ["in_directory", "open_to_coffee", "open_to_mentoring", "interests"]
    search_fields = ["display_name", "handle", "headline", "city", "user__email"]
    raw_id_fields = ["user"]
    filter_horizontal = ["interests"]
    readonly_fields = ["created_at", "updated_at"]
    list_select_related = ["user"]


@admin.register(Interest)
class InterestAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "category", "member_count"]
    list_filter = ["category"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("profiles"))

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, interest: "WithAnnotations[Interest, _InterestCounts]") -> int:
        return interest.member_count


@admin.register(StaffEnrolment)
class StaffEnrolmentAdmin(ReadOnlyAdmin):
    """Who was given staff status, by whom, and each enrolment link sent (never editable)."""

    list_display = ["user", "reason", "granted_by", "sent_to", "created_at", "used_at"]
    list_filter = ["reason", "created_at"]
    search_fields = ["user__email", "sent_to"]
    list_select_related = ["user", "granted_by"]


admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    """Staff may see and remove an authenticator (a lost phone), never add or edit one: an
    authenticator is only ever set up by its owner, and a removal is emailed to them."""

    list_display = ["user", "type", "created_at", "last_used_at"]
    list_filter = ["type", "created_at", "last_used_at"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    fields = ("user", "type", "created_at", "last_used_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_change_permission(request, obj)

    def delete_model(self, request, obj):
        authenticator_remove(request=request, authenticator=obj)

    def delete_queryset(self, request, queryset):
        for authenticator in queryset.select_related("user"):
            authenticator_remove(request=request, authenticator=authenticator)
