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
again, and queues again the queued ones whose task was lost. An answer the backend cannot
read (it raised something else than ``SMSBackendError``) is treated as "maybe sent" too.

A broadcast's deliveries go through ``broadcasting.send_chunk`` instead: many at a time (one
claim, one ``send_messages`` call, one recording transaction per batch), with the same
guarantees for each delivery; a retry of one of them comes back here, and waits while its
broadcast is paused. A broadcast is done as soon as none of its deliveries is queued or
sending: a delivery of it that leaves those states here checks it once its change is
committed (``finish_broadcast_if_done``); a chunk checks once at its end
(``checks_deferred_to_the_chunk``), not once per message.

Answers out of order are not lost. A provider's acceptance that comes after the delivery was
set aside for review (or queued again by a reviewer) is recorded on it (``answered_late_at``),
so it is not sent twice. A status report (``apply_delivery_report``) that comes before the
send result is recorded waits as an ``UnmatchedDeliveryReport`` and is applied when it is
(``apply_unmatched_reports``, and ``recover_deliveries`` for one that arrived at the same
instant); reports are matched by the provider's message id or by our client reference.
"""

import logging
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from decimal import Decimal
from functools import partial

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
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
from .models import Broadcast, Contact, Delivery, UnmatchedDeliveryReport
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

# Deliveries whose provider's answer is not recorded: a status report about them waits.
NOT_ANSWERED = {Status.QUEUED, Status.SENDING, Status.REVIEW}
# A broadcast is done once none of its deliveries is in one of these.
UNFINISHED = (Status.QUEUED, Status.SENDING)

# True while a broadcast's chunk records its batch: the chunk checks once, at its end,
# whether its broadcast is done.
_chunk_checks_at_end = ContextVar("wagtail_grantee_sms_chunk_checks_at_end", default=False)


class NotAllowedToSend(Exception):
    """The contact may not receive this message (opted out, blocked, not verified...)."""


def check_allowed(contact, purpose, *, suppressed=None):
    """Raise ``NotAllowedToSend`` unless ``contact`` may receive a message for ``purpose``.

    ``suppressed``: whether the number is on the suppression list, when the caller looked it
    up already (a broadcast batch asks for all its numbers in one query)."""
    if contact.status in UNREACHABLE and purpose != Purpose.OPT_OUT_CONFIRMATION:
        raise NotAllowedToSend(
            f"Contact {contact.pk} is {contact.status}: only an opt-out confirmation may be sent."
        )
    if purpose == Purpose.BROADCAST and contact.status != Contact.Status.VERIFIED:
        raise NotAllowedToSend(f"Contact {contact.pk} is {contact.status}, not verified.")
    if suppressed is None:
        suppressed = suppression.is_suppressed(contact.phone)
    if purpose not in KEYWORD_ANSWERS and suppressed:
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
    sweep_unmatched_reports()
    stranded = due_since(timezone.now() - timedelta(seconds=get_setting("SENDING_TIMEOUT")))
    # A broadcast's deliveries are queued again by chunks (``broadcasting.recover_broadcasts``).
    for pk in stranded.filter(broadcast__isnull=True).values_list("pk", flat=True):
        tasks.enqueue_delivery(pk)


def due_since(moment):
    """The queued deliveries that were due to be sent before ``moment``: created then (first
    attempt) or with a retry planned before it."""
    return Delivery.objects.filter(
        Q(next_attempt_at__isnull=True, created_at__lt=moment) | Q(next_attempt_at__lt=moment),
        status=Status.QUEUED,
    )


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
        # A verification code is put in only now: the stored body never holds it.
        body = verification.body_to_send(delivery)
    except (NotAllowedToSend, verification.NoCodeToSend) as refusal:
        # The contact opted out (or was blocked) after the message was queued.
        _finish(
            delivery,
            Status.FAILED,
            error_code="not_allowed",
            error_message=str(refusal),
            permanent_error=True,
        )
        return True
    message = OutgoingSMS(to=delivery.phone, body=body, reference=str(delivery.uuid))
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
    except (LookupError, TypeError, ValueError, AttributeError):
        # A backend that trips over an answer it cannot read (a field missing, a list where a
        # text belongs) may have had the message sent: never leave it "sending" nor crash
        # the batch; a person checks it.
        logger.exception("SMS backend %r failed on delivery %s.", backend.alias, delivery.pk)
        _set_review(delivery, "The SMS backend could not read the provider's answer.")
        return False
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
    # A message of a paused or cancelled broadcast waits (a retry planned before the pause).
    # The broadcast's status is read in a subquery, never through a join: with a join Django
    # writes "UPDATE … WHERE id IN (SELECT …)", and PostgreSQL re-checks only that (stale)
    # subquery after waiting for a rival's lock, so two workers could both claim the row.
    sending_broadcasts = Broadcast.objects.filter(status="sending").values("pk")
    claimable &= Q(broadcast__isnull=True) | Q(broadcast_id__in=sending_broadcasts)
    claimed = Delivery.objects.filter(claimable, pk=delivery_id).update(
        status=Status.SENDING, attempts=F("attempts") + 1, claimed_at=now, next_attempt_at=None
    )
    if claimed:
        return Delivery.objects.select_related("contact").get(pk=delivery_id)
    if not resend_interrupted and (stuck := _interrupted().filter(pk=delivery_id).first()):
        _set_review(stuck, "The worker stopped while handing it to the provider.")
    return None


class BroadcastCancelled(Exception):
    """A message of a cancelled broadcast is not sent again: cancelling stopped the rest."""


def can_resend(delivery):
    """Whether a delivery in review may be sent again: not when its broadcast was cancelled."""
    if not delivery.broadcast_id:
        return True
    return not Broadcast.objects.filter(
        pk=delivery.broadcast_id, status=Broadcast.Status.CANCELLED
    ).exists()


def resolve_review(delivery, *, resend, user=None):
    """Someone checked a delivery marked for review with the provider: send it again (it did
    not arrive) or mark it failed. Logged with its author; False if it needs no review (any
    more). Raises ``BroadcastCancelled`` for a resend of a cancelled broadcast's message."""
    if resend:
        fields = {"status": Status.QUEUED, "next_attempt_at": None}
        action = "wagtail_grantee_sms.delivery_resend"
    else:
        fields = {"status": Status.FAILED, "permanent_error": True}
        action = "wagtail_grantee_sms.delivery_give_up"
    with transaction.atomic():
        if resend and delivery.broadcast_id:
            # With its broadcast locked: a cancel that comes meanwhile waits for this one and
            # then fails the message again with the rest of the queue.
            status = (
                Broadcast.objects.select_for_update()
                .filter(pk=delivery.broadcast_id)
                .values_list("status", flat=True)
                .first()
            )
            if status == Broadcast.Status.CANCELLED:
                raise BroadcastCancelled
        if not _move(delivery, [Status.REVIEW], **fields):
            return False
        log(instance=delivery, action=action, user=user)
        if resend:
            if delivery.broadcast_id:
                # Its broadcast sends again until it is answered (only a sending broadcast's
                # deliveries are claimed), then is done again.
                Broadcast.objects.filter(
                    pk=delivery.broadcast_id, status=Broadcast.Status.DONE
                ).update(status=Broadcast.Status.SENDING, finished_at=None)
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
    fields = {
        "status": status,
        "provider_message_id": result.message_id,
        "segments": result.segments,
        "price": price,
        "currency": currency or "",
        "sent_at": timezone.now(),
        "error_code": "",
        "error_message": "",
    }
    if _move(delivery, [Status.SENDING], **fields):
        logger.info("SMS delivery %s to %s accepted.", delivery.pk, phones.mask(delivery.phone))
    elif not _record_late_acceptance(delivery, fields):
        return
    apply_unmatched_reports(delivery)


