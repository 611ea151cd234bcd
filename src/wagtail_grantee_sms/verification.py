"""The verification workflow: every change of a contact's status goes through here.

A contact's status only changes through :func:`transition`, which refuses moves the workflow
does not allow and records each move in Wagtail's audit log (who, when, how and why), so the
contact's history in the admin tells the whole story.
"""

from django.db import transaction
from django.utils import timezone
from wagtail.log_actions import log

from .models import Contact

Status = Contact.Status

# How a transition came about, stored in the audit log entry.
VIA_SMS_KEYWORD = "sms_keyword"
VIA_PROVIDER = "provider"
VIA_ADMIN = "admin"


class TransitionNotAllowed(Exception):
    """The workflow does not allow this change of status."""


def transition(contact, new_status, *, action, user=None, via="", reason="", allowed_from=None):
    """Move ``contact`` to ``new_status`` and log it as ``action``.

    ``allowed_from`` limits the statuses the contact may come from. Returns ``True`` when the
    status changed and ``False`` when the contact already had it (nothing is logged then).
    """
    old_status = contact.status
    if old_status == new_status:
        return False
    if allowed_from is not None and old_status not in allowed_from:
        raise TransitionNotAllowed(f"{old_status} → {new_status}")
    with transaction.atomic():
        contact.status = new_status
        contact.save(update_fields=["status", "updated_at"])
        log(
            instance=contact,
            action=action,
            user=user,
            data={"from": old_status, "to": new_status, "via": via, "reason": reason},
        )
    return True


def opt_out(contact, *, via=VIA_SMS_KEYWORD, reason=""):
    """The contact asked to stop (or the provider says it did). Always allowed."""
    return transition(
        contact, Status.OPTED_OUT, action="wagtail_grantee_sms.opt_out", via=via, reason=reason
    )


def opt_in(contact, *, reason=""):
    """The contact sent an opt-in keyword from its own number.

    That proves both the number and the consent, so the contact becomes verified. Only the
    contact can do this (there is no admin path back from opted out), and a contact an admin
    blocked stays blocked.
    """
    changed = transition(
        contact,
        Status.VERIFIED,
        action="wagtail_grantee_sms.opt_in",
        via=VIA_SMS_KEYWORD,
        reason=reason,
        allowed_from=set(Status) - {Status.BLOCKED},
    )
    if changed:
        contact.consent_source = Contact.ConsentSource.SMS_KEYWORD
        contact.consent_given_at = timezone.now()
        contact.save(update_fields=["consent_source", "consent_given_at", "updated_at"])
    return changed


def mark_invalid(contact, *, reason="", via=VIA_PROVIDER):
    """A permanent delivery error says the number cannot receive SMS."""
    return transition(
        contact, Status.INVALID, action="wagtail_grantee_sms.invalid", via=via, reason=reason
    )
