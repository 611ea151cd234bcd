"""The public sign-up: a visitor gives a name and number, gets a code by SMS, enters it.

What a stranger can make the site spend is capped (see ``docs/security.md``):

- only numbers of ``SIGNUP_ALLOWED_REGIONS`` are taken (default: ``DEFAULT_REGION``);
- attempts are counted per client address (an IPv6 address by its /64 network, since one
  machine usually holds a whole /64) and per number, in the cache (``SIGNUP_ATTEMPTS_*``); the
  client address is ``REMOTE_ADDR`` unless ``TRUSTED_PROXY_HOPS`` says which
  X-Forwarded-For entry a trusted proxy wrote;
- each number gets at most ``VERIFICATION_SENDS_PER_HOUR`` SMS, and the whole site
  ``VERIFICATION_SENDS_PER_HOUR_TOTAL``, counted in the database. A sign-up that finds the
  site's hour full waits as a :class:`~.models.SignupRequest` and gets its SMS when the hour
  allows (``send_waiting``, run every few minutes); the admin shows a banner meanwhile. At
  most an hour's worth of sign-ups (``VERIFICATION_SENDS_PER_HOUR_TOTAL``) waits: beyond that
  the form asks visitors to come back later (``TooManyWaiting``), so a burst of sign-ups
  cannot keep the site sending for days after it, nor push a visitor's SMS past the hour the
  page promises.

The request itself learns nothing about the number: it only records a ``SignupRequest`` and
queues its processing (``process``), the same work and the same answer whether the number is
already a contact or not.
"""

import hashlib
import ipaddress
import logging
from datetime import timedelta
from functools import partial

import phonenumbers
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import ratelimit, tasks, verification
from .conf import get_setting
from .models import Contact, SignupRequest

logger = logging.getLogger(__name__)

Status = Contact.Status
WINDOW_SECONDS = 3600
# A sign-up still unprocessed after this long lost its task: ``send_waiting`` takes it.
STRANDED_AFTER = timedelta(minutes=5)


def client_address(request):
    """The visitor's IP address: ``REMOTE_ADDR``, or the one a trusted proxy saw.

    With ``TRUSTED_PROXY_HOPS`` = n, the n-th X-Forwarded-For entry from the right is the
    address the outermost trusted proxy received the connection from; entries further left
    were written by the client and are never trusted.
    """
    hops = get_setting("TRUSTED_PROXY_HOPS")
    remote = request.META.get("REMOTE_ADDR", "")
    if not hops:
        return remote
    forwarded = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [entry for entry in forwarded if entry]
    if len(forwarded) < hops:
        return remote  # fewer proxies than configured: nothing in the header is trustworthy
    return forwarded[-hops]


def address_key(address):
    """What attempts are counted under: an IPv4 address, or the /64 network of an IPv6 one.

    A port that a proxy wrote with the address ("198.51.100.7:50000", "[2001:db8::1]:443") is
    left out: the same visitor comes from a new port with each connection.
    """
    text = address.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return "unknown"
    if ip.version == 6 and ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _over_limit(key, limit):
    """Count one attempt under ``key``; whether the count is now above ``limit``."""
    cache.add(key, 0, WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, WINDOW_SECONDS)
        count = 1
    return count > limit


def throttled(address, phone=""):
    """Count a sign-up attempt from ``address`` (and for ``phone``); True when too many.

    Relies on a cache that stores (system check ``wagtail_grantee_sms.E030``).
    """
    by_ip = _over_limit(f"wagtail_grantee_sms:signup:ip:{address_key(address)}",
                        get_setting("SIGNUP_ATTEMPTS_PER_IP"))  # fmt: skip
    if not phone:
        return by_ip
    digest = hashlib.sha256(phone.encode()).hexdigest()[:32]  # no number in cache keys
    by_number = _over_limit(f"wagtail_grantee_sms:signup:phone:{digest}",
                            get_setting("SIGNUP_ATTEMPTS_PER_NUMBER"))  # fmt: skip
    return by_ip or by_number


def allowed_regions():
    return list(get_setting("SIGNUP_ALLOWED_REGIONS") or [get_setting("DEFAULT_REGION")])


def region_refusal(phone):
    """A message for the visitor when ``phone`` (E.164) is of a country not allowed, else ""."""
    regions = allowed_regions()
    number = phonenumbers.parse(phone)
    if phonenumbers.region_code_for_number(number) in regions:
        return ""
    codes = ", ".join(
        f"+{phonenumbers.country_code_for_region(region)} ({region})" for region in regions
    )
    return _("Only numbers from these countries can sign up here: %(countries)s.") % {
        "countries": codes
    }


