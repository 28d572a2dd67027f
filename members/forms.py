from django import forms
from django.utils.translation import gettext_lazy as _

from members.models import OPEN_TO_FIELDS, Interest, Profile


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = [
            "display_name",
            "handle",
            "headline",
            "city",
            "bio",
            "website",
            *OPEN_TO_FIELDS,
            "in_directory",
        ]
        widgets = {
            "bio": forms.Textarea(attrs={"rows": 5}),
            "website": forms.URLInput(attrs={"placeholder": "https://"}),
        }

    def clean_handle(self) -> str:
        return self.cleaned_data["handle"].strip().lower()

    def clean_display_name(self) -> str:
        name = " ".join(self.cleaned_data["display_name"].split())
        if not name:
            raise forms.ValidationError(_("Tell other members what to call you."))
        return name


class InterestChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Interest) -> str:
        return obj.name


class InterestsForm(forms.Form):
    interests = InterestChoiceField(
        queryset=Interest.objects.by_category(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label=_("Your interests"),
    )

    def clean_interests(self):
        interests = list(self.cleaned_data["interests"])
        count = len(interests)
        if count < Profile.MIN_INTERESTS:
            raise forms.ValidationError(
                _("Pick at least %(min)d interests so we can match you (you picked %(count)d).")
                % {"min": Profile.MIN_INTERESTS, "count": count}
            )
        if count > Profile.MAX_INTERESTS:
            raise forms.ValidationError(
                _("Pick at most %(max)d interests (you picked %(count)d).")
                % {"max": Profile.MAX_INTERESTS, "count": count}
            )
        return interests

    def grouped_choices(self):
        """The checkboxes, split by category, for the template."""
        by_category: dict[str, list] = {}
        labels = dict(Interest.Category.choices)
        category_of = dict(Interest.objects.values_list("pk", "category"))
        for checkbox in self["interests"]:
            category = category_of.get(checkbox.data["value"].value)
            by_category.setdefault(labels.get(category, ""), []).append(checkbox)
        return by_category.items()
