"""Inbound SMS: store each message once, match its contact, act on opt-out/opt-in keywords.

A message that is a keyword alone (compared without case, accents, spaces or punctuation, so
"Stop!", "stop" and "S T O P" are the same) changes the contact's status through
``verification`` and gets one confirmation back; an opt-in keyword from a blocked contact is
stored and gets nothing. Every other message, including an opt-in keyword from a contact that
did not opt out (a pending contact's "YA" answers its verification request) or from an unknown
number, goes to the inbox and to the signal ``inbound_message_received``; when a receiver
(the verification reply) verified the contact, the inbox records it as the action taken.

``simulate`` receives a message that came through no provider (the admin's "Simulate an
incoming SMS", ``manage.py sms_receive``) through the same ``receive``.
"""

import logging
import unicodedata

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from wagtail.log_actions import log

from . import phones, sending, suppression, verification
from .backends import InboundSMS, aliases_with
from .backends.base import normalise_sender, without_secrets
from .conf import get_setting
from .models import Contact, InboundMessage, VerificationMessages
from .signals import inbound_message_received

logger = logging.getLogger(__name__)

Action = InboundMessage.Action
Purpose = sending.Purpose

# Contacts an opt-in keyword brings back; a blocked contact stays blocked.
OPT_IN_FROM = {Contact.Status.OPTED_OUT, Contact.Status.INVALID}


def keyword(text):
    """``text`` reduced to what keywords are compared by: "  Bérhenti! " → "berhenti"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(
        char for char in decomposed.casefold() if char.isalnum() and not unicodedata.combining(char)
    )


def is_keyword(text, setting):
    return keyword(text) in {keyword(word) for word in get_setting(setting)}


def receive(alias, sms):
    """Store the ``InboundSMS`` that came in through backend ``alias`` and act on it.

    Returns the new ``InboundMessage``, or ``None`` when the provider delivered a message it
    had delivered before (it is stored, and acted on, once).
    """
    sender = normalise_sender(sms.sender)[:32]
    received_at = sms.received_at or timezone.now()
    with transaction.atomic():
        message = _store(alias, sms, sender, received_at)
        if message is None:
            logger.info(
                "Inbound SMS %r from backend %r came again: ignored.", sms.message_id, alias
            )
            return None
        # Locked, so two keywords arriving at once send one confirmation, not two.
        contact = Contact.objects.select_for_update().filter(phone=sender).first()
        if contact is not None:
            contact.last_message_received_at = received_at
            contact.save(update_fields=["last_message_received_at"])
        action = _act_on_keyword(message, contact)
        message.contact = contact
        message.action = action or Action.NONE
        message.save(update_fields=["contact", "action"])
    logger.info(
        "Inbound SMS %s from %s (contact %s): %s.",
        message.pk,
        phones.mask(sender),
        contact.pk if contact else None,
        message.action or "no keyword action",
    )
    if action is None:
        was_pending = contact is not None and contact.status == Contact.Status.PENDING
        _announce(message)
        if was_pending:
            _note_verification(message)
    return message


def _note_verification(message):
    """Show in the inbox that this reply verified its pending contact (a YA or the code,
    read by a receiver of ``inbound_message_received``)."""
    if Contact.objects.filter(pk=message.contact_id, status=Contact.Status.VERIFIED).exists():
        message.action = Action.VERIFIED
        message.save(update_fields=["action"])


def simulate(alias, sender, body, *, user=None):
    """Receive an SMS that came through no provider, exactly as a webhook's: the admin's
    "Simulate an incoming SMS" and ``manage.py sms_receive``. YA, a code and STOP act as they
    would from a phone; the message is logged as simulated, with who did it.

    ``sender`` is read like any number typed in (``ValidationError`` if it is none).
    """
    sms = InboundSMS(sender=phones.normalise(sender), body=body, raw={"simulated": True})
    with transaction.atomic():
        message = receive(alias, sms)
        log(instance=message, action="wagtail_grantee_sms.inbound_simulated", user=user)
    return message


def simulated_inbound_aliases():
    """The aliases of the configured backends through which the admin may simulate SMS."""
    return aliases_with("simulated_inbound")


def _store(alias, sms, sender, received_at):
    """Create the ``InboundMessage``; ``None`` if this provider message id is already stored."""
    fields = {
        "sender": sender,
        "to": str(sms.to or "")[:32],
        "body": str(sms.body or ""),
        "received_at": received_at,
        # Whatever authenticated the request (a ?token= in the URL...) is not kept.
        "raw": without_secrets(sms.raw or {}),
    }
    if not sms.message_id:
        return InboundMessage.objects.create(backend_alias=alias, **fields)
    message, created = InboundMessage.objects.get_or_create(
        backend_alias=alias, provider_message_id=sms.message_id, defaults=fields
    )
    return message if created else None


def _act_on_keyword(message, contact):
    """Apply an opt-out or opt-in keyword; return the action, or None for other messages."""
    if is_keyword(message.body, "OPT_OUT_KEYWORDS"):
        if contact is None:
            # Remembered (as a hash) for when this number is added or imported later.
            suppression.suppress(
                message.sender, source=suppression.SuppressedNumber.Source.UNKNOWN_SENDER
            )
        elif verification.opt_out(contact, reason=message.body.strip()):
            _confirm(message, contact, "OPT_OUT_CONFIRMATION", Purpose.OPT_OUT_CONFIRMATION)
        return Action.OPT_OUT
    if is_keyword(message.body, "OPT_IN_KEYWORDS"):
        # The person's own keyword is the one thing that lifts an opt-out.
        suppression.unsuppress(message.sender)
    if is_keyword(message.body, "OPT_IN_KEYWORDS") and contact is not None:
        if contact.status == Contact.Status.BLOCKED:
            return Action.NONE  # stays blocked, and gets no answer
        if contact.status in OPT_IN_FROM:
            if verification.opt_in(contact, reason=message.body.strip()):
                _confirm(message, contact, "OPT_IN_CONFIRMATION", Purpose.OPT_IN_CONFIRMATION)
            return Action.OPT_IN
    return None


def confirmation_text(setting, contact):
    """``OPT_OUT_CONFIRMATION``/``OPT_IN_CONFIRMATION`` in the contact's language, filled in.

    ``{organisation}`` is the one of the verification messages (Settings), else the site name.
    """
    texts = get_setting(setting)
    text = texts.get(contact.language) or texts.get("en") or next(iter(texts.values()))
    organisation = VerificationMessages.load().organisation or getattr(
        settings, "WAGTAIL_SITE_NAME", ""
    )
    return text.replace("{organisation}", organisation)


def _confirm(message, contact, setting, purpose):
    sending.queue_message(
        contact,
        confirmation_text(setting, contact),
        purpose=purpose,
        backend_alias=message.backend_alias,
    )


def _announce(message):
    for receiver, error in inbound_message_received.send_robust(sender=None, message=message):
        if isinstance(error, Exception):
            logger.error(
                "A receiver of inbound_message_received (%r) failed on inbound SMS %s.",
                receiver,
                message.pk,
                exc_info=error,
            )
