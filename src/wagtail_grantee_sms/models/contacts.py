from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .. import phones


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
    phone = models.CharField(
        _("phone number"),
        max_length=20,
        unique=True,
        help_text=_("Stored in international format, for example +6281234567890."),
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

    @property
    def masked_phone(self):
        return phones.mask(self.phone)
