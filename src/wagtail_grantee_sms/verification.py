"""The verification workflow: every change of a contact's status goes through here.

A contact's status only changes through :func:`transition`, which refuses moves the workflow
does not allow and records each move in Wagtail's audit log (who, when, how and why), so the
contact's history in the admin tells the whole story.
"""

import logging
import re
import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _
from wagtail.log_actions import log

from . import phones, suppression
from .conf import get_setting
from .models import Contact, ContactNotVerifiable, VerificationCode, VerificationMessages

logger = logging.getLogger(__name__)

Status = Contact.Status

# How a transition came about, stored in the audit log entry.
VIA_SMS_KEYWORD = "sms_keyword"
VIA_PROVIDER = "provider"
VIA_ADMIN = "admin"
VIA_SMS_REPLY = "sms_reply"
VIA_WEB_FORM = "web_form"

# Ways of verifying a contact; a site allows some of them in ``VERIFICATION_METHODS``.
METHOD_CODE = "code"
METHOD_REPLY = "reply"
METHOD_MANUAL = "manual"

# Replies that confirm a contact's consent when it was asked to reply (any case).
CONFIRMING_REPLIES = {"YA", "YES"}
CODE_PATTERN = re.compile(r"(?<!\d)\d{6}(?!\d)")

# Statuses from which a contact can be asked (again) to verify its number.
VERIFIABLE = {Status.UNVERIFIED, Status.PENDING}


class TransitionNotAllowed(Exception):
    """The workflow does not allow this change of status."""


