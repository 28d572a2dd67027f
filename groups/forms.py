from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from groups.antispam import HONEYPOT_FIELD
from groups.emails import FOLLOW_WORDING
from groups.models import GroupProposal, Post, PostReport, Thread
from members.models import Interest


class GroupFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name, place or topic")}),
    )
    interest = forms.ModelChoiceField(
        label=_("Interest"),
        queryset=Interest.objects.by_category(),
        to_field_name="slug",
        required=False,
        empty_label=_("Any interest"),
    )
    city = forms.ChoiceField(label=_("Town or city"), required=False)

    def __init__(self, *args, cities: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        city = cast(forms.ChoiceField, self.fields["city"])  # as declared above
        city.choices = [("", _("Anywhere")), *[(c, c) for c in cities]]
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = css

    def filters(self) -> dict:
        """The valid filters only: an unknown interest or city is simply ignored."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {key: value for key, value in data.items() if value}


class HoneypotMixin(forms.Form):
    """A field people never see or fill in; bots fill every field they find."""

    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def honeypot(self) -> str:
        return self.data.get(HONEYPOT_FIELD, "")


class ThreadForm(HoneypotMixin, forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=Thread._meta.get_field("title").max_length,
        help_text=_("What would you like to talk about?"),
    )
    body = forms.CharField(
        label=_("Message"),
        max_length=Post.MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Friendly and informal, please: no selling."),
    )
    follow = forms.BooleanField(label=FOLLOW_WORDING, required=False)

    def clean_title(self) -> str:
        title = " ".join(self.cleaned_data["title"].split())
        if len(title) < 3:
            raise forms.ValidationError(_("Give your thread a title of at least 3 characters."))
        return title

    def clean_body(self) -> str:
        return _clean_body(self.cleaned_data["body"])


class ReplyForm(HoneypotMixin, forms.Form):
    body = forms.CharField(
        label=_("Your reply"),
        max_length=Post.MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    follow = forms.BooleanField(label=FOLLOW_WORDING, required=False)

    def clean_body(self) -> str:
        return _clean_body(self.cleaned_data["body"])


def _clean_body(body: str) -> str:
    body = body.strip()
    if len(body) < 2:
        raise forms.ValidationError(_("Please write a message."))
    return body


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("What's wrong with it?"),
        choices=PostReport.Reason.choices,
        widget=forms.RadioSelect,
    )


MODERATOR_REASONS = [
    (Post.HiddenReason.SPAM, Post.HiddenReason.SPAM.label),
    (Post.HiddenReason.SELLING, Post.HiddenReason.SELLING.label),
    (Post.HiddenReason.ABUSIVE, Post.HiddenReason.ABUSIVE.label),
    (Post.HiddenReason.OFF_TOPIC, Post.HiddenReason.OFF_TOPIC.label),
]


class HideForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=MODERATOR_REASONS)


class GroupProposalForm(forms.ModelForm):
    MAX_INTERESTS = 5

    interests = forms.ModelMultipleChoiceField(
        label=_("Interests"),
        queryset=Interest.objects.by_category(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Pick 1 to 5: members with these interests will see your group."),
    )

    class Meta:
        model = GroupProposal
        fields = ["name", "summary", "details", "city", "interests"]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 2}),
            "details": forms.Textarea(attrs={"rows": 5}),
        }

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if len(name) < 3:
            raise forms.ValidationError(_("Give the group a name of at least 3 characters."))
        return name

    def clean_interests(self):
        interests = list(self.cleaned_data["interests"])
        if len(interests) > self.MAX_INTERESTS:
            raise forms.ValidationError(
                _("Pick at most %(max)d interests (you picked %(count)d).")
                % {"max": self.MAX_INTERESTS, "count": len(interests)}
            )
        return interests
