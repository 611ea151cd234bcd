"""Forms of the contacts admin, the contact import and the public sign-up."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from . import phones
from .conf import get_setting
from .importing import FIELDS as IMPORT_FIELDS
from .models import Contact, ContactGroup
from .models.suppression import is_suppressed


def can_see_full_phone(user):
    return user.has_perm("wagtail_grantee_sms.view_full_phone")


def phone_for_user(phone, user):
    """The number as ``user`` may see it: in full, or masked."""
    return phones.display(phone) if can_see_full_phone(user) else phones.mask(phone)


class ContactForm(WagtailAdminModelForm):
    """The contact snippet's form: the number is normalised, masked for users who may not see it.

    Status is not a field: it changes only through the verification workflow.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.hides_phone = bool(
            self.instance.pk and self.for_user and not can_see_full_phone(self.for_user)
        )
        if self.hides_phone:
            self.initial["phone"] = self.instance.masked_phone
            self.fields["phone"].help_text = _(
                "Hidden for your account. Leave it as it is to keep the number, or type a new one."
            )

    def clean_phone(self):
        raw = self.cleaned_data["phone"]
        if self.hides_phone and raw == self.instance.masked_phone:
            return self.instance.phone
        phone = phones.normalise(raw, mobile_only=True)
        if phone != self.instance.phone and is_suppressed(phone):
            raise ValidationError(self.refusal(_(
                "This number asked not to receive SMS. It can be added again once the person "
                "sends an opt-in keyword such as START from it."
            )))  # fmt: skip
        return phone

    def refusal(self, reason):
        """``reason``, or for a user who may not see full numbers, one message for every reason
        a valid number is refused, so the form does not confirm someone else's number."""
        if self.for_user and not can_see_full_phone(self.for_user):
            return _(
                "This number cannot be used: it belongs to another contact, or it asked not to "
                "receive SMS."
            )
        return reason

    def validate_unique(self):
        super().validate_unique()
        errors = self.errors.get("phone")
        if errors and any(e.code == "unique" for e in errors.as_data()):
            self.errors["phone"] = self.error_class(
                [self.refusal(Contact._meta.get_field("phone").error_messages["unique"])]
            )

    def save(self, commit=True):
        contact = super().save(commit=False)
        consent_fields = {"consent_source", "consent_given_at", "consent_note"}
        if consent_fields & set(self.changed_data) and self.for_user:
            contact.consent_recorded_by = self.for_user
            if contact.consent_source and not contact.consent_given_at:
                contact.consent_given_at = timezone.now()
        if commit:
            contact.save()
            self.save_m2m()
        return contact


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class ManualVerificationForm(forms.Form):
    note = forms.CharField(
        label=_("How did you check the number and the consent?"),
        help_text=_("Required, for example: “Signed paper form of 14 November 2012, file 12.”"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Verification code"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Enter the 6 digits of the code.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class SendVerificationForm(forms.Form):
    method = forms.ChoiceField(label=_("How"), widget=forms.RadioSelect)

    METHOD_LABELS = {
        "code": _("Send a 6-digit code"),
        "reply": _("Ask the contact to reply YA"),
    }

    def __init__(self, *args, methods, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(m, self.METHOD_LABELS[m]) for m in methods if m in self.METHOD_LABELS]
        self.fields["method"].choices = choices
        if choices:
            self.fields["method"].initial = choices[0][0]


class GroupChoiceForm(forms.Form):
    group = forms.ModelChoiceField(label=_("Group"), queryset=ContactGroup.objects.all())


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or Excel (XLSX) file"),
        help_text=_("The first row must hold the column names, for example “nama” and “no hp”."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx", ".txt")):
            raise ValidationError(_("Upload a .csv or .xlsx file."))
        limit = get_setting("IMPORT_MAX_FILE_SIZE")
        if upload.size > limit:
            raise ValidationError(
                _("The file is too large (at most %(size)d MB).") % {"size": limit // 2**20}
            )
        return upload


class ImportMappingForm(forms.Form):
    """Which column holds which field, and how to import.

    The options a user may not use are not in the form at all: updating existing contacts
    needs ``change_contact``, importing as verified needs ``verify_contact``; ``importing``
    checks both again when it writes.
    """

    group = forms.ModelChoiceField(
        label=_("Add the contacts to the group"),
        queryset=ContactGroup.objects.all(),
        required=False,
    )
    consent_source = forms.ChoiceField(
        label=_("How did these people give their consent?"),
        choices=Contact.ConsentSource.choices,
        initial=Contact.ConsentSource.IMPORT,
        help_text=_(
            "Recorded on each new contact, with the time of the import and your name. New "
            "contacts arrive unverified, whatever you choose here: send them a verification "
            "SMS afterwards. Numbers that asked not to receive SMS are not imported."
        ),
    )
    create_groups = forms.BooleanField(
        label=_("Create the groups that the file names and that do not exist yet"),
        help_text=_("“Check the rows” lists them. Without this, such a file is not imported."),
        required=False,
    )
    update_existing = forms.BooleanField(
        label=_("Update contacts that already exist (name, language, groups)"),
        help_text=_("Their status, number and consent stay as they are."),
        required=False,
    )
    import_verified = forms.BooleanField(
        label=_("Import the new contacts as verified"),
        help_text=_(
            "Only when each of these people proved this number to your organisation and agreed "
            "to receive SMS, for example by sending a keyword from it. Your name is recorded "
            "on each contact's history."
        ),
        required=False,
    )

    def __init__(self, *args, headers, user, initial_mapping=None, **kwargs):
        super().__init__(*args, **kwargs)
        if not user.has_perm("wagtail_grantee_sms.change_contact"):
            del self.fields["update_existing"]
        if not user.has_perm("wagtail_grantee_sms.verify_contact"):
            del self.fields["import_verified"]
        column_choices = [("", _("(not in the file)"))] + [
            (str(index), header or _("Column %(n)d") % {"n": index + 1})
            for index, header in enumerate(headers)
        ]
        for name, label, required in IMPORT_FIELDS:
            self.fields[f"column_{name}"] = forms.ChoiceField(
                label=_("Column for “%(field)s”") % {"field": label},
                choices=column_choices,
                required=required,
                initial=(initial_mapping or {}).get(name, ""),
            )
        # Mapping first, options after.
        self.order_fields([f"column_{name}" for name, _label, _required in IMPORT_FIELDS])

    def mapping(self):
        return {
            name: int(self.cleaned_data[f"column_{name}"])
            for name, _label, _required in IMPORT_FIELDS
            if self.cleaned_data.get(f"column_{name}") not in (None, "")
        }


class SignupForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=255)
    phone = forms.CharField(
        label=_("Your mobile number"),
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    language = forms.ChoiceField(
        label=_("Language of our SMS"),
        choices=Contact.Language.choices,
        initial=Contact.Language.INDONESIAN,
    )
    consent = forms.BooleanField(label=_("I agree to receive SMS as described above."))

    def clean_phone(self):
        return phones.normalise(self.cleaned_data["phone"], mobile_only=True)
