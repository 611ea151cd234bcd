"""Right to erasure (Indonesia's PDP law): deleting a contact removes its number everywhere.

Messages to and from the contact stay counted (for costs and statistics) but lose the number,
the text and the link to the contact; the contact's audit log entries keep what happened and
when, not the notes that could name the number nor the contact's name (their label becomes
"Erased contact #id"). Import files still waiting between the admin's import steps are deleted
too, as they may hold the number. Runs on every delete of a contact (the snippet's delete view,
the bulk delete, the Python API) through a ``pre_delete`` handler.

What stays is the suppression list's keyed hash of a number that opted out (see
``models/suppression.py``): it cannot be read back as a number, and it is what keeps an opted-out
person from being imported again.
"""

from functools import partial

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils.translation import gettext
from wagtail.models import ModelLogEntry

from . import importing
from .models import Contact
from .models.messages import Delivery, InboundMessage

# Audit log data kept on erasure: statuses and how they changed, no free text.
KEPT_LOG_KEYS = ("from", "to", "via")


def erase_contact(contact):
    """Remove ``contact``'s number and messages from every record that keeps them."""
    with transaction.atomic():
        Delivery.objects.filter(Q(contact=contact) | Q(phone=contact.phone)).update(
            contact=None, phone="", body=""
        )
        InboundMessage.objects.filter(Q(contact=contact) | Q(sender=contact.phone)).update(
            contact=None, sender="", body="", raw={}
        )
        entries = list(ModelLogEntry.objects.for_instance(contact))
        for entry in entries:
            entry.data = {key: entry.data[key] for key in KEPT_LOG_KEYS if key in entry.data}
        ModelLogEntry.objects.bulk_update(entries, ["data"])
        _erase_log_labels(contact.pk)
        # Entries logged later in the same transaction (a delete logged after the fact).
        transaction.on_commit(partial(_erase_log_labels, contact.pk))
    importing.discard_all_uploads()


def _erase_log_labels(pk):
    ModelLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Contact), object_id=str(pk)
    ).update(label=gettext("Erased contact #%(id)s") % {"id": pk})


@receiver(pre_delete, sender=Contact, dispatch_uid="wagtail_grantee_sms.erase_contact")
def erase_deleted_contact(sender, instance, **kwargs):
    erase_contact(instance)
