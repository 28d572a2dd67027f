from django import forms
from django.utils.translation import gettext_lazy as _

from mail.streams import DigestFrequency, Stream


class EmailPreferencesForm(forms.Form):
    """One checkbox per stream, plus how often the digest comes; opt-ins start unticked."""

    frequency = forms.ChoiceField(
        label=_("How often"),
        choices=DigestFrequency.choices,
        widget=forms.RadioSelect,
        initial=DigestFrequency.WEEKLY,
    )

    def __init__(self, *args, preferences: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.preferences = preferences
        for row in preferences:
            on = row["status"] in ("subscribed", "pending")
            self.fields[row["stream"]] = forms.BooleanField(
                label=row["info"].stream.label,
                help_text=row["info"].wording,
                required=False,
                initial=on,
            )
            if row["stream"] == Stream.DIGEST and row["subscription"] is not None:
                self.fields["frequency"].initial = row["subscription"].frequency

    def wanted(self) -> dict[str, bool]:
        return {row["stream"]: self.cleaned_data[row["stream"]] for row in self.preferences}
