"""The suppression list: numbers that asked for no SMS, remembered without the number itself.

A number is kept as a keyed hash (HMAC-SHA256 with ``SUPPRESSION_KEY``, or a key derived from
``SECRET_KEY``), so the list survives the deletion and erasure of the contact without keeping
anything that reads back as a phone number. A suppressed number gets no SMS but what the person
asks for by keyword (the confirmation of an opt-out or opt-in), cannot be imported or signed up
as verified, and leaves the list only when the person sends an opt-in keyword.
"""

import contextlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from .. import phones
from ..conf import get_setting
from .fields import E164

KEY_SALT = "wagtail_grantee_sms.suppression"


class SuppressedNumber(models.Model):
    class Source(models.TextChoices):
        OPT_OUT = "opt_out", _("A contact opted out")
        UNKNOWN_SENDER = "unknown_sender", _("Opt-out keyword from a number that is no contact")

    digest = models.CharField(max_length=64, unique=True)
    source = models.CharField(_("source"), max_length=20, choices=Source)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("suppressed number")
        verbose_name_plural = _("suppressed numbers")

    def __str__(self):
        return f"{self.digest[:12]}… ({self.get_source_display()})"


def number_digest(phone):
    """The keyed hash the list knows ``phone`` by (any spelling of one number gives one hash)."""
    phone = str(phone or "").strip()
    if not E164.match(phone):  # an E.164 number normalises to itself
        with contextlib.suppress(ValidationError):
            phone = phones.normalise(phone)
    key = get_setting("SUPPRESSION_KEY") or settings.SECRET_KEY
    return salted_hmac(KEY_SALT, phone, secret=key, algorithm="sha256").hexdigest()


def is_suppressed(phone):
    """Whether ``phone`` asked for no SMS (an opt-out that was not lifted by an opt-in)."""
    return bool(phone) and SuppressedNumber.objects.filter(digest=number_digest(phone)).exists()


def suppressed_among(numbers):
    """The ones of ``numbers`` on the list, in one query (for imports)."""
    by_digest = {number_digest(number): number for number in numbers}
    found = SuppressedNumber.objects.filter(digest__in=list(by_digest)).values_list(
        "digest", flat=True
    )
    return {by_digest[digest] for digest in found}


def suppress(phone, *, source=SuppressedNumber.Source.OPT_OUT):
    """Put ``phone`` on the list (again: nothing changes). Returns whether it was added."""
    if not phone:
        return False
    _entry, created = SuppressedNumber.objects.get_or_create(
        digest=number_digest(phone), defaults={"source": source}
    )
    return created


def unsuppress(phone):
    """Take ``phone`` off the list: only for the person's own opt-in keyword."""
    if not phone:
        return False
    deleted, _per_model = SuppressedNumber.objects.filter(digest=number_digest(phone)).delete()
    return bool(deleted)
