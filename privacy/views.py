import json

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from billing.stripe_api import StripeUnavailable
from privacy import services
from privacy.selectors import member_export


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Your password, to confirm it's you"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand this deletes my account and cannot be undone"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That password isn't right."))
        return password


@login_required
@require_http_methods(["GET", "POST"])
def privacy_settings(request):
    form = DeleteAccountForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_delete(user=request.user)
        except StripeUnavailable:
            messages.error(
                request,
                _(
                    "We couldn't reach our payment provider to cancel your subscription, so "
                    "nothing was deleted. Please try again in a few minutes."
                ),
            )
            return redirect("privacy:settings")
        logout(request)
        return render(request, "privacy/deleted.html")
    return render(request, "privacy/privacy_settings.html", {"form": form})


@login_required
def privacy_export(request):
    """Everything we hold about you, as a JSON download (reading it changes nothing)."""
    data = member_export(request.user)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="mutual-my-data-{stamp}.json"'
    response["Cache-Control"] = "no-store"
    return response
