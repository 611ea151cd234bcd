"""Model fields of the SMS app."""

import re

from django.core.exceptions import ValidationError
from django.db import models

from .. import phones

E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class PhoneNumberField(models.CharField):
    """A phone number that is always stored in E.164, however it was written or saved.

    Every write goes through :func:`phones.normalise` (``save()``, ``objects.create()``,
    ``bulk_create()``, ``update()``, ``bulk_update()``, data migrations, which use this field
    too), and an invalid number is refused with ``ValidationError``. Lookups normalise their
    value the same way, so ``filter(phone="0812-3456-7890")`` finds ``+6281234567890``; a value
    that is not a valid number is looked up as written (and finds nothing).
    """

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        normalised = self.normalise(value)
        if normalised != value:
            setattr(model_instance, self.attname, normalised)
        return normalised

    def normalise(self, value):
        if value in (None, ""):
            return value
        try:
            return phones.normalise(value)
        except ValidationError as error:
            raise ValidationError({self.name: error.messages}) from error

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, "") or E164.match(value):
            return value
        try:
            return phones.normalise(value)
        except ValidationError:
            return value

    def get_db_prep_save(self, value, connection):
        if not hasattr(value, "resolve_expression"):
            value = self.normalise(value)
        return super().get_db_prep_save(value, connection)
