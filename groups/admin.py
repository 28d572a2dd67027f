from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from audit.admin import AuditHistoryMixin
from groups import services
from groups.models import (
    Group,
    GroupMembership,
    GroupProposal,
    Post,
    PostForReview,
    PostReport,
    Thread,
)
from members.models import User

if TYPE_CHECKING:
    from typing import TypedDict

    from django_stubs_ext import WithAnnotations

    class _GroupCounts(TypedDict):  # GroupAdmin.get_queryset
        counted_members: int
        counted_organisers: int

    class _PostCounts(TypedDict):  # PostAdmin.get_queryset
        open_report_count: int


class OrganiserInline(admin.TabularInline):
    """The group's organisers; make a member an organiser from the memberships list.

    Rows are saved by the services (`GroupAdmin.save_formset`), which record each change of
    organiser in the audit log.
    """

    model = GroupMembership
    verbose_name = _("organiser")
    verbose_name_plural = _("organisers")
    fields = ["user", "role", "joined_at"]
    readonly_fields = ["joined_at"]
    raw_id_fields = ["user"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).organisers().select_related("user")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.base_fields["role"].initial = GroupMembership.Role.ORGANISER
        return formset


@admin.register(Group)
class GroupAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "city",
        "is_published",
        "members",
        "organisers",
        "last_activity_at",
        "created_at",
    ]
    list_filter = ["is_published", "interests", "city"]
    search_fields = ["name", "slug", "summary", "city"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["interests"]
    readonly_fields = ["member_count", "last_activity_at", "created_at", "updated_at"]
    inlines = [OrganiserInline]
    actions = ["publish", "unpublish"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                counted_members=Count("memberships", distinct=True),
                counted_organisers=Count(
                    "memberships",
                    filter=Q(memberships__role=GroupMembership.Role.ORGANISER),
                    distinct=True,
                ),
            )
        )

    @admin.display(description=_("members"), ordering="counted_members")
    def members(self, group: "WithAnnotations[Group, _GroupCounts]") -> int:
        return group.counted_members

    @admin.display(description=_("organisers"), ordering="counted_organisers")
    def organisers(self, group: "WithAnnotations[Group, _GroupCounts]") -> int:
        return group.counted_organisers

    def save_model(self, request, obj, form, change):
        services.group_save(group=obj, by=request.user)

    def save_formset(self, request, form, formset, change):
        if formset.model is not GroupMembership:
            return super().save_formset(request, form, formset, change)
        group = form.instance
        # Fills the formset's lists of new, changed and deleted rows (for the admin's own
        # change message) without saving: the services below do that.
        formset.save(commit=False)
        for membership in formset.deleted_objects:
            services.group_member_remove(group=group, user=membership.user, by=request.user)
        for row in formset.forms:
            if row in formset.deleted_forms or not row.has_changed():
                continue
            user, role = row.cleaned_data["user"], row.cleaned_data["role"]
            replaced = row.instance.pk and row.initial.get("user") not in (None, user.pk)
            if replaced:
                # The row now names someone else: the person it named stops organising.
                named = User.objects.get(pk=row.initial["user"])
                services.group_member_remove(group=group, user=named, by=request.user)
            services.group_set_role(group=group, user=user, role=role, by=request.user)
        return None

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Organisers added or removed here are memberships too: keep the stored count true.
        services.group_recount_members(group=form.instance)

    @admin.action(description=_("Publish the selected groups"))
    def publish(self, request, queryset):
        updated = sum(
            services.group_set_published(group=group, published=True, by=request.user)
            for group in queryset
        )
        self.message_user(request, _("%(n)d groups published.") % {"n": updated})

    @admin.action(description=_("Unpublish the selected groups"))
    def unpublish(self, request, queryset):
        updated = sum(
            services.group_set_published(group=group, published=False, by=request.user)
            for group in queryset
        )
        self.message_user(request, _("%(n)d groups unpublished.") % {"n": updated})


@admin.register(GroupMembership)
class GroupMembershipAdmin(admin.ModelAdmin):
    list_display = ["group", "member", "role", "joined_at"]
    list_filter = ["role", "group"]
    search_fields = ["group__name", "user__profile__display_name", "user__profile__handle"]
    list_select_related = ["group", "user__profile"]
    raw_id_fields = ["group", "user"]
    readonly_fields = ["joined_at"]
    actions = ["make_organiser", "make_member"]

    @admin.display(description=_("member"), ordering="user__profile__display_name")
    def member(self, membership: GroupMembership) -> str:
        from groups.selectors import display_name

        return display_name(membership.user)

    def has_change_permission(self, request, obj=None):
        return False  # roles change through the actions, which keep a group's organiser

    def has_add_permission(self, request):
        return False  # members join on the site; organisers are added on the group

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("group", "user"):
            self.delete_model(request, membership)

    def delete_model(self, request, obj):
        # The service keeps the stored count and records an organiser's removal.
        services.group_member_remove(group=obj.group, user=obj.user, by=request.user)

    def _set_role(self, request, queryset, role: str) -> None:
        changed = 0
        for membership in queryset.select_related("group", "user"):
            try:
                services.group_set_role(
                    group=membership.group, user=membership.user, role=role, by=request.user
                )
            except services.LastOrganiserError as error:
                self.message_user(request, error.message, messages.WARNING)
            else:
                changed += 1
        self.message_user(request, _("%(n)d memberships updated.") % {"n": changed})

    @admin.action(description=_("Make organiser"))
    def make_organiser(self, request, queryset):
        self._set_role(request, queryset, GroupMembership.Role.ORGANISER)

    @admin.action(description=_("Make ordinary member"))
    def make_member(self, request, queryset):
        self._set_role(request, queryset, GroupMembership.Role.MEMBER)