class TooManyWaiting(Exception):
    """An hour's worth of sign-ups already waits for its SMS: another one is not taken."""


def signup_method():
    """How a visitor proves the number: a code when the site allows it, else a reply."""
    if verification.METHOD_CODE in verification.allowed_methods():
        return verification.METHOD_CODE
    return verification.METHOD_REPLY


def sign_up(*, name, phone, language, consent_note, group=None):
    """Record a sign-up and have it processed in the background; returns the method.

    The same work for every number, so neither the answer nor its timing tells whether the
    number is already a contact. Raises ``TooManyWaiting`` when an hour's worth of sign-ups
    waits already.
    """
    waiting_count = SignupRequest.objects.count()
    if waiting_count >= get_setting("VERIFICATION_SENDS_PER_HOUR_TOTAL"):
        logger.warning("Sign-up refused: %s sign-ups already wait for their SMS.", waiting_count)
        raise TooManyWaiting
    request = SignupRequest.objects.create(
        name=name, phone=phone, language=language, consent_note=consent_note, group=group
    )
    transaction.on_commit(partial(tasks.enqueue_signup, request.pk))
    return signup_method()


def process(request_id):
    """Act on sign-up ``request_id``: a contact, its consent and its verification SMS.

    A new number becomes a contact with the consent of the sign-up form. A number that is
    already a contact keeps its record (its consent too, if one is recorded); it gets an SMS
    only while unverified or pending. When the site's hourly ceiling is reached, the contact
    is pending and the request waits for ``send_waiting``. Returns False only then; safe to
    run twice.
    """
    with transaction.atomic():
        signup = SignupRequest.objects.select_for_update().filter(pk=request_id).first()
        if signup is None:
            return True  # done already
        contact, created = Contact.objects.select_for_update().get_or_create(
            phone=signup.phone,
            defaults={
                "name": signup.name,
                "language": signup.language,
                "consent_source": Contact.ConsentSource.WEB_FORM,
                "consent_given_at": signup.created_at,
                "consent_note": signup.consent_note,
            },
        )
        if created and signup.group_id:
            contact.groups.add(signup.group_id)
        if contact.status not in verification.VERIFIABLE:
            logger.info("Sign-up %s: contact %s is %s, nothing sent.", signup.pk, contact.pk,
                        contact.status)  # fmt: skip
            signup.delete()
            return True
        # The person agreed on the form just now; a consent recorded earlier is kept.
        verification.record_consent(contact, Contact.ConsentSource.WEB_FORM, signup.consent_note)
        try:
            verification.start_verification(contact, signup_method(), via=verification.VIA_WEB_FORM)
        except verification.CeilingReached as reached:
            _wait(signup, contact, reached.ceiling)
            return False
        except verification.VerificationError as error:
            logger.info("Sign-up %s: no SMS sent (%s).", signup.pk, error.message)
        signup.delete()
    return True


def _wait(signup, contact, ceiling):
    newly = signup.contact_id is None
    signup.contact = contact
    signup.save(update_fields=["contact"])
    if newly:
        logger.warning(
            "Verification SMS ceiling reached (%s in the last hour, limit %s): sign-up %s "
            "(contact %s) waits until %s.",
            ceiling.count,
            ceiling.limit,
            signup.pk,
            contact.pk,
            ceiling.free_at.isoformat(timespec="minutes"),
        )
        verification.transition(
            contact,
            Status.PENDING,
            action="wagtail_grantee_sms.verification_waiting",
            via=verification.VIA_WEB_FORM,
            reason=str(_("The site's hourly limit of verification SMS was reached.")),
        )


def waiting():
    """Sign-ups whose SMS waits for the hourly ceiling, or whose task was lost."""
    return SignupRequest.objects.filter(
        Q(contact__isnull=False) | Q(created_at__lt=timezone.now() - STRANDED_AFTER)
    )


def send_waiting():
    """Process the waiting sign-ups, oldest first, while the ceiling allows (run periodically)."""
    if ratelimit.VerificationCeiling().reached:
        return 0
    done = 0
    for pk in waiting().order_by("created_at", "pk").values_list("pk", flat=True):
        if not process(pk):
            break
        done += 1
    return done


def confirm(phone, code):
    """The visitor typed the code: whether it verified the contact with number ``phone``."""
    contact = Contact.objects.filter(phone=phone).first()
    if contact is None:
        return False
    try:
        return verification.verify_code(contact, code, via=verification.VIA_WEB_FORM)
    except verification.VerificationError:
        return False
