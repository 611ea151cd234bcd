"""The sending pipeline: the one way the suite sends an SMS.

``queue_message`` records a :class:`~.models.Delivery` and hands it to the background worker
(``tasks.py``) once the transaction commits. ``send_deliveries`` does the sending:

1. wait for a slot of the backend's shared ``RATE_LIMIT`` (``ratelimit.py``);
2. claim the delivery with one conditional UPDATE (``queued`` → ``sending``, attempts + 1), so
   of two workers running the same task only one gets it;
3. hand it to the backend, then record the provider's answer. A transient error puts the
   delivery back in the queue for a retry with exponential backoff (until ``MAX_ATTEMPTS``), a
   permanent one fails it.

A delivery found still ``sending`` after ``SENDING_TIMEOUT`` was interrupted (a worker died
between claiming and recording): nobody knows whether the provider got it. It is resent only
through a backend whose provider deduplicates client references (``idempotent_references``:
the resend carries the same reference, so the phone gets the SMS once); otherwise it is set to
``review`` and never resent automatically: a person checks with the provider and decides
(``resolve_review``). An ``SMSBackendError`` that may have reached the provider
(``maybe_sent``: a read timeout, a server error) is treated the same way; one that certainly did
not (connection refused, refused credentials, throttling) is retried with backoff.
``recover_deliveries``, run every few minutes, applies this to deliveries nobody ran
again, and queues again the queued ones whose task was lost.
"""

import logging
from datetime import timedelta
from decimal import Decimal
from functools import partial

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from wagtail.log_actions import log

from . import phones, ratelimit, suppression, tasks, verification
from .backends import (
    INVALID_NUMBER,
    OPTED_OUT,
    DeliveryStatus,
    OutgoingSMS,
    SMSBackendError,
    get_backend,
    get_backend_settings,
)
from .conf import get_setting
from .models import Contact, Delivery
from .signals import delivery_status_changed

logger = logging.getLogger(__name__)

Status = Delivery.Status
Purpose = Delivery.Purpose

# Contacts who may get nothing but the confirmation of their opt-out.
UNREACHABLE = {Contact.Status.OPTED_OUT, Contact.Status.BLOCKED, Contact.Status.INVALID}
# What a suppressed number may still get: the answer to its own keyword.
KEYWORD_ANSWERS = {Purpose.OPT_OUT_CONFIRMATION, Purpose.OPT_IN_CONFIRMATION}

# A status report or answer may only move a delivery forward in this order; both final
# statuses share the last rank, so "failed" never overwrites "delivered" nor the reverse.
RANK = {
    Status.QUEUED: 0,
    Status.SENDING: 1,
    Status.REVIEW: 1,
    Status.ACCEPTED: 2,
    Status.SENT: 3,
    Status.DELIVERED: 4,
    Status.FAILED: 4,
}


class NotAllowedToSend(Exception):
    """The contact may not receive this message (opted out, blocked, not verified...)."""


def check_allowed(contact, purpose):
    """Raise ``NotAllowedToSend`` unless ``contact`` may receive a message for ``purpose``."""
    if contact.status in UNREACHABLE and purpose != Purpose.OPT_OUT_CONFIRMATION:
        raise NotAllowedToSend(
            f"Contact {contact.pk} is {contact.status}: only an opt-out confirmation may be sent."
        )
    if purpose == Purpose.BROADCAST and contact.status != Contact.Status.VERIFIED:
        raise NotAllowedToSend(f"Contact {contact.pk} is {contact.status}, not verified.")
    if purpose not in KEYWORD_ANSWERS and suppression.is_suppressed(contact.phone):
        raise NotAllowedToSend(f"Contact {contact.pk}'s number is on the suppression list.")


def queue_message(contact, body, *, purpose, backend_alias="default"):
    """Record an SMS to ``contact`` and queue its sending once the transaction commits."""
    check_allowed(contact, purpose)
    get_backend_settings(backend_alias)  # an unknown alias fails here, not in the worker
    delivery = Delivery.objects.create(
        contact=contact,
        phone=contact.phone,
        body=body,
        purpose=purpose,
        backend_alias=backend_alias,
    )
    transaction.on_commit(partial(tasks.enqueue_delivery, delivery.pk))
    return delivery


def send_delivery(delivery_id):
    """Send one queued delivery (safe to call twice: the second call finds nothing to do)."""
    send_deliveries([delivery_id])