@admin.register(GroupProposal)
class GroupProposalAdmin(admin.ModelAdmin):
    list_display = ["name", "proposer_name", "city", "status", "created_at", "decided_at"]
    list_filter = ["status", "interests"]
    search_fields = ["name", "summary", "city", "proposer__profile__display_name"]
    list_select_related = ["proposer__profile"]
    raw_id_fields = ["proposer"]
    filter_horizontal = ["interests"]
    readonly_fields = ["proposer", "status", "decided_by", "decided_at", "group", "created_at"]
    actions = ["approve", "decline"]

    @admin.display(description=_("proposed by"), ordering="proposer__profile__display_name")
    def proposer_name(self, proposal: GroupProposal) -> str:
        from groups.selectors import display_name

        return display_name(proposal.proposer)

    def has_add_permission(self, request):
        return False  # members propose on the site

    @admin.action(description=_("Approve: create the group with the proposer as organiser"))
    def approve(self, request, queryset):
        created = 0
        for proposal in queryset:
            try:
                services.group_proposal_approve(proposal=proposal, decided_by=request.user)
            except services.GroupError as error:
                self.message_user(request, error.message, messages.WARNING)
            else:
                created += 1
        self.message_user(request, _("%(n)d proposals approved.") % {"n": created})

    @admin.action(description=_("Decline (the member is told, with the decision note)"))
    def decline(self, request, queryset):
        declined = sum(
            services.group_proposal_decline(proposal=proposal, decided_by=request.user)
            for proposal in queryset
        )
        self.message_user(request, _("%(n)d proposals declined.") % {"n": declined})


class ReportInline(admin.TabularInline):
    model = PostReport
    fields = ("reporter", "reason", "created_at", "resolved_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class PostModerationMixin(admin.ModelAdmin):
    """Hide or keep posts from the admin; both close the post's open reports."""

    actions = ["hide_as_spam", "hide_as_selling", "hide_as_abusive", "approve"]

    def _hide(self, request, queryset, reason: str) -> None:
        for post in queryset:
            services.post_hide(post=post, by=request.user, reason=reason)
        self.message_user(request, _("%(n)d posts hidden.") % {"n": queryset.count()})

    @admin.action(description=_("Hide as spam"))
    def hide_as_spam(self, request, queryset):
        self._hide(request, queryset, Post.HiddenReason.SPAM)

    @admin.action(description=_("Hide as hard selling"))
    def hide_as_selling(self, request, queryset):
        self._hide(request, queryset, Post.HiddenReason.SELLING)

    @admin.action(description=_("Hide as abusive"))
    def hide_as_abusive(self, request, queryset):
        self._hide(request, queryset, Post.HiddenReason.ABUSIVE)

    @admin.action(description=_("Fine: show it (or keep it shown) and close the reports"))
    def approve(self, request, queryset):
        for post in queryset:
            services.post_approve(post=post, by=request.user)
        self.message_user(request, _("%(n)d posts approved.") % {"n": queryset.count()})


@admin.register(Post)
class PostAdmin(AuditHistoryMixin, PostModerationMixin, admin.ModelAdmin):
    list_display = [
        "excerpt",
        "group",
        "author_name",
        "created_at",
        "is_hidden",
        "hidden_reason",
        "spam_flags",
        "open_reports",
    ]
    list_filter = ["is_hidden", "hidden_reason", "created_at"]
    search_fields = ["body", "thread__title", "author__profile__display_name"]
    list_select_related = ["thread__group", "author__profile"]
    raw_id_fields = ["thread", "author", "hidden_by", "reviewed_by"]
    readonly_fields = [
        "thread",
        "author",
        "is_opening",
        "created_at",
        "is_hidden",
        "hidden_reason",
        "hidden_by",
        "hidden_at",
        "spam_flags",
        "reviewed_by",
        "reviewed_at",
    ]
    inlines = [ReportInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                open_report_count=Count("reports", filter=Q(reports__resolved_at__isnull=True))
            )
        )

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("post"))
    def excerpt(self, post: Post) -> str:
        return post.body[:80]

    @admin.display(description=_("group"), ordering="thread__group__name")
    def group(self, post: Post) -> str:
        return post.thread.group.name

    @admin.display(description=_("author"), ordering="author__profile__display_name")
    def author_name(self, post: Post) -> str:
        from groups.selectors import display_name

        return display_name(post.author)

    @admin.display(description=_("open reports"), ordering="open_report_count")
    def open_reports(self, post: "WithAnnotations[Post, _PostCounts]") -> int:
        return post.open_report_count


@admin.register(PostForReview)
class ReviewQueueAdmin(PostAdmin):
    """Posts held by the spam checks and posts members reported, oldest first."""

    list_filter = ["hidden_reason", "spam_flags"]

    def get_queryset(self, request):
        return super().get_queryset(request).needs_review().order_by("created_at")


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = ["title", "group", "is_hidden", "created_at", "last_post_at"]
    list_filter = ["is_hidden"]
    search_fields = ["title", "group__name"]
    list_select_related = ["group"]
    raw_id_fields = ["group", "author"]
    readonly_fields = ["created_at", "last_post_at", "is_hidden"]


@admin.register(PostReport)
class PostReportAdmin(admin.ModelAdmin):
    list_display = ["post", "reason", "created_at", "resolved_at"]
    list_filter = ["reason", "resolved_at"]
    list_select_related = ["post"]
    raw_id_fields = ["post", "reporter"]
    readonly_fields = ["post", "reporter", "reason", "created_at", "resolved_at"]

    def has_add_permission(self, request):
        return False
