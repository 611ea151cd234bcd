"""The public sign-up: a visitor gives a name and number, gets a code by SMS, enters it.

Abuse is kept small: attempts are counted per IP address and per number in the cache, the
answer is the same whether the number is already a contact or not (no way to learn who is on
the list), and the code itself allows a few tries only (``verification.verify_code``).
"""

import hashlib
import logging

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from . import phones, verification
from .conf import get_setting
from .models import Contact

logger = logging.getLogger(__name__)

Status = Contact.Status
WINDOW_SECONDS = 3600


def _over_limit(key, limit):
    """Count one attempt under ``key``; whether the count is now above ``limit``."""
    cache.add(key, 0, WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, WINDOW_SECONDS)
        count = 1
    return count > limit


def throttled(ip_address, phone=""):
    """Count a sign-up attempt from ``ip_address`` (and for ``phone``); True when too many."""
    by_ip = _over_limit(f"wagtail_grantee_sms:signup:ip:{ip_address}",
                        get_setting("SIGNUP_ATTEMPTS_PER_IP"))  # fmt: skip
    if not phone:
        return by_ip
    digest = hashlib.sha256(phone.encode()).hexdigest()[:32]  # no number in cache keys
    by_number = _over_limit(f"wagtail_grantee_sms:signup:phone:{digest}",
                            get_setting("SIGNUP_ATTEMPTS_PER_NUMBER"))  # fmt: skip
    return by_ip or by_number


def sign_up(*, name, phone, language, consent_note, group=None):
    """Record a sign-up and send the verification SMS when the number may get one.

    A new number becomes a pending contact with web-form consent. A number that is already a
    contact keeps its record; it gets a code only while unverified or pending. Whatever
    happens, the caller shows the visitor the same next step.
    """
    method = (
        verification.METHOD_CODE
        if verification.METHOD_CODE in verification.allowed_methods()
        else verification.METHOD_REPLY
    )
    with transaction.atomic():
        contact, created = Contact.objects.select_for_update().get_or_create(
            phone=phone,
            defaults={
                "name": name,
                "language": language,
                "consent_source": Contact.ConsentSource.WEB_FORM,
                "consent_given_at": timezone.now(),
                "consent_note": consent_note,
            },
        )
        if group is not None and created:
            contact.groups.add(group)
        if contact.status not in verification.VERIFIABLE:
            logger.info(
                "Sign-up for %s: already %s, nothing sent.", phones.mask(phone), contact.status
            )
            return method
        try:
            verification.start_verification(contact, method, via=verification.VIA_WEB_FORM)
        except verification.VerificationError as error:
            logger.info("Sign-up for %s: no SMS sent (%s).", phones.mask(phone), error.message)
    return method


def confirm(phone, code):
    """The visitor typed the code: whether it verified the contact with number ``phone``."""
    contact = Contact.objects.filter(phone=phone).first()
    if contact is None:
        return False
    try:
        return verification.verify_code(contact, code, via=verification.VIA_WEB_FORM)
    except verification.VerificationError:
        return False