def send_deliveries(delivery_ids):
    """Send the given deliveries that are due, one backend connection per backend alias."""
    aliases = (
        Delivery.objects.filter(pk__in=delivery_ids)
        .order_by("backend_alias", "pk")
        .values_list("backend_alias", "pk")
    )
    batches = {}
    for alias, pk in aliases:
        batches.setdefault(alias, []).append(pk)
    for alias, pks in batches.items():
        backend_settings = get_backend_settings(alias)
        with get_backend(alias) as backend:
            for done, pk in enumerate(pks, start=1):
                if not send_with(backend, backend_settings, pk):
                    # The provider is unreachable: the rest of the batch stays queued, for
                    # recover_deliveries() to queue again, instead of hammering it.
                    logger.warning(
                        "SMS backend %r failed; %s deliveries of the batch left queued.",
                        alias,
                        len(pks) - done,
                    )
                    break


def recover_deliveries():
    """The safety net, run every few minutes by the worker.

    Deliveries stuck in ``sending`` get the interrupted-send policy; queued deliveries that
    have been due for longer than ``SENDING_TIMEOUT`` (their task was lost, or a batch stopped
    early) are queued again.
    """
    send_deliveries(list(_interrupted().values_list("pk", flat=True)))
    cutoff = timezone.now() - timedelta(seconds=get_setting("SENDING_TIMEOUT"))
    stranded = Delivery.objects.filter(
        Q(next_attempt_at__isnull=True, created_at__lt=cutoff) | Q(next_attempt_at__lt=cutoff),
        status=Status.QUEUED,
    )
    for pk in stranded.values_list("pk", flat=True):
        tasks.enqueue_delivery(pk)


def send_with(backend, backend_settings, delivery_id):
    """Claim delivery ``delivery_id``, send it through the open ``backend``, record the answer.

    Returns False when the backend could not reach its provider (the batch should stop).
    """
    if backend_settings["RATE_LIMIT"]:
        ratelimit.wait_for_slot(backend.alias, backend_settings["RATE_LIMIT"])
    delivery = claim(delivery_id, resend_interrupted=backend.idempotent_references)
    if delivery is None:
        return True
    try:
        if not delivery.phone:
            raise NotAllowedToSend("The number was erased.")
        if delivery.contact:
            check_allowed(delivery.contact, delivery.purpose)
    except NotAllowedToSend as refusal:
        # The contact opted out (or was blocked) after the message was queued.
        _finish(
            delivery,
            Status.FAILED,
            error_code="not_allowed",
            error_message=str(refusal),
            permanent_error=True,
        )
        return True
    message = OutgoingSMS(to=delivery.phone, body=delivery.body, reference=str(delivery.uuid))
    try:
        [result] = backend.send_messages([message])
    except SMSBackendError as error:
        if not error.results:
            if error.maybe_sent and not backend.idempotent_references:
                _set_review(delivery, str(error))
            else:
                _retry_or_fail(delivery, backend_settings, "backend_error", str(error), False, "")
            return False
        result = error.results[0]
    if result.accepted:
        _record_accepted(delivery, result, backend_settings)
    else:
        _retry_or_fail(
            delivery,
            backend_settings,
            result.error_code,
            result.error_message,
            result.permanent,
            backend.failure_reason(result.error_code),
        )
    return True


def claim(delivery_id, *, resend_interrupted=False):
    """Take the delivery for sending; return it, or ``None`` when it is not ours to send.

    One conditional UPDATE decides, so two workers never both get it. An interrupted delivery
    is taken again only with ``resend_interrupted``; otherwise it is set to ``review``.
    """
    now = timezone.now()
    claimable = Q(status=Status.QUEUED) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    if resend_interrupted:
        claimable |= _interrupted_q()
    claimed = Delivery.objects.filter(claimable, pk=delivery_id).update(
        status=Status.SENDING, attempts=F("attempts") + 1, claimed_at=now, next_attempt_at=None
    )
    if claimed:
        return Delivery.objects.select_related("contact").get(pk=delivery_id)
    if not resend_interrupted and (stuck := _interrupted().filter(pk=delivery_id).first()):
        _set_review(stuck, "The worker stopped while handing it to the provider.")
    return None


def resolve_review(delivery, *, resend, user=None):
    """Someone checked a delivery marked for review with the provider: send it again (it did
    not arrive) or mark it failed. Logged with its author; False if it needs no review (any
    more)."""
    if resend:
        fields = {"status": Status.QUEUED, "next_attempt_at": None}
        action = "wagtail_grantee_sms.delivery_resend"
    else:
        fields = {"status": Status.FAILED, "permanent_error": True}
        action = "wagtail_grantee_sms.delivery_give_up"
    with transaction.atomic():
        if not _move(delivery, [Status.REVIEW], **fields):
            return False
        log(instance=delivery, action=action, user=user)
        if resend:
            transaction.on_commit(partial(tasks.enqueue_delivery, delivery.pk))
    return True


def _interrupted():
    return Delivery.objects.filter(_interrupted_q())