def _record_late_acceptance(delivery, fields):
    """The provider's acceptance came after ``SENDING_TIMEOUT``: the delivery was set aside
    for review (or a reviewer already queued it again). Record what the provider said, so
    that it is not sent a second time; the delivery shows when the answer came."""
    with transaction.atomic():
        if not _move(
            delivery, [Status.REVIEW, Status.QUEUED], answered_late_at=timezone.now(), **fields
        ):
            # A reviewer marked it failed, or another attempt's answer is recorded: keep
            # what a person decided, but say that the provider had it.
            logger.warning(
                "SMS delivery %s to %s: the provider accepted it as %s after it was set aside "
                "for review, but it is %s by now; not changed.",
                delivery.pk,
                phones.mask(delivery.phone),
                fields["provider_message_id"],
                Delivery.objects.filter(pk=delivery.pk).values_list("status", flat=True).first(),
            )
            return False
        log(instance=delivery, action="wagtail_grantee_sms.delivery_accepted_late")
    logger.warning(
        "SMS delivery %s to %s: the provider accepted it after the sending timeout; recorded "
        "as accepted, it will not be sent again.",
        delivery.pk,
        phones.mask(delivery.phone),
    )
    return True


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
        if (
            delivery.broadcast_id
            and old_status in UNFINISHED
            and delivery.status not in UNFINISHED
            and not _chunk_checks_at_end.get()
        ):
            # After the commit: a check inside the transaction would not see a rival's
            # last delivery, nor the rival this one.
            transaction.on_commit(partial(finish_broadcast_if_done, delivery.broadcast_id))
    return bool(updated)


