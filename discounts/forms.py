from django import forms
from django.utils.translation import gettext_lazy as _

from discounts.models import CODE_MAX_LENGTH

IMPORT_MAX_BYTES = 2 * 1024 * 1024


class CodeCheckForm(forms.Form):
    """The partner's till: type the code the member shows you."""

    code = forms.CharField(
        label=_("Member's code"),
        max_length=CODE_MAX_LENGTH + 16,  # room for spaces people type between groups
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "autofocus": True,
                "class": "code-input",
            }
        ),
        help_text=_("Capitals and spaces don't matter."),
    )


class CodeImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "One code per row, optionally with a first row saying “code”. UTF-8, up to 2 MB. "
            "If any row is wrong, nothing is imported and every problem is listed."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB. Split it and try again."))
        return upload