def _interrupted_q():
    cutoff = timezone.now() - timedelta(seconds=get_setting("SENDING_TIMEOUT"))
    return Q(status=Status.SENDING, claimed_at__lt=cutoff)


def _set_review(delivery, reason):
    logger.warning(
        "SMS delivery %s to %s may or may not have reached the provider (%s); it is marked "
        "for review and will not be resent automatically.",
        delivery.pk,
        phones.mask(delivery.phone),
        reason,
    )
    _finish(delivery, Status.REVIEW, error_code="interrupted", error_message=reason)


def _record_accepted(delivery, result, backend_settings):
    price, currency = result.price, result.currency
    per_segment = backend_settings["PRICE_PER_SEGMENT"]
    if price is None and per_segment is not None and result.segments:
        price, currency = Decimal(str(per_segment)) * result.segments, backend_settings["CURRENCY"]
    # A provider that says "queued" has still taken the message: it must not be claimable.
    status = max(DeliveryStatus(result.status).value, Status.ACCEPTED, key=RANK.__getitem__)
    _finish(
        delivery,
        status,
        provider_message_id=result.message_id,
        segments=result.segments,
        price=price,
        currency=currency or "",
        sent_at=timezone.now(),
        error_code="",
        error_message="",
    )
    logger.info("SMS delivery %s to %s accepted.", delivery.pk, phones.mask(delivery.phone))


def _retry_or_fail(delivery, backend_settings, code, text, permanent, reason):
    error = {"error_code": code, "error_message": text, "permanent_error": permanent}
    mark_contact(delivery.contact, reason, code)
    if permanent or delivery.attempts >= backend_settings["MAX_ATTEMPTS"]:
        logger.warning(
            "SMS delivery %s to %s failed after %s attempt(s): %s %s",
            delivery.pk,
            phones.mask(delivery.phone),
            delivery.attempts,
            code,
            text,
        )
        _finish(delivery, Status.FAILED, **error)
        return
    backoff = get_setting("RETRY_BACKOFF") * 2 ** (delivery.attempts - 1)
    next_attempt_at = timezone.now() + timedelta(seconds=backoff)
    logger.info(
        "SMS delivery %s to %s: transient error %s, retry %s in %s s.",
        delivery.pk,
        phones.mask(delivery.phone),
        code,
        delivery.attempts + 1,
        backoff,
    )
    if _finish(delivery, Status.QUEUED, next_attempt_at=next_attempt_at, **error):
        transaction.on_commit(partial(tasks.enqueue_delivery, delivery.pk, at=next_attempt_at))


def _finish(delivery, status, **fields):
    """Move a claimed delivery out of ``sending``; False if something else moved it first."""
    return _move(delivery, [Status.SENDING], status=status, **fields)


def _move(delivery, from_statuses, **fields):
    """Update ``delivery`` only if its status is still one of ``from_statuses`` (one UPDATE)."""
    fields["updated_at"] = timezone.now()
    updated = Delivery.objects.filter(pk=delivery.pk, status__in=from_statuses).update(**fields)
    if updated:
        old_status = delivery.status
        for name, value in fields.items():
            setattr(delivery, name, value)
        _changed(delivery, old_status)
    return bool(updated)


def _changed(delivery, old_status):
    if delivery.status != old_status:
        delivery_status_changed.send(sender=None, delivery=delivery, old_status=old_status)


def mark_contact(contact, reason, detail=""):
    """Apply what a provider said about the number (``reason`` of a result or report)."""
    if contact is None or not reason:
        return
    if reason == OPTED_OUT:
        verification.opt_out(contact, via=verification.VIA_PROVIDER, reason=detail)
    elif reason == INVALID_NUMBER:
        verification.mark_invalid(contact, via=verification.VIA_PROVIDER, reason=detail)


def apply_delivery_report(alias, report):
    """Apply a provider's status report; returns the delivery, or ``None`` if unknown.

    Idempotent: a duplicate or a report older than what is known changes nothing, because the
    conditional UPDATE only moves a delivery to a later status.
    """
    delivery = (
        Delivery.objects.select_related("contact")
        .filter(backend_alias=alias, provider_message_id=report.message_id)
        .first()
        if report.message_id
        else None
    )
    if delivery is None:
        logger.info(
            "Status report from SMS backend %r for unknown message id %r ignored.",
            alias,
            report.message_id,
        )
        return None
    new_status = DeliveryStatus(report.status).value
    earlier = [status for status, rank in RANK.items() if rank < RANK[new_status]]
    fields = {"status": new_status}
    if new_status == Status.FAILED:
        fields |= {
            "error_code": report.error_code,
            "error_message": report.error_message,
            "permanent_error": report.permanent,
        }
    if _move(delivery, earlier, **fields):
        mark_contact(delivery.contact, report.reason, report.error_code)
    return delivery
