from django.contrib import admin
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from digests.models import DigestRun
from digests.selectors import digest_contents
from mail.models import EmailDelivery, StreamSubscription
from mail.streams import DigestFrequency
from members.models import User


@admin.register(DigestRun)
class DigestRunAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "started_at",
        "eligible",
        "queued",
        "sent",
        "skipped_empty",
        "failed",
        "progress",
    ]
    list_filter = ["frequency"]
    readonly_fields = [f.name for f in DigestRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_change_permission(request, obj)

    def changelist_view(self, request, extra_context=None):
        # Sent and failed come from the outbox rows, counted in one query for the page.
        runs = DigestRun.objects.all()[:200]
        counts = {}
        for run in runs:
            counts[run.pk] = EmailDelivery.objects.filter(
                dedupe_key__startswith=run.dedupe_prefix
            ).aggregate(
                sent=Count("pk", filter=Q(status="sent")),
                failed=Count("pk", filter=Q(status__in=["failed", "skipped"])),
            )
        self._delivery_counts = counts
        extra_context = {**(extra_context or {}), "preview_url": "preview/"}
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("sent"))
    def sent(self, run: DigestRun) -> int:
        return getattr(self, "_delivery_counts", {}).get(run.pk, {}).get("sent", 0)

    @admin.display(description=_("failed or withheld"))
    def failed(self, run: DigestRun) -> int:
        return getattr(self, "_delivery_counts", {}).get(run.pk, {}).get("failed", 0)

    @admin.display(description=_("batches"))
    def progress(self, run: DigestRun) -> str:
        return f"{run.batches_done}/{run.batches_total}"

    def get_urls(self):
        return [
            path(
                "preview/",
                self.admin_site.admin_view(self.preview_view),
                name="digests_digestrun_preview",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request):
        """Any member's next digest, as it would be sent now."""
        user = None
        text = ""
        empty = False
        query = request.GET.get("member", "").strip()
        if query:
            user = get_object_or_404(
                User.objects.filter(Q(email__iexact=query) | Q(profile__handle=query))
            )
            subscription = StreamSubscription.objects.filter(user=user, stream="digest").first()
            frequency = subscription.frequency if subscription else DigestFrequency.WEEKLY
            content = digest_contents([user], frequency=frequency)[user.pk]
            empty = content.is_empty()
            # The plain-text part: shown as text, so the admin's CSP needs no exception.
            text = render_to_string(
                "digests/email/digest.txt",
                {**content.as_payload(), "weekly": frequency == DigestFrequency.WEEKLY},
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Preview a member's next digest"),
            "member": user,
            "query": query,
            "empty": empty,
            "preview": text,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/digests/preview.html", context)
