"""The verification workflow: every change of a contact's status goes through here.

A contact's status only changes through :func:`transition`, which refuses moves the workflow
does not allow and records each move in Wagtail's audit log (who, when, how and why), so the
contact's history in the admin tells the whole story.

Guarantees of the verification SMS:

- Nobody becomes verified without a recorded consent: a code is only sent to a contact whose
  consent is recorded (the sign-up page records it), a code or a manual proof verifies only
  such a contact, and a YA/YES reply or an opt-in keyword records it before verifying.
- The code never sits in clear in the database. It is derived from its ``VerificationCode``
  record with the site's secret key, only its keyed hash is stored, and the delivery keeps
  ``CODE_PLACEHOLDER`` in its place: the pipeline puts the contact's current code in just
  before the backend gets the message (:func:`body_to_send`), so retries and resends carry the
  right code, and what the Deliveries screen shows never holds it.
- At most ``VERIFICATION_SENDS_PER_HOUR`` verification SMS per contact (the contact's row is
  locked while counting, so concurrent sends take turns) and
  ``VERIFICATION_SENDS_PER_HOUR_TOTAL`` for the whole site (``ratelimit.VerificationCeiling``).
"""

import logging
import re
from datetime import UTC, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _
from wagtail.log_actions import log

from . import phones, suppression
from .conf import get_setting
from .models import (
    Contact,
    ContactNotVerifiable,
    NumberSuppressed,
    SignupRequest,
    VerificationCode,
    VerificationMessages,
)

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
# What a verification delivery stores where its code goes (as long as a code: the segment
# count stays right); replaced by the code only in the message handed to the backend.
CODE_PLACEHOLDER = "******"

# Statuses from which a contact can be asked (again) to verify its number.
VERIFIABLE = {Status.UNVERIFIED, Status.PENDING}


class TransitionNotAllowed(Exception):
    """The workflow does not allow this change of status."""


class VerificationError(Exception):
    """Verification cannot go on; the message says why, in words an editor or visitor reads."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class CeilingReached(VerificationError):
    """The site sent its ``VERIFICATION_SENDS_PER_HOUR_TOTAL`` verification SMS of the hour."""

    def __init__(self, ceiling):
        super().__init__(
            _(
                "The site has sent its %(limit)d verification SMS of the last hour. "
                "Try again after %(time)s."
            )
            % {
                "limit": ceiling.limit,
                "time": timezone.localtime(ceiling.free_at).strftime("%H:%M"),
            }
        )
        self.ceiling = ceiling


class NoCodeToSend(Exception):
    """A queued verification SMS has no valid code any more (used, expired or replaced)."""


def consent_recorded(contact):
    """Whether ``contact`` has a recorded consent: how it was given, and when."""
    return bool(contact.consent_source and contact.consent_given_at)


def record_consent(contact, source, note):
    """Record that the person agreed (``note``: to what, in their words), unless already done."""
    if consent_recorded(contact):
        return False
    contact.consent_source = source
    contact.consent_given_at = timezone.now()
    contact.consent_note = note
    contact.save(update_fields=["consent_source", "consent_given_at", "consent_note", "updated_at"])
    return True


def _require_consent(contact):
    if not consent_recorded(contact):
        raise VerificationError(
            _(
                "No consent is recorded for this contact. Edit the contact to record how and "
                "when they agreed to receive SMS, or ask them to reply YA."
            )
        )


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


def _code_for(record):
    """The 6-digit code of ``VerificationCode`` ``record``: secret without the site's key."""
    created = record.created_at.astimezone(UTC).isoformat()
    digest = salted_hmac(
        "wagtail_grantee_sms.verification_code",
        f"{record.pk}:{record.contact_id}:{created}",
        algorithm="sha256",
    ).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"


def _current_code(contact):
    return (
        VerificationCode.objects.filter(
            contact=contact, used_at__isnull=True, expires_at__gt=timezone.now()
        )
        .order_by("-created_at")
        .first()
    )


def body_to_send(delivery):
    """The text to hand to the backend for ``delivery``: its code put in, for a code SMS.

    Called by the pipeline just before sending, so a retry or a resend after review carries
    the contact's current code. Raises ``NoCodeToSend`` when there is none any more.
    """
    if delivery.purpose != "verification" or CODE_PLACEHOLDER not in delivery.body:
        return delivery.body
    record = _current_code(delivery.contact) if delivery.contact else None
    if record is None or record.attempts >= get_setting("VERIFICATION_CODE_ATTEMPTS"):
        raise NoCodeToSend("The verification code was used, replaced or has expired.")
    return delivery.body.replace(CODE_PLACEHOLDER, _code_for(record))


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

    ``method`` "code" sends a 6-digit code (see :func:`verify_code`) and needs a recorded
    consent; "reply" asks the contact to reply YA or YES. Returns the ``Delivery`` of the SMS.
    Raises ``VerificationError`` when the site does not allow the method, the consent is
    missing or the number had too many verification SMS this hour, ``CeilingReached`` when the
    whole site did, and ``TransitionNotAllowed`` when the contact's status does not allow it.
    """
    from . import ratelimit, sending

    if method not in (METHOD_CODE, METHOD_REPLY):
        raise VerificationError(_("Only the code and reply methods send an SMS."))
    _require_method(method)
    messages = VerificationMessages.load()
    with transaction.atomic():
        # Concurrent sends to one contact take turns here, so its hourly limit holds.
        contact.refresh_from_db(
            fields=["status", "consent_source", "consent_given_at"],
            from_queryset=Contact.objects.select_for_update(),
        )
        if contact.status not in VERIFIABLE:
            raise TransitionNotAllowed(f"{contact.status} → {Status.PENDING}")
        if method == METHOD_CODE:
            _require_consent(contact)
        try:
            contact.check_verifiable()
        except NumberSuppressed as error:
            raise VerificationError(error.message) from error
        except ContactNotVerifiable:
            pass  # no consent yet: the YA reply records the consent it answers
        _check_send_rate(contact)
        ceiling = ratelimit.lock_verification_ceiling()
        if ceiling.reached:
            raise CeilingReached(ceiling)
        values = {}
        if method == METHOD_CODE:
            contact.verification_codes.filter(used_at__isnull=True).delete()
            record = VerificationCode.objects.create(
                contact=contact,
                expires_at=timezone.now() + timedelta(hours=get_setting("VERIFICATION_CODE_HOURS")),
            )
            record.code_hash = _hash_code(contact, _code_for(record))
            record.save(update_fields=["code_hash"])
            values["code"] = CODE_PLACEHOLDER
        body = messages.render(method, contact.language, **values)
        delivery = sending.queue_message(contact, body, purpose="verification")
        # A sign-up that waited for the hourly ceiling has its SMS now (an admin sent it).
        SignupRequest.objects.filter(contact=contact).delete()
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
        _require_consent(contact)
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
    _require_consent(contact)
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
        with transaction.atomic():
            record_consent(
                contact, Contact.ConsentSource.SMS_KEYWORD, _reply_consent(contact, text)
            )
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


def _reply_consent(contact, reply):
    """What a contact agreed to by replying ``reply``: the verification SMS it answered."""
    asked = (
        contact.deliveries.filter(purpose="verification")
        .order_by("-created_at")
        .values_list("body", flat=True)
        .first()
    )
    return _("Replied “%(reply)s” by SMS to: “%(message)s”") % {
        "reply": reply[:20],
        "message": asked or "",
    }
