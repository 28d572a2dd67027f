import datetime
from typing import cast

from django import forms
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from experts.models import Expert, ExpertRequest, Region
from experts.selectors import event_regions, travel_warning
from experts.validators import validate_future_event_date
from members.models import Interest


class _SlugOrNameChoiceField(forms.ModelChoiceField):
    """Accepts a slug (what the filter form sends) or a name typed into the address bar."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        value = str(value).strip()
        found = (
            self.queryset.filter(slug=value.lower()).first()
            or self.queryset.filter(name__iexact=value).first()
        )
        if found is None:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return found

    def label_from_instance(self, obj) -> str:
        return obj.name


class ExpertFilterForm(forms.Form):
    interest = _SlugOrNameChoiceField(
        queryset=Interest.objects.none(),
        to_field_name="slug",
        required=False,
        label=_("Area of expertise"),
        empty_label=_("Any area"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    region = _SlugOrNameChoiceField(
        queryset=Region.objects.none(),
        to_field_name="slug",
        required=False,
        label=_("Travels to"),
        empty_label=_("Anywhere"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the areas that some published expert covers, so no choice leads nowhere.
        published = Expert.objects.published().filter(interests=OuterRef("pk"))
        self.fields["interest"].queryset = Interest.objects.filter(Exists(published)).order_by(
            "name"
        )
        self.fields["region"].queryset = Region.objects.in_order()

    def filters(self) -> dict:
        """The valid filters; an unknown value is ignored rather than shown as an error."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {name: cleaned.get(name) for name in ("interest", "region") if cleaned.get(name)}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class ExpertRequestForm(forms.ModelForm):
    """A member's request for `expert`. The event's region isn't stored: it is asked so that
    an expert who doesn't usually go there is flagged before sending (`travel_warning`), and
    sending then needs `ask_anyway` ticked."""

    region = forms.ModelChoiceField(
        queryset=Region.objects.none(),
        required=False,
        label=_("Region"),
        empty_label=_("Choose the region"),
        help_text=_("So we can tell you now if the expert doesn't usually go there."),
    )
    ask_anyway = forms.BooleanField(
        required=False,
        label=_("I understand they don't usually go there: ask anyway"),
    )
    audience = forms.IntegerField(
        label=_("Expected audience"),
        min_value=1,
        max_value=ExpertRequest.AUDIENCE_MAX,
        help_text=_("Roughly how many people you expect."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": _("Tell us roughly how many people you expect."),
            "invalid": _("Enter the number of people as a whole number, e.g. 40."),
            "min_value": _("The audience must be a positive number: at least 1 person."),
            "max_value": _("For audiences over %(max)s, please contact us directly.")
            % {"max": f"{ExpertRequest.AUDIENCE_MAX:,}"},
        },
    )

    class Meta:
        model = ExpertRequest
        fields = ["event_name", "event_date", "town", "audience", "topic", "message"]
        labels = {
            "event_name": _("Your event's name"),
            "event_date": _("Date of the event"),
            "town": _("Town or city"),
            "topic": _("What would you like them to talk about?"),
            "message": _("Message"),
        }
        help_texts = {
            "event_name": _("For example “Harrogate business breakfast”."),
            "message": _(
                "Tell us about your event and who comes to it: %(min)d to %(max)s characters. "
                "Our team reads every request and talks to the expert for you."
            )
            % {"min": ExpertRequest.MESSAGE_MIN, "max": f"{ExpertRequest.MESSAGE_MAX:,}"},
        }
        widgets = {
            "event_date": DateInput(),
            "message": forms.Textarea(attrs={"rows": 6}),
        }
        error_messages = {
            "event_name": {"required": _("Tell us the name of your event.")},
            "event_date": {
                "required": _("Tell us the date of your event."),
                "invalid": _("Enter the date as day, month and year."),
            },
            "town": {"required": _("Tell us the town or city where it takes place.")},
            "topic": {"required": _("Tell us what you would like the expert to talk about.")},
            "message": {
                "required": _("Write a short message about your event."),
                "max_length": _(
                    "Please keep the message to %(limit_value)d characters "
                    "(you wrote %(show_value)d)."
                ),
            },
        }

    def __init__(self, *args, expert: Expert, **kwargs):
        super().__init__(*args, **kwargs)
        self.expert = expert
        self.travel_warning = ""
        cast(forms.ModelChoiceField, self.fields["region"]).queryset = event_regions()
        # Which choices need no warning, for the page's script to show it as soon as one is
        # picked; the server checks again on sending.
        self.regions_within_reach = [
            region.pk
            for region in event_regions()
            if not travel_warning(expert=expert, region=region)
        ]
        self.travels_to = ", ".join(region.name for region in expert.regions.all())
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        self.fields["event_date"].widget.attrs["min"] = tomorrow.isoformat()
        self.fields["message"].widget.attrs["minlength"] = ExpertRequest.MESSAGE_MIN

    def clean_event_date(self) -> datetime.date:
        value = self.cleaned_data["event_date"]
        validate_future_event_date(value)
        return value

    def clean_message(self) -> str:
        return self.cleaned_data["message"].strip()

    def clean(self):
        data = super().clean()
        self.travel_warning = travel_warning(expert=self.expert, region=data.get("region"))
        if self.travel_warning and not data.get("ask_anyway"):
            self.add_error(
                "ask_anyway", _("Tick this box to ask anyway, or choose another expert.")
            )
        return data

    def request_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}
