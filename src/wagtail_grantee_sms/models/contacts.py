from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

from .. import phones
from ..conf import get_setting
from .fields import PhoneNumberField
from .suppression import is_suppressed, suppress


class ContactNotVerifiable(Exception):
    """A contact may not become verified; ``message`` says why, in words an editor reads."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class ConsentMissing(ContactNotVerifiable):
    """No consent is recorded: record it (``Contact.record_consent``) before verifying."""


class NumberSuppressed(ContactNotVerifiable):
    """The number asked for no SMS; only the person's own opt-in keyword lifts that."""


class ContactGroup(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("contact group")
        verbose_name_plural = _("contact groups")

    def __str__(self):
        return self.name


class Contact(models.Model):
    class Status(models.TextChoices):
        UNVERIFIED = "unverified", _("Unverified")
        PENDING = "pending", _("Pending verification")
        VERIFIED = "verified", _("Verified")
        OPTED_OUT = "opted_out", _("Opted out")
        BLOCKED = "blocked", _("Blocked")
        INVALID = "invalid", _("Invalid number")

    class Language(models.TextChoices):
        INDONESIAN = "id", _("Indonesian")
        ENGLISH = "en", _("English")

    class ConsentSource(models.TextChoices):
        WEB_FORM = "web_form", _("Web form")
        PAPER_FORM = "paper_form", _("Paper form")
        IN_PERSON = "in_person", _("In person")
        SMS_KEYWORD = "sms_keyword", _("SMS keyword")
        IMPORT = "import", _("Import")

    name = models.CharField(_("name"), max_length=255)
    phone = PhoneNumberField(
        _("phone number"),
        max_length=32,
        unique=True,
        help_text=_("Stored in international format, for example +6281234567890."),
        error_messages={"unique": _("A contact with this phone number already exists.")},
    )
    groups = models.ManyToManyField(
        ContactGroup, verbose_name=_("groups"), related_name="contacts", blank=True
    )
    language = models.CharField(
        _("preferred language"), max_length=8, choices=Language, default=Language.INDONESIAN
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status, default=Status.UNVERIFIED, db_index=True
    )
    consent_source = models.CharField(
        _("consent given by"), max_length=20, choices=ConsentSource, blank=True
    )
    consent_given_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("consent recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    consent_note = models.TextField(_("consent note"), blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sms_contact",
        help_text=_("The admin user whose own number this is: test broadcasts go to it."),
    )
    last_message_received_at = models.DateTimeField(
        _("last message received"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        permissions = [
            ("verify_contact", _("Can mark contacts as verified")),
            ("view_full_phone", _("Can see full phone numbers")),
            ("export_contact", _("Can export contacts")),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # The field normalises on save as well; done first here so the comparisons below see
        # the stored spelling.
        self.phone = type(self)._meta.get_field("phone").normalise(self.phone)
        saved_phone = getattr(self, "_saved_phone", None)
        saved_status = getattr(self, "_saved_status", None)
        number_changed = saved_phone is not None and self.phone != saved_phone
        status_changed = self._state.adding or self.status != saved_status
        if self.status == self.Status.VERIFIED and (status_changed or number_changed):
            self.check_verifiable()
        super().save(*args, **kwargs)
        self._saved_phone = self.phone
        self._saved_status = self.status
        if status_changed and self.status == self.Status.OPTED_OUT:
            suppress(self.phone)
        if number_changed:
            from ..verification import number_changed as return_to_unverified

            return_to_unverified(self)

    def check_verifiable(self):
        """Raise ``ContactNotVerifiable`` unless this contact may become verified now.

        Consent must be recorded, and the number must not be on the suppression list (the
        person's opt-in keyword takes it off first). ``save()`` calls this whenever a contact
        becomes verified, whatever the path.
        """
        if not self.consent_source:
            raise ConsentMissing(
                _("No consent is recorded for this contact: record how they agreed first.")
            )
        if is_suppressed(self.phone):
            raise NumberSuppressed(
                _(
                    "This number asked not to receive SMS. It can only be verified again when "
                    "the person sends an opt-in keyword (for example START) from it."
                )
            )

    def record_consent(self, source, *, note="", by=None, at=None, save=True):
        """Record how and when the person agreed to receive SMS (and who recorded it)."""
        self.consent_source = source
        self.consent_given_at = at or timezone.now()
        self.consent_note = note or self.consent_note
        self.consent_recorded_by = by or self.consent_recorded_by
        if save and self.pk:
            self.save(
                update_fields=[
                    "consent_source", "consent_given_at", "consent_note",
                    "consent_recorded_by", "updated_at",
                ]
            )  # fmt: skip

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        # Django 6.1 passes fetch_mode; 5.2 passes nothing more.
        contact = super().from_db(db, field_names, values, **kwargs)
        # Remembered so that save() can tell when the number changed.
        contact._saved_phone = contact.__dict__.get("phone")
        contact._saved_status = contact.__dict__.get("status")
        return contact

    def clean(self):
        super().clean()
        if self.phone:
            try:
                self.phone = phones.normalise(self.phone, mobile_only=True)
            except ValidationError as error:
                raise ValidationError({"phone": error.messages}) from error

    @property
    def masked_phone(self):
        return phones.mask(self.phone)

    @property
    def group_names(self):
        return ", ".join(group.name for group in self.groups.all())


class VerificationCode(models.Model):
    """A code sent to a contact's number; stored as a keyed hash, never in clear."""

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="verification_codes"
    )
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("verification code")
        verbose_name_plural = _("verification codes")

    def __str__(self):
        return f"{self.contact} ({self.created_at:%Y-%m-%d %H:%M})"


@register_setting(icon="mail")
class VerificationMessages(BaseGenericSetting):
    """The texts of the verification SMS, in Indonesian and English.

    An empty field uses the default from ``WAGTAIL_GRANTEE_SMS["VERIFICATION_MESSAGES"]``.
    """

    organisation = models.CharField(
        _("organisation"),
        max_length=60,
        blank=True,
        help_text=_("Replaces {organisation} in the messages. Empty: the site's name."),
    )
    code_message_id = models.TextField(_("code message (Indonesian)"), blank=True)
    code_message_en = models.TextField(_("code message (English)"), blank=True)
    reply_message_id = models.TextField(_("reply message (Indonesian)"), blank=True)
    reply_message_en = models.TextField(_("reply message (English)"), blank=True)

    panels = [
        FieldPanel("organisation"),
        MultiFieldPanel(
            [FieldPanel("code_message_id"), FieldPanel("code_message_en")],
            heading=_("Message with a code"),
            help_text=_("Must contain {code}. May contain {organisation}."),
        ),
        MultiFieldPanel(
            [FieldPanel("reply_message_id"), FieldPanel("reply_message_en")],
            heading=_("Message asking for a reply YA"),
            help_text=_("May contain {organisation}."),
        ),
    ]

    class Meta:
        verbose_name = _("SMS verification messages")

    def clean(self):
        super().clean()
        for language in Contact.Language.values:
            field = f"code_message_{language}"
            if getattr(self, field) and "{code}" not in getattr(self, field):
                raise ValidationError({field: _("The message must contain {code}.")})

    def render(self, kind, language, **values):
        """The text of message ``kind`` ("code" or "reply") in ``language``, filled in."""
        template = (
            getattr(self, f"{kind}_message_{language}", "")
            or (get_setting("VERIFICATION_MESSAGES")[kind][language])
        )
        values.setdefault(
            "organisation", self.organisation or getattr(settings, "WAGTAIL_SITE_NAME", "")
        )
        # Plain replacement, not str.format: an editor's text may hold any other braces.
        for name, value in values.items():
            template = template.replace("{" + name + "}", str(value))
        return template
