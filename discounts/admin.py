import csv
from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from audit.admin import AuditHistoryMixin
from core.admin import RelatedInitialMixin
from discounts import services
from discounts.forms import CodeImportForm
from discounts.models import Code, Offer, Partner, Redemption
from mail.emails import absolute_url

if TYPE_CHECKING:
    from typing import TypedDict

    from django_stubs_ext import StrOrPromise, WithAnnotations

    class _PartnerCounts(TypedDict):  # PartnerAdmin.get_queryset
        offer_count: int

    class _OfferCounts(TypedDict):  # Offer.objects.with_counts()
        redemption_total: int
        codes_left: int
        codes_used: int


EXPORT_COLUMNS = [
    "offer",
    "slug",
    "partner",
    "valid_from",
    "valid_until",
    "method",
    "total_cap",
    "redemptions",
    "codes_left",
    "codes_used",
]


def csv_safe(value) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas; make them plain text."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@admin.register(Partner)
class PartnerAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ["name", "website", "offer_count", "updated_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["verification_link", "created_at", "updated_at"]
    fields = ["name", "slug", "website", "logo", "verification_link", "created_at", "updated_at"]
    actions = ["rotate_verification_link"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(offer_count=Count("offers"))

    @admin.display(description=_("offers"), ordering="offer_count")
    def offer_count(self, partner: "WithAnnotations[Partner, _PartnerCounts]") -> int:
        return partner.offer_count

    @admin.display(description=_("code-checking link"))
    def verification_link(self, partner: Partner) -> "StrOrPromise":
        if not partner.pk:
            return _("Created when you save.")
        url = absolute_url("discounts:partner_verify", token=partner.verification_token)
        return format_html(
            '<code>{}</code><div class="help">{}</div>',
            url,
            _(
                "Send this private link to the partner: it lets them check members' codes. "
                "Use “Rotate the code-checking link” if it leaks."
            ),
        )

    @admin.action(description=_("Rotate the code-checking link (the old one stops working)"))
    def rotate_verification_link(self, request, queryset):
        for partner in queryset:
            services.partner_rotate_token(partner=partner, by=request.user)
        self.message_user(
            request,
            _("New links issued for %(n)d partner(s). Send them the new link.")
            % {"n": queryset.count()},
        )


@admin.register(Offer)
class OfferAdmin(RelatedInitialMixin, AuditHistoryMixin, admin.ModelAdmin):
    list_display = [
        "title",
        "partner",
        "valid_from",
        "valid_until",
        "method",
        "featured",
        "redemptions",
        "total_cap",
        "codes_left_display",
    ]
    list_filter = ["method", "featured", "valid_from", "partner"]
    search_fields = ["title", "slug", "partner__name"]
    list_select_related = ["partner"]
    autocomplete_fields = ["partner"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["interests"]
    date_hierarchy = "valid_from"
    readonly_fields = ["redeemed_count", "code_pool", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["partner", "title", "slug", "description", "terms", "interests"]}),
        (_("When"), {"fields": ["valid_from", "valid_until", "featured"]}),
        (
            _("Codes"),
            {
                "fields": [
                    "method",
                    "shared_code",
                    "per_member_limit",
                    "total_cap",
                    "redeemed_count",
                    "code_pool",
                ]
            },
        ),
        (_("Record"), {"fields": ["created_at", "updated_at"]}),
    ]
    actions = ["import_codes", "export_counts_csv"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_counts()

    def save_model(self, request, obj, form, change):
        services.offer_save(offer=obj, by=request.user)

    def get_urls(self):
        urls = [
            path(
                "<int:offer_id>/import-codes/",
                self.admin_site.admin_view(self.import_codes_view),
                name="discounts_offer_import_codes",
            ),
        ]
        return urls + super().get_urls()

    @admin.display(description=_("redemptions"), ordering="redemption_total")
    def redemptions(self, offer: "WithAnnotations[Offer, _OfferCounts]") -> int:
        return offer.redemption_total

    @admin.display(description=_("codes left"), ordering="codes_left")
    def codes_left_display(self, offer: "WithAnnotations[Offer, _OfferCounts]") -> str | int:
        return offer.codes_left if offer.method == Offer.Method.POOL else "—"

    @admin.display(description=_("code pool"))
    def code_pool(self, offer: "WithAnnotations[Offer, _OfferCounts]") -> "StrOrPromise":
        if not offer.pk or offer.method != Offer.Method.POOL:
            return _("Only pool offers have a pool of codes.")
        total = offer.codes.count()
        return format_html(
            '{} <a class="button" href="{}">{}</a>',
            _("%(total)d codes: %(left)d left, %(used)d used at the till.")
            % {"total": total, "left": offer.codes_left, "used": offer.codes_used},
            reverse("admin:discounts_offer_import_codes", args=[offer.pk]),
            _("Import codes from CSV"),
        )

    @admin.action(description=_("Import codes from CSV (one pool offer)"))
    def import_codes(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(
                request, _("Select exactly one offer to import codes into."), messages.WARNING
            )
            return None
        return redirect("admin:discounts_offer_import_codes", offer_id=queryset.get().pk)

    def import_codes_view(self, request, offer_id: int):
        offer = get_object_or_404(Offer.objects.with_counts(), pk=offer_id)
        if not self.has_change_permission(request, offer):
            return HttpResponse(status=403)
        form = CodeImportForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            report = services.offer_import_codes(
                offer=offer, data=form.cleaned_data["file"].read(), by=request.user
            )
            if report.ok:
                self.message_user(
                    request,
                    _("Imported %(n)d codes into “%(offer)s”.")
                    % {"n": report.imported, "offer": offer.title},
                    messages.SUCCESS,
                )
                return redirect("admin:discounts_offer_change", offer.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import codes into “%(offer)s”") % {"offer": offer.title},
            "offer": offer,
            "form": form,
            "report": report,
            "is_pool": offer.method == Offer.Method.POOL,
        }
        return TemplateResponse(request, "discounts/admin/code_import.html", context)

    @admin.action(description=_("Export counts as CSV (no personal data)"))
    def export_counts_csv(self, request, queryset):
        stamp = timezone.localdate().isoformat()
        response = HttpResponse(
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="offer-counts-{stamp}.csv"'},
        )
        writer = csv.writer(response)
        writer.writerow(EXPORT_COLUMNS)
        for offer in queryset.order_by("valid_from", "title"):
            writer.writerow(
                [
                    csv_safe(offer.title),
                    offer.slug,
                    csv_safe(offer.partner.name),
                    offer.valid_from.isoformat(),
                    offer.valid_until.isoformat(),
                    offer.method,
                    "" if offer.total_cap is None else offer.total_cap,
                    offer.redemption_total,
                    offer.codes_left if offer.method == Offer.Method.POOL else "",
                    offer.codes_used,
                ]
            )
        return response


@admin.register(Code)
class CodeAdmin(admin.ModelAdmin):
    """Codes come from the CSV import or the redemption service; staff look, not type."""

    list_display = ["code", "offer", "assigned_at", "used_at"]
    list_filter = ["offer__partner", "assigned_at", "used_at"]
    search_fields = ["code", "offer__title"]
    list_select_related = ["offer"]
    raw_id_fields = ["member", "offer"]
    readonly_fields = ["offer", "code", "member", "assigned_at", "used_at", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # An unclaimed code may go (a mistaken import); a claimed one is someone's record.
        return super().has_delete_permission(request, obj) and (
            obj is None or obj.assigned_at is None
        )


@admin.register(Redemption)
class RedemptionAdmin(admin.ModelAdmin):
    """The record of every code given out. Read-only."""

    list_display = ["offer", "member", "number", "code_text", "created_at"]
    list_filter = ["offer__partner", "created_at"]
    search_fields = ["code_text", "offer__title", "member__email"]
    list_select_related = ["offer", "member"]
    raw_id_fields = ["member", "offer", "code"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "offer",
        "member",
        "number",
        "member_limit",
        "code",
        "code_text",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False