class VerificationError(Exception):
    """Verification cannot go on; the message says why, in words an editor or visitor reads."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


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
    with transaction.atomic():
        if contact.status not in (Status.VERIFIED, Status.BLOCKED):
            # The consent is recorded before the status changes: never verified without it.
            contact.consent_source = Contact.ConsentSource.SMS_KEYWORD
            contact.consent_given_at = timezone.now()
            contact.save(update_fields=["consent_source", "consent_given_at", "updated_at"])
            # The person's own keyword is the one thing that lifts its opt-out.
            suppression.unsuppress(contact.phone)
        return transition(
            contact,
            Status.VERIFIED,
            action="wagtail_grantee_sms.opt_in",
            via=VIA_SMS_KEYWORD,
            reason=reason,
            allowed_from=set(Status) - {Status.BLOCKED},
        )


def mark_invalid(contact, *, reason="", via=VIA_PROVIDER):
    """A permanent delivery error says the number cannot receive SMS."""
    return transition(
        contact, Status.INVALID, action="wagtail_grantee_sms.invalid", via=via, reason=reason
    )


def block(contact, user, *, reason=""):
    """An admin stops all messages to the contact. An opted-out contact stays opted out."""
    return transition(
        contact,
        Status.BLOCKED,
        action="wagtail_grantee_sms.block",
        user=user,
        via=VIA_ADMIN,
        reason=reason,
        allowed_from=set(Status) - {Status.OPTED_OUT},
    )


def unblock(contact, user, *, reason=""):
    """An admin lifts a block; the contact has to be verified again."""
    return transition(
        contact,
        Status.UNVERIFIED,
        action="wagtail_grantee_sms.unblock",
        user=user,
        via=VIA_ADMIN,
        reason=reason,
        allowed_from={Status.BLOCKED},
    )


def number_changed(contact, user=None):
    """A new number is not proven yet: the contact returns to unverified, old codes die.

    Opted-out and blocked contacts keep their status (only the contact can undo an opt-out).
    """
    contact.verification_codes.filter(used_at__isnull=True).delete()
    if contact.status not in (Status.PENDING, Status.VERIFIED, Status.INVALID):
        return False
    return transition(
        contact,
        Status.UNVERIFIED,
        action="wagtail_grantee_sms.number_changed",
        user=user,
        via=VIA_ADMIN,
        reason=str(_("The phone number changed.")),
    )


def allowed_methods():
    return list(get_setting("VERIFICATION_METHODS"))


def _require_method(method):
    if method not in allowed_methods():
        raise VerificationError(
            _("This site does not allow verification by “%(method)s”.") % {"method": method}
        )


def _hash_code(contact, code):
    return salted_hmac(
        "wagtail_grantee_sms.verification", f"{contact.pk}:{code}", algorithm="sha256"
    ).hexdigest()


def _check_send_rate(contact):
    from .models import Delivery

    limit = get_setting("VERIFICATION_SENDS_PER_HOUR")
    recent = Delivery.objects.filter(
        phone=contact.phone,
        purpose=Delivery.Purpose.VERIFICATION,
        created_at__gte=timezone.now() - timedelta(hours=1),
    ).count()
    if recent >= limit:
        raise VerificationError(
            _(
                "A verification SMS was already sent to this number %(count)d times in the last "
                "hour. Try again later."
            )
            % {"count": recent}
        )


def start_verification(contact, method=METHOD_CODE, *, user=None, via=VIA_ADMIN):
    """Send ``contact`` a verification SMS and make it pending.

    ``method`` "code" sends a 6-digit code (see :func:`verify_code`); "reply" asks the contact
    to reply YA or YES. Returns the ``Delivery`` of the SMS. Raises ``VerificationError`` when
    the site does not allow the method or the number had too many verification SMS this hour,
    and ``TransitionNotAllowed`` when the contact's status does not allow it.
    """
    from . import sending

    if method not in (METHOD_CODE, METHOD_REPLY):
        raise VerificationError(_("Only the code and reply methods send an SMS."))
    _require_method(method)
    if contact.status not in VERIFIABLE:
        raise TransitionNotAllowed(f"{contact.status} → {Status.PENDING}")
    try:
        contact.check_verifiable()
    except ContactNotVerifiable as error:
        raise VerificationError(error.message) from error
    messages = VerificationMessages.load()
    with transaction.atomic():
        _check_send_rate(contact)
        values = {}
        if method == METHOD_CODE:
            values["code"] = f"{secrets.randbelow(1_000_000):06d}"
            contact.verification_codes.filter(used_at__isnull=True).delete()
            VerificationCode.objects.create(
                contact=contact,
                code_hash=_hash_code(contact, values["code"]),
                expires_at=timezone.now() + timedelta(hours=get_setting("VERIFICATION_CODE_HOURS")),
            )
        body = messages.render(method, contact.language, **values)
        delivery = sending.queue_message(contact, body, purpose="verification")
        old_status = contact.status
        if not transition(
            contact,
            Status.PENDING,
            action="wagtail_grantee_sms.verification_sent",
            user=user,
            via=via,
            reason=method,
        ):
            log(
                instance=contact,
                action="wagtail_grantee_sms.verification_sent",
                user=user,
                data={"from": old_status, "to": old_status, "via": via, "reason": method},
            )
    logger.info("Verification SMS (%s) queued for %s", method, phones.mask(contact.phone))
    return delivery


def verify_code(contact, code, *, user=None, via=VIA_ADMIN):
    """Check a code the contact received; a right code verifies the contact.

    Returns ``True`` when the contact is now verified and ``False`` for a wrong code. Raises
    ``VerificationError`` when there is no code to check (none sent, expired, used, or too many
    wrong tries).
    """
    _require_method(METHOD_CODE)
    code = re.sub(r"\s", "", str(code or ""))
    with transaction.atomic():
        current = (
            VerificationCode.objects.select_for_update()
            .filter(contact=contact, used_at__isnull=True, expires_at__gt=timezone.now())
            .order_by("-created_at")
            .first()
        )
        if contact.status != Status.PENDING or current is None:
            raise VerificationError(
                _("There is no valid code for this contact. Send a new verification SMS.")
            )
        if current.attempts >= get_setting("VERIFICATION_CODE_ATTEMPTS"):
            raise VerificationError(_("Too many wrong codes. Send a new verification SMS."))
        current.attempts += 1
        if not constant_time_compare(current.code_hash, _hash_code(contact, code)):
            current.save(update_fields=["attempts"])
            return False
        current.used_at = timezone.now()
        current.save(update_fields=["attempts", "used_at"])
        transition(
            contact,
            Status.VERIFIED,
            action="wagtail_grantee_sms.verified",
            user=user,
            via=via,
            reason=METHOD_CODE,
            allowed_from={Status.PENDING},
        )
    return True


def mark_verified(contact, user, note):
    """A user with the ``verify_contact`` permission records the proof they hold, in ``note``."""
    _require_method(METHOD_MANUAL)
    if not user.has_perm("wagtail_grantee_sms.verify_contact"):
        raise PermissionDenied
    note = (note or "").strip()
    if not note:
        raise VerificationError(_("Say how the number and the consent were checked."))
    return transition(
        contact,
        Status.VERIFIED,
        action="wagtail_grantee_sms.verified",
        user=user,
        via=METHOD_MANUAL,
        reason=note,
        allowed_from=VERIFIABLE,
    )


def handle_reply(message):
    """A pending contact's SMS reply: YA/YES or its code verifies it.

    Connected to ``signals.inbound_message_received``; opt-out and opt-in keywords never get
    here (the pipeline handles them), other texts are left alone.
    """
    contact = message.contact
    if contact is None or contact.status != Status.PENDING:
        return False
    text = (message.body or "").strip()
    methods = allowed_methods()
    if METHOD_REPLY in methods and text.upper().rstrip(".!") in CONFIRMING_REPLIES:
        return transition(
            contact,
            Status.VERIFIED,
            action="wagtail_grantee_sms.verified",
            via=VIA_SMS_REPLY,
            reason=METHOD_REPLY,
            allowed_from={Status.PENDING},
        )
    digits = re.sub(r"\s", "", text)
    if METHOD_CODE in methods and CODE_PATTERN.fullmatch(digits):
        try:
            return verify_code(contact, digits, via=VIA_SMS_REPLY)
        except VerificationError:
            return False
    return False


# Delivery statuses after which a verification SMS is never sent again.
HANDED_OVER = {"accepted", "sent", "delivered", "failed"}


def redact_code(delivery):
    """Blank the code in a verification SMS's stored text once the provider has it.

    Codes are kept only as hashes; without this the delivery record would hold them in clear.
    """
    if delivery.purpose != "verification" or delivery.status not in HANDED_OVER:
        return False
    redacted = CODE_PATTERN.sub("******", delivery.body)
    if redacted == delivery.body:
        return False
    delivery.body = redacted
    type(delivery).objects.filter(pk=delivery.pk).update(body=redacted)
    return True
