from django import forms
from django.utils.translation import gettext_lazy as _

from core.images import ACCEPT
from mail.streams import Stream
from members.models import OPEN_TO_FIELDS, Interest, IntroRequest, Profile
from members.services.photos import profile_photo_files_forget


class ProfileForm(forms.ModelForm):
    remove_photo = forms.BooleanField(label=_("Remove my photo"), required=False)

    class Meta:
        model = Profile
        fields = [
            "display_name",
            "handle",
            "headline",
            "city",
            "bio",
            "website",
            "photo",
            *OPEN_TO_FIELDS,
            "in_directory",
            "show_attending",
            "contact_details",
        ]
        widgets = {
            "bio": forms.Textarea(attrs={"rows": 5}),
            "website": forms.URLInput(attrs={"placeholder": "https://"}),
            "photo": forms.FileInput(attrs={"accept": ACCEPT}),
            "show_attending": forms.RadioSelect,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stored_photo = self.instance.photo.name

    def clean(self):
        data = super().clean()
        if data.get("remove_photo"):
            if self.files.get(self.add_prefix("photo")):
                self.add_error("photo", _("Choose a new photo or remove this one, not both."))
            else:
                data["photo"] = False  # the model field empties on a false value
        return data

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]  # private, so not in django-stubs
        if self.errors:
            # Nothing is saved: the page shows the photo that is stored, not the refused one.
            self.instance.photo = self.stored_photo

    def save(self, commit: bool = True) -> Profile:
        profile = super().save(commit=commit)
        if commit and self.stored_photo != profile.photo.name:
            profile_photo_files_forget(name=self.stored_photo)
        return profile

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


class SignupExtrasForm(forms.Form):
    """What allauth's sign-up form adds: the name the member chooses (nothing public comes
    from the email address) and optional choices, never pre-ticked."""

    # allauth honours this: the name first, the opt-ins after the passwords.
    field_order = [
        "display_name",
        "email",
        "password1",
        "password2",
        "digest_opt_in",
        "event_invites_opt_in",
    ]

    display_name = forms.CharField(
        label=_("Your name"),
        max_length=80,
        error_messages={"required": _("Tell other members what to call you.")},
        help_text=_(
            "What other members see, e.g. “Ann Baker”. You can change it later. "
            "Your email address is never shown."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    digest_opt_in = forms.BooleanField(
        required=False,
        label=_("Email me a short digest of what matches my interests (you'll confirm first)"),
    )
    event_invites_opt_in = forms.BooleanField(
        required=False, label=_("Group organisers may invite me to their events by email")
    )

    def clean_display_name(self) -> str:
        name = " ".join(self.cleaned_data["display_name"].split())
        if not name:
            raise forms.ValidationError(_("Tell other members what to call you."))
        return name

    def signup(self, request, user) -> None:
        from mail.models import ConsentEvent
        from mail.services import stream_set

        choices = {
            Stream.DIGEST: self.cleaned_data.get("digest_opt_in"),
            Stream.EVENT_INVITES: self.cleaned_data.get("event_invites_opt_in"),
        }
        for stream, on in choices.items():
            if on:
                stream_set(user=user, stream=stream, on=True, source=ConsentEvent.Source.SIGNUP)


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    interest = forms.ModelChoiceField(
        label=_("Interest"),
        queryset=Interest.objects.by_category(),
        required=False,
        to_field_name="slug",
        empty_label=_("Any interest"),
    )
    city = forms.CharField(label=_("Town or city"), required=False, max_length=80)
    open_to = forms.ChoiceField(
        label=_("Open to"),
        required=False,
        choices=[
            ("", _("Anything")),
            ("coffee", _("Coffee chats")),
            ("mentoring", _("Mentoring")),
            ("collaborating", _("Collaborating")),
            ("meeting", _("Just meeting people")),
        ],
    )


class IntroRequestForm(forms.Form):
    note = forms.CharField(
        label=_("A short note"),
        widget=forms.Textarea(attrs={"rows": 4}),
        min_length=10,
        max_length=IntroRequest.NOTE_MAX,
        help_text=_("Say hello and why you'd like to meet. No sales pitches, please."),
    )
    sender_contact = forms.CharField(
        label=_("Contact details to share if they accept"),
        max_length=200,
        help_text=_("Only they will see this, and only if they accept."),
    )


class IntroAcceptForm(forms.Form):
    recipient_contact = forms.CharField(
        label=_("Contact details to share with them"),
        max_length=200,
        help_text=_("Only they will see this."),
    )
