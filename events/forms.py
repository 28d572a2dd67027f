from typing import cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.models import MAX_GUESTS, Event, EventMessage
from events.selectors import EventFilters, organised_groups
from events.services.invites import MAX_PASTED, NOTE_MAX, parse_addresses
from experts.models import Expert
from groups.models import Group
from members.models import Interest
from members.staff import acts_as_staff

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=DATETIME_FORMAT, **kwargs)


class EventFilterForm(forms.Form):
    interest = forms.ModelChoiceField(
        label=_("Interest"),
        queryset=Interest.objects.by_category(),
        to_field_name="slug",
        required=False,
        empty_label=_("Any interest"),
    )
    # A slug among `groups` (the viewer's own and the one in the address), not every group
    # with an event: thousands of options would help no one and cost every page view.
    group = forms.ChoiceField(label=_("Group"), required=False)
    city = forms.ChoiceField(label=_("Town"), required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("Until"), required=False, widget=DateInput())

    def __init__(self, *args, cities: list[str], groups: list[Group], **kwargs):
        super().__init__(*args, **kwargs)
        # (Declared above as ChoiceFields; the stubs type `fields` values as plain Fields.)
        city = cast(forms.ChoiceField, self.fields["city"])
        city.choices = [("", _("Anywhere"))] + [(c, c) for c in cities]
        self.groups = {g.slug: g for g in groups}
        group = cast(forms.ChoiceField, self.fields["group"])
        group.choices = [("", _("Any group"))] + [(g.slug, g.name) for g in groups]
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = css

    def filters(self) -> EventFilters:
        """Whatever was valid; a bad value in one box doesn't throw away the others."""
        if not self.is_bound:
            return EventFilters()
        self.is_valid()
        data = self.cleaned_data
        return EventFilters(
            interest=data.get("interest"),
            group=self.groups.get(data.get("group") or ""),
            city=data.get("city") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


class RSVPForm(forms.Form):
    response = forms.ChoiceField(
        label=_("Are you coming?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        error_messages={"invalid_choice": _("Please choose yes or no.")},
    )
    guests = forms.IntegerField(
        label=_("Guests"),
        required=False,
        min_value=0,
        max_value=MAX_GUESTS,
        error_messages={
            "min_value": _("The number of guests can't be negative."),
            "max_value": _("That's too many guests."),
            "invalid": _("Please give the number of guests as a number."),
        },
    )
    share_contact = forms.BooleanField(
        label=_("Share my contact details (from my profile) with the organisers"), required=False
    )


class EventForm(forms.ModelForm):
    speaker_choices = forms.ModelMultipleChoiceField(
        label=_("Speakers"),
        queryset=Expert.objects.published().order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Experts speaking at this event. Ask us first: we arrange their visits."),
    )

    class Meta:
        model = Event
        fields = [
            "title",
            "group",
            "description",
            "cover",
            "starts_at",
            "ends_at",
            "rsvp_deadline",
            "venue_name",
            "venue_address",
            "city",
            "online_url",
            "capacity",
            "guests_allowed",
            "interests",
            "is_published",
        ]
        widgets = {
            "starts_at": DateTimeInput(),
            "ends_at": DateTimeInput(),
            "rsvp_deadline": DateTimeInput(),
            "description": forms.Textarea(attrs={"rows": 6}),
            "interests": forms.CheckboxSelectMultiple,
        }
        labels = {"is_published": _("Publish now (members can see it and reply)")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        group = self.fields["group"]
        group.queryset = organised_groups(user)
        group.required = not acts_as_staff(user)
        group.empty_label = _("None: a network-wide event") if acts_as_staff(user) else None
        if not acts_as_staff(user):
            group.help_text = _("One of the groups you organise.")
        self.fields["interests"].queryset = Interest.objects.by_category()
        self.fields["interests"].required = False
        for name in ("starts_at", "ends_at", "rsvp_deadline"):
            self.fields[name].input_formats = [DATETIME_FORMAT, "%Y-%m-%d %H:%M"]
        self.fields["capacity"].error_messages["min_value"] = _(
            "The number of places must be at least 1."
        )
        if self.instance.pk:
            self.fields["speaker_choices"].initial = [
                link.expert_id for link in self.instance.speaker_links.all()
            ]
            if self.instance.is_published:
                # Published events are cancelled, not hidden: people may be going.
                del self.fields["is_published"]
            if self.instance.group_id and not acts_as_staff(user):
                # Moving an event to another group is for staff.
                group.disabled = True
                group.queryset = Group.objects.filter(pk=self.instance.group_id)

    def clean_starts_at(self):
        starts_at = self.cleaned_data["starts_at"]
        if starts_at and not self.instance.pk and starts_at <= timezone.now():
            raise forms.ValidationError(_("The start must be in the future."))
        return starts_at

    def clean(self):
        data = super().clean()
        starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
        deadline = data.get("rsvp_deadline")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", _("The end must be after the start."))
        if starts_at and deadline and deadline > starts_at:
            self.add_error("rsvp_deadline", _("Replies must close before the event starts."))
        return data


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it's cancelled (sent to everyone going or waiting)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(
        label=_("Yes, cancel this event and tell everyone who said yes or is waiting"),
        error_messages={"required": _("Tick the box to confirm.")},
    )


class MessageForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=EventMessage.SUBJECT_MAX)
    body = forms.CharField(
        label=_("Message"),
        max_length=EventMessage.BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("For changes and practical news. It goes to everyone who is going."),
    )


class InviteForm(forms.Form):
    group_members = forms.BooleanField(label=_("Everyone in the group"), required=False)
    interest_matches = forms.BooleanField(
        label=_("Members who share this event's interests"), required=False
    )
    addresses = forms.CharField(
        label=_("Email addresses"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line, or separated by commas. Non-members are welcome."),
    )
    note = forms.CharField(
        label=_("A personal note (optional)"),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        if event.group is None:
            del self.fields["group_members"]
        else:
            self.fields["group_members"].label = _("Everyone in %(group)s") % {
                "group": event.group.name
            }
        if not event.interests.exists():
            self.fields["interest_matches"].disabled = True
            self.fields["interest_matches"].help_text = _("Add interests to the event to use this.")

    def clean_addresses(self):
        text = self.cleaned_data["addresses"]
        valid, invalid = parse_addresses(text)
        if len(valid) + len(invalid) > MAX_PASTED:
            raise forms.ValidationError(
                _("Please paste at most %(n)d addresses at a time.") % {"n": MAX_PASTED}
            )
        return text

    def clean(self):
        data = super().clean()
        if not (data.get("group_members") or data.get("interest_matches") or data.get("addresses")):
            raise forms.ValidationError(_("Choose who to invite."))
        return data