def finish_broadcast_if_done(broadcast_id):
    """Mark a sending broadcast done (with ``finished_at``) once none of its deliveries is
    queued or sending, in one conditional UPDATE; returns True if it did."""
    unfinished = Delivery.objects.filter(broadcast_id=OuterRef("pk"), status__in=UNFINISHED)
    return bool(
        Broadcast.objects.filter(pk=broadcast_id, status=Broadcast.Status.SENDING)
        .exclude(Exists(unfinished))
        .update(status=Broadcast.Status.DONE, finished_at=timezone.now())
    )


@contextmanager
def checks_deferred_to_the_chunk():
    """While a broadcast's chunk records a batch, deliveries leaving ``sending`` do not each
    check whether the broadcast is done: the chunk does, once (a constant number of queries
    per chunk)."""
    token = _chunk_checks_at_end.set(True)
    try:
        yield
    finally:
        _chunk_checks_at_end.reset(token)


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
    """Apply a provider's status report; returns the delivery, or ``None`` if unknown yet.

    Idempotent: a duplicate or a report older than what is known changes nothing, because the
    conditional UPDATE only moves a delivery to a later status. A report about a message
    whose send result is not recorded yet (the provider was faster than the worker) is kept
    as an ``UnmatchedDeliveryReport`` and applied when the result is recorded.
    """
    delivery = _reported_delivery(alias, report)
    if delivery is None or delivery.status in NOT_ANSWERED:
        if delivery is not None:
            # Found by our reference: what the report says about the number holds now.
            mark_contact(delivery.contact, report.reason, report.error_code)
        if report.message_id:
            UnmatchedDeliveryReport.objects.create(
                backend_alias=alias,
                provider_message_id=report.message_id[:128],
                reference=(report.reference or "")[:64],
                status=DeliveryStatus(report.status).value,
                error_code=report.error_code[:64],
                error_message=report.error_message,
                permanent_error=report.permanent,
                reason=report.reason,
            )
        logger.info(
            "Status report from SMS backend %r for message id %r kept until its send result "
            "is recorded.",
            alias,
            report.message_id,
        )
        return None
    _apply_report(
        delivery,
        DeliveryStatus(report.status).value,
        error_code=report.error_code,
        error_message=report.error_message,
        permanent=report.permanent,
        reason=report.reason,
    )
    return delivery


def _reported_delivery(alias, report):
    """The delivery a report is about: by the provider's message id, else by our client
    reference when the provider echoes it (a later part of a long message has its own id)."""
    deliveries = Delivery.objects.select_related("contact").filter(backend_alias=alias)
    if report.message_id:
        found = deliveries.filter(provider_message_id=report.message_id).first()
        if found is not None:
            return found
    if report.reference:
        try:
            return deliveries.filter(uuid=uuid.UUID(report.reference)).first()
        except ValueError:
            return None
    return None


def _apply_report(delivery, new_status, *, error_code, error_message, permanent, reason):
    earlier = [status for status, rank in RANK.items() if rank < RANK[new_status]]
    fields = {"status": new_status}
    if new_status == Status.FAILED:
        fields |= {
            "error_code": error_code,
            "error_message": error_message,
            "permanent_error": permanent,
        }
    if _move(delivery, earlier, **fields):
        mark_contact(delivery.contact, reason, error_code)


def apply_unmatched_reports(delivery):
    """Apply the reports kept for ``delivery`` before its send result was recorded."""
    waiting = UnmatchedDeliveryReport.objects.filter(backend_alias=delivery.backend_alias).filter(
        Q(provider_message_id=delivery.provider_message_id) | Q(reference=str(delivery.uuid))
        if delivery.provider_message_id
        else Q(reference=str(delivery.uuid))
    )
    applied = []
    for report in waiting.order_by("received_at", "pk"):
        _apply_report(
            delivery,
            report.status,
            error_code=report.error_code,
            error_message=report.error_message,
            permanent=report.permanent_error,
            reason=report.reason,
        )
        applied.append(report.pk)
    UnmatchedDeliveryReport.objects.filter(pk__in=applied).delete()
    return len(applied)


def sweep_unmatched_reports():
    """Apply the kept reports whose delivery has its result by now (a report that came in
    while the result was being saved), and delete those older than
    ``UNMATCHED_REPORT_HOURS``."""
    waiting = UnmatchedDeliveryReport.objects.all()
    references = set()
    for reference in waiting.exclude(reference="").values_list("reference", flat=True):
        try:
            references.add(uuid.UUID(reference))
        except ValueError:
            continue
    matched = Delivery.objects.select_related("contact").filter(
        Q(provider_message_id__in=waiting.values("provider_message_id")) | Q(uuid__in=references)
    )
    for delivery in matched.exclude(status__in=NOT_ANSWERED):
        apply_unmatched_reports(delivery)
    cutoff = timezone.now() - timedelta(hours=get_setting("UNMATCHED_REPORT_HOURS"))
    expired, _ = UnmatchedDeliveryReport.objects.filter(received_at__lt=cutoff).delete()
    if expired:
        logger.info("Deleted %s status report(s) that matched no SMS delivery.", expired)
