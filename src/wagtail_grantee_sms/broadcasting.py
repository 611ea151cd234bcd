"""Broadcasts: one text to the verified members of some contact groups, sent in chunks.

``create_broadcast`` makes a draft. ``confirm_broadcast`` freezes its recipients into
``Delivery`` rows (``bulk_create`` by ranges of contact ids: constant memory) and queues the
sending: one background task per chunk of ``BROADCAST_CHUNK_SIZE`` deliveries, never one per
recipient (or one task at ``scheduled_at``, which queues the chunks then).

A chunk's task (``send_chunk``) loops: it reads the broadcast's status (so a pause stops the
work within one batch), waits through the quiet hours, takes slots of the backend's shared
``RATE_LIMIT`` (all of the chunk when there is none), claims that many deliveries with one
``UPDATE … RETURNING`` (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), sends them with one
``send_messages`` call through one open backend connection, and records the answers with a
constant number of statements. The guarantees of ``sending.py`` hold for every delivery: a
contact who may not be sent to any more (``check_allowed``) is skipped; a delivery claimed
and never answered goes to review after ``SENDING_TIMEOUT`` (``sending.recover_deliveries``)
unless the provider deduplicates client references; transient errors are retried with
backoff; permanent ones fail and update the contact; late answers and early status reports
are kept.
"""

import logging
import uuid
import zlib
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import partial
from itertools import islice

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from wagtail.log_actions import log

from . import encoding, ratelimit, sending, suppression, tasks, verification
from .backends import (
    DeliveryStatus,
    OutgoingSMS,
    SMSBackendError,
    get_backend,
    get_backend_settings,
)
from .conf import get_setting
from .models import Broadcast, Contact, Delivery, UnmatchedDeliveryReport
from .permissions import broadcast_policy
from .signals import delivery_status_changed

logger = logging.getLogger(__name__)

Status = Broadcast.Status
DeliveryState = Delivery.Status

# Contacts read per statement while the recipients are frozen.
FREEZE_BATCH = 2000
# Error codes of deliveries that were not sent on purpose (they count as "skipped").
NOT_ALLOWED = "not_allowed"
CANCELLED = "cancelled"
SKIPPED_CODES = (NOT_ALLOWED, CANCELLED)
PLACEHOLDERS = ("{name}", "{first_name}", "{organisation}")


class BroadcastError(Exception):
    """An action on a broadcast that cannot be done; the message is for the editor."""


class BudgetExceeded(BroadcastError):
    pass


class NoRecipients(BroadcastError):
    pass


class NoTestNumber(BroadcastError):
    pass


class TooManyTests(BroadcastError):
    pass


@dataclass(frozen=True)
class Estimate:
    recipients: int
    segments: int
    cost: Decimal | None
    currency: str
    encoding: str


@dataclass(frozen=True)
class Budget:
    """This month on one backend: ``spent`` on messages the provider took, ``committed`` to
    the confirmed broadcasts' messages not sent yet, and what ``remaining`` of ``budget`` is
    left after both (negative when over; ``None`` without a budget)."""

    budget: Decimal | None
    spent: Decimal
    committed: Decimal
    remaining: Decimal | None
    currency: str

    @property
    def left(self):
        """What can still be spent (never below zero); ``None`` without a budget."""
        return None if self.remaining is None else max(self.remaining, Decimal(0))

    @property
    def over(self):
        """How far spending and commitments go beyond the budget (zero when within it)."""
        return Decimal(0) if self.remaining is None else max(-self.remaining, Decimal(0))

    def allows(self, cost):
        """Whether ``cost`` (``None``: unknown) fits in what is left; always without a budget."""
        return self.remaining is None or cost is None or cost <= self.remaining


# Recipients ---------------------------------------------------------------------------------


def _members(groups):
    return Contact.groups.through.objects.filter(contactgroup__in=groups).values("contact_id")


def _in_groups(groups, exclude_groups=()):
    contacts = Contact.objects.filter(pk__in=_members(groups))
    if exclude_groups:
        contacts = contacts.exclude(pk__in=_members(exclude_groups))
    return contacts


def eligible_contacts(groups, exclude_groups=()):
    """The contacts a broadcast to ``groups`` minus ``exclude_groups`` may reach: verified
    (so neither opted out, blocked nor invalid), not on the suppression list, each once."""
    verified = _in_groups(groups, exclude_groups).filter(status=Contact.Status.VERIFIED)
    return verified.exclude(pk__in=_suppressed(verified))


def _suppressed(contacts):
    """Ids of ``contacts`` whose number is on the suppression list. The list knows numbers
    only by a keyed hash: the numbers are hashed here, a few thousand at a time (and not at all
    while the list is empty)."""
    if not suppression.SuppressedNumber.objects.exists():
        return []
    found = []
    rows = contacts.order_by().values_list("pk", "phone").iterator(chunk_size=2000)
    while batch := list(islice(rows, 2000)):
        listed = suppression.suppressed_among({phone for _pk, phone in batch})
        found += [pk for pk, phone in batch if phone in listed]
    return found


def recipient_summary(groups, exclude_groups=()):
    """How many contacts would get it, and the members left out, per reason."""
    members = _in_groups(groups, exclude_groups)
    labels = dict(Contact.Status.choices)
    left_out = (
        members.exclude(status=Contact.Status.VERIFIED)
        .order_by("status")
        .values("status")
        .annotate(count=Count("pk"))
    )
    summary = [(str(labels.get(row["status"], row["status"])), row["count"]) for row in left_out]
    verified = members.filter(status=Contact.Status.VERIFIED)
    suppressed = len(_suppressed(verified))
    if suppressed:
        summary.append((_("On the suppression list"), suppressed))
    return {"included": verified.count() - suppressed, "left_out": summary}


# Texts --------------------------------------------------------------------------------------


def organisation_name():
    return get_setting("ORGANISATION_NAME") or getattr(settings, "WAGTAIL_SITE_NAME", "")


def _texts(broadcast_or_body, bodies):
    if isinstance(broadcast_or_body, Broadcast):
        return broadcast_or_body.body, broadcast_or_body.bodies or {}
    return broadcast_or_body, bodies or {}


def _fill(template, name, organisation):
    # Plain replacement, not str.format: an editor's text may hold any other braces.
    if "{" not in template:
        return template
    name = (name or "").strip()
    return (
        template.replace("{name}", name)
        .replace("{first_name}", name.split(" ")[0])
        .replace("{organisation}", organisation)
    )


def render_body(broadcast_or_body, contact, *, bodies=None):
    """The text ``contact`` gets: the body in their language, else the main one, filled in."""
    body, bodies = _texts(broadcast_or_body, bodies)
    template = bodies.get(contact.language) or body
    return _fill(template, contact.name, organisation_name())


def _price(backend_alias):
    backend_settings = get_backend_settings(backend_alias)
    price = backend_settings["PRICE_PER_SEGMENT"]
    return (Decimal(str(price)) if price is not None else None), backend_settings["CURRENCY"]


def estimate(body, groups, exclude_groups=(), *, bodies=None, backend_alias="default"):
    """Recipients, segments and cost of sending ``body`` to the eligible contacts.

    Segments are counted exactly: once per language when the text is the same for everyone,
    per contact when it holds their name.
    """
    bodies = bodies or {}
    contacts = eligible_contacts(groups, exclude_groups)
    organisation = organisation_name()
    recipients = segments = 0
    encodings = set()
    per_contact = any(
        "{name}" in text or "{first_name}" in text for text in [body, *bodies.values()]
    )
    if per_contact:
        rows = contacts.order_by().values_list("language", "name").iterator(chunk_size=2000)
        seen = {}
        for language, name in rows:
            text = _fill(bodies.get(language) or body, name, organisation)
            if text not in seen:
                if len(seen) > 1000:
                    seen.clear()
                seen[text] = encoding.measure(text)
            recipients += 1
            segments += seen[text].segments
            encodings.add(seen[text].encoding)
    else:
        for row in contacts.order_by().values("language").annotate(count=Count("pk")):
            measured = encoding.measure(
                _fill(bodies.get(row["language"]) or body, "", organisation)
            )
            recipients += row["count"]
            segments += measured.segments * row["count"]
            encodings.add(measured.encoding)
    price, currency = _price(backend_alias)
    return Estimate(
        recipients=recipients,
        segments=segments,
        cost=price * segments if price is not None else None,
        currency=currency,
        encoding=encoding.UCS2 if encoding.UCS2 in encodings else encoding.GSM7,
    )


# Budget -------------------------------------------------------------------------------------


def month_start(now=None):
    """The start of the current month in the site's time zone."""
    local = timezone.localtime(now)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


# Confirmed and not finished: what these broadcasts have not sent yet is committed.
COMMITTING = (Status.SCHEDULED, Status.SENDING, Status.PAUSED)


def budget_status(backend_alias=None):
    """This month's spend on backend ``backend_alias``, what confirmed broadcasts will still
    spend, and what is left of its ``MONTHLY_BUDGET``."""
    alias = backend_alias or "default"
    backend_settings = get_backend_settings(alias)
    spent = Delivery.objects.filter(
        backend_alias=alias, sent_at__gte=month_start(), price__isnull=False
    ).aggregate(total=Sum("price"))["total"] or Decimal(0)
    committed = committed_cost(alias)
    budget = backend_settings["MONTHLY_BUDGET"]
    budget = Decimal(str(budget)) if budget is not None else None
    return Budget(
        budget=budget,
        spent=spent,
        committed=committed,
        remaining=budget - spent - committed if budget is not None else None,
        currency=backend_settings["CURRENCY"],
    )


def committed_cost(backend_alias):
    """The estimated cost of the messages that confirmed, unfinished broadcasts (scheduled,
    sending or paused) have still to send: each broadcast's estimate, in proportion to its
    deliveries still queued or sending (failed, skipped or sent ones no longer count). One
    query."""
    unsent = Count("deliveries", filter=Q(deliveries__status__in=sending.UNFINISHED))
    rows = (
        Broadcast.objects.filter(
            backend_alias=backend_alias,
            status__in=COMMITTING,
            estimated_cost__isnull=False,
            recipient_count__gt=0,
        )
        .annotate(unsent=unsent)
        .values_list("estimated_cost", "recipient_count", "unsent")
    )
    total = sum((cost * left / count for cost, count, left in rows), Decimal(0))
    return total.quantize(Decimal("0.00001"))


def _amount(value):
    """An amount of money as the active language writes it (Indonesian: 4.900,00)."""
    return number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)


def _lock_budget(backend_alias):
    """Hold the budget of ``backend_alias`` until the transaction ends, so that two
    confirmations at once cannot both spend what is left: the second one waits, then counts
    the first one's messages as committed. On PostgreSQL a transaction-level advisory lock;
    SQLite lets one transaction write at a time (with ``transaction_mode`` ``IMMEDIATE`` a
    second confirmation waits; otherwise it fails with "database is locked")."""
    if connection.vendor == "postgresql":
        key = zlib.crc32(f"wagtail_grantee_sms.budget.{backend_alias}".encode())
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


# Actions ------------------------------------------------------------------------------------


def create_broadcast(body, groups, *, exclude_groups=(), user=None, scheduled_at=None, bodies=None):
    """A draft broadcast of ``body`` to ``groups`` minus ``exclude_groups``."""
    broadcast = Broadcast(
        body=body, bodies=bodies or {}, created_by=user, scheduled_at=scheduled_at
    )
    broadcast.full_clean()
    with transaction.atomic():
        broadcast.save()
        broadcast.groups.set(groups)
        broadcast.exclude_groups.set(exclude_groups)
        log(instance=broadcast, action="wagtail_grantee_sms.broadcast.create", user=user)
    return broadcast


def confirm_broadcast(broadcast, user):
    """Freeze the recipients and queue the sending (or schedule it).

    Returns True; False when the broadcast was confirmed already (a second click or a second
    tab: nothing more happens). Raises ``NoRecipients``, ``BudgetExceeded`` or
    ``PermissionDenied``.
    """
    _check_may_send(user)
    with transaction.atomic():
        # The row lock (PostgreSQL) and the conditional UPDATE (SQLite too) let only one of
        # two simultaneous requests through.
        locked = Broadcast.objects.select_for_update().filter(pk=broadcast.pk).first()
        if locked is None or locked.status != Status.DRAFT:
            broadcast.refresh_from_db()
            return False
        groups = list(locked.groups.all())
        exclude_groups = list(locked.exclude_groups.all())
        expected = estimate(
            locked.body,
            groups,
            exclude_groups,
            bodies=locked.bodies,
            backend_alias=locked.backend_alias,
        )
        if not expected.recipients:
            raise NoRecipients(_("None of the chosen groups has a verified contact."))
        if get_backend_settings(locked.backend_alias)["MONTHLY_BUDGET"] is not None:
            _lock_budget(locked.backend_alias)
        budget = budget_status(locked.backend_alias)
        if not budget.allows(expected.cost) and not (
            user is not None and broadcast_policy.user_has_permission(user, "exceed_budget")
        ):
            raise BudgetExceeded(
                _(
                    "This broadcast would cost about %(cost)s %(currency)s, but only "
                    "%(remaining)s %(currency)s of this month's budget is left "
                    "(%(spent)s %(currency)s spent, %(committed)s %(currency)s set aside for "
                    "broadcasts still going out)."
                )
                % {
                    "cost": _amount(expected.cost),
                    "remaining": _amount(budget.left),
                    "spent": _amount(budget.spent),
                    "committed": _amount(budget.committed),
                    "currency": budget.currency,
                }
            )
        now = timezone.now()
        scheduled = locked.scheduled_at is not None and locked.scheduled_at > now
        status = Status.SCHEDULED if scheduled else Status.SENDING
        if not Broadcast.objects.filter(pk=locked.pk, status=Status.DRAFT).update(
            status=status, confirmed_by=user, confirmed_at=now
        ):
            broadcast.refresh_from_db()
            return False
        recipients, segments = freeze_recipients(locked, groups, exclude_groups)
        price, currency = _price(locked.backend_alias)
        Broadcast.objects.filter(pk=locked.pk).update(
            recipient_count=recipients,
            segment_count=segments,
            estimated_cost=price * segments if price is not None else None,
            currency=currency,
        )
        log(
            instance=locked,
            action="wagtail_grantee_sms.broadcast.confirm",
            user=user,
            data={"recipients": recipients, "segments": segments},
        )
        if scheduled:
            transaction.on_commit(
                partial(tasks.enqueue_start_broadcast, locked.pk, at=locked.scheduled_at)
            )
        else:
            transaction.on_commit(partial(queue_chunks, locked.pk))
    broadcast.refresh_from_db()
    return True


def freeze_recipients(broadcast, groups, exclude_groups):
    """Create one queued delivery per eligible contact with ``INSERT … SELECT`` statements,
    one per range of ``FREEZE_BATCH`` contact ids: the texts are filled in by the database, so
    memory stays flat however many recipients there are. Returns (deliveries, segments)."""
    organisation = organisation_name()
    # {organisation} is the same for everyone: put in here; the names by the database.
    default = broadcast.body.replace("{organisation}", organisation)
    by_language = {
        language: text.replace("{organisation}", organisation)
        for language, text in (broadcast.bodies or {}).items()
        if text
    }
    eligible = eligible_contacts(groups, exclude_groups).order_by()
    bounds = eligible.aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return 0, 0
    table = connection.ops.quote_name(Delivery._meta.db_table)
    name = "TRIM(c.name)"
    if connection.vendor == "postgresql":
        first_name = f"split_part({name}, ' ', 1)"
        reference = "gen_random_uuid()"
    else:
        first_name = (
            f"CASE WHEN instr({name}, ' ') > 0 THEN substr({name}, 1, instr({name}, ' ') - 1) "
            f"ELSE {name} END"
        )
        reference = "lower(hex(randomblob(16)))"
    template = "%s"
    if by_language:
        template = "CASE c.language " + "WHEN %s THEN %s " * len(by_language) + "ELSE %s END"
    template_params = [value for item in by_language.items() for value in item] + [default]
    body = f"REPLACE(REPLACE({template}, '{{name}}', {name}), '{{first_name}}', {first_name})"
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    count = 0
    for low in range(bounds["low"], bounds["high"] + 1, FREEZE_BATCH):
        contacts, contact_params = (
            eligible.filter(pk__gte=low, pk__lt=low + FREEZE_BATCH)
            .values("id", "phone", "language", "name")
            .query.sql_with_params()
        )
        sql = (
            f"INSERT INTO {table} (uuid, broadcast_id, contact_id, phone, body, purpose, "  # noqa: S608
            "backend_alias, status, provider_message_id, error_code, error_message, "
            "permanent_error, attempts, currency, created_at, updated_at) "
            f"SELECT {reference}, %s, c.id, c.phone, {body}, %s, %s, %s, '', '', '', %s, 0, '', "
            f"%s, %s FROM ({contacts}) c"
        )
        params = [
            broadcast.pk,
            *template_params,
            Delivery.Purpose.BROADCAST,
            broadcast.backend_alias,
            DeliveryState.QUEUED,
            False,
            now,
            now,
            *contact_params,
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            count += cursor.rowcount
    segments = estimate(
        broadcast.body,
        groups,
        exclude_groups,
        bodies=broadcast.bodies,
        backend_alias=broadcast.backend_alias,
    ).segments
    return count, segments


def start_broadcast(broadcast_id):
    """At the scheduled time: start sending (unless it was cancelled or paused meanwhile)."""
    if Broadcast.objects.filter(pk=broadcast_id, status=Status.SCHEDULED).update(
        status=Status.SENDING
    ):
        queue_chunks(broadcast_id)


def queue_chunks(broadcast_id, *, only=None):
    """Queue one task per ``BROADCAST_CHUNK_SIZE`` queued deliveries of the broadcast (by
    ranges of ids, read as a stream). ``only``: a queryset narrowing the deliveries."""
    size = get_setting("BROADCAST_CHUNK_SIZE")
    deliveries = only if only is not None else Delivery.objects.all()
    pks = (
        deliveries.filter(broadcast_id=broadcast_id, status=DeliveryState.QUEUED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    # The boundaries are collected first: a broker writing on the same connection must not
    # interrupt the stream of ids (SQLite).
    ranges = []
    taken = 0
    for pk in pks.iterator(chunk_size=5000):
        if taken == 0:
            ranges.append([pk, pk])
        ranges[-1][1] = pk
        taken = (taken + 1) % size
    for first, last in ranges:
        tasks.enqueue_broadcast_chunk(broadcast_id, first, last)
    if not ranges:
        # Nothing left to send (resumed after its last message went out): done now.
        sending.finish_broadcast_if_done(broadcast_id)


def _check_may_send(user):
    """Sending, pausing, resuming, cancelling and retrying take *Can send broadcasts*; ``None``
    is the code's own call (a worker, a command), which is not checked."""
    if user is not None and not broadcast_policy.user_has_permission(user, "send"):
        raise PermissionDenied


def pause_broadcast(broadcast, user=None):
    """Stop claiming: workers finish the batch in hand and leave the rest queued."""
    return _change(broadcast, [Status.SENDING, Status.SCHEDULED], Status.PAUSED, "pause", user)


def resume_broadcast(broadcast, user=None):
    """Send the rest of a paused broadcast (or wait again for its scheduled time)."""
    with transaction.atomic():
        target = Status.SENDING
        if broadcast.scheduled_at and broadcast.scheduled_at > timezone.now():
            target = Status.SCHEDULED
        if not _change(broadcast, [Status.PAUSED], target, "resume", user):
            return False
        if target == Status.SCHEDULED:
            transaction.on_commit(
                partial(tasks.enqueue_start_broadcast, broadcast.pk, at=broadcast.scheduled_at)
            )
        else:
            transaction.on_commit(partial(queue_chunks, broadcast.pk))
    return True


def cancel_broadcast(broadcast, user=None):
    """Stop the rest for good; what went out (or is being handed over) is left as it is."""
    with transaction.atomic():
        if not _change(
            broadcast,
            [Status.SCHEDULED, Status.SENDING, Status.PAUSED],
            Status.CANCELLED,
            "cancel",
            user,
            finished_at=timezone.now(),
        ):
            return False
        broadcast.deliveries.filter(status=DeliveryState.QUEUED).update(
            status=DeliveryState.FAILED,
            error_code=CANCELLED,
            error_message="The broadcast was cancelled before this message was sent.",
            permanent_error=True,
            updated_at=timezone.now(),
        )
    return True


def retry_failed(broadcast, user=None):
    """Queue again the failed deliveries that certainly did not go out (the provider never
    accepted them); not those skipped on purpose, nor those in review. Returns how many."""
    _check_may_send(user)
    with transaction.atomic():
        locked = Broadcast.objects.select_for_update().filter(pk=broadcast.pk).first()
        if locked is None or locked.status not in (Status.SENDING, Status.PAUSED, Status.DONE):
            return 0
        count = (
            locked.deliveries.filter(status=DeliveryState.FAILED, sent_at__isnull=True)
            .exclude(error_code__in=SKIPPED_CODES)
            .update(
                status=DeliveryState.QUEUED,
                attempts=0,
                next_attempt_at=None,
                error_code="",
                error_message="",
                permanent_error=False,
                updated_at=timezone.now(),
            )
        )
        if not count:
            return 0
        if locked.status == Status.DONE:
            Broadcast.objects.filter(pk=locked.pk).update(status=Status.SENDING, finished_at=None)
        log(
            instance=locked,
            action="wagtail_grantee_sms.broadcast.retry",
            user=user,
            data={"deliveries": count},
        )
        if locked.status != Status.PAUSED:
            transaction.on_commit(partial(queue_chunks, locked.pk))
    broadcast.refresh_from_db()
    return count


def _change(broadcast, from_statuses, to_status, verb, user, **fields):
    _check_may_send(user)
    with transaction.atomic():
        if not Broadcast.objects.filter(pk=broadcast.pk, status__in=from_statuses).update(
            status=to_status, **fields
        ):
            broadcast.refresh_from_db()
            return False
        broadcast.refresh_from_db()
        log(instance=broadcast, action=f"wagtail_grantee_sms.broadcast.{verb}", user=user)
    return True


def send_test(broadcast_or_body, user, *, bodies=None):
    """Send the text, filled in, to ``user``'s own verified number (``Contact.user``)."""
    contact = Contact.objects.filter(user=user).first() if user is not None else None
    if contact is None or contact.status != Contact.Status.VERIFIED:
        raise NoTestNumber(
            _(
                "You have no verified number to send a test to. Ask an administrator to link "
                "a verified contact with your number to your user account."
            )
        )
    body = render_body(broadcast_or_body, contact, bodies=bodies)
    most = get_setting("BROADCAST_TESTS_PER_HOUR")
    with transaction.atomic():
        # The contact locked: two tests sent at once are counted one after the other.
        Contact.objects.select_for_update().filter(pk=contact.pk).first()
        sent = Delivery.objects.filter(
            contact=contact,
            purpose=Delivery.Purpose.BROADCAST,
            broadcast__isnull=True,
            created_at__gte=timezone.now() - timedelta(hours=1),
        ).count()
        if sent >= most:
            raise TooManyTests(
                ngettext(
                    "You have sent %(count)d test within the last hour, the most allowed. "
                    "Try again later.",
                    "You have sent %(count)d tests within the last hour, the most allowed. "
                    "Try again later.",
                    sent,
                )
                % {"count": sent}
            )
        return sending.queue_message(contact, body, purpose=Delivery.Purpose.BROADCAST)


# Watching -----------------------------------------------------------------------------------


def error_texts():
    """The suite's own reasons for not sending a delivery, by ``error_code``, in the active
    language (the stored ``error_message`` is English, for the logs)."""
    return {
        CANCELLED: _("Not sent: the broadcast was cancelled before this message was sent."),
        NOT_ALLOWED: _(
            "Not sent: this contact may not receive broadcasts (opted out, blocked, not "
            "verified or number erased)."
        ),
    }


def error_text(delivery, texts=None):
    """What an editor reads about why ``delivery`` failed: one of ``error_texts()``, or a
    provider's error as the provider wrote it."""
    return (texts or error_texts()).get(delivery.error_code, delivery.error_message)


def progress(broadcast):
    """Counts of the broadcast's deliveries by state (one query), with the share finished."""
    deliveries = Delivery.objects.filter(broadcast_id=broadcast.pk)
    skipped = Q(status=DeliveryState.FAILED, error_code__in=SKIPPED_CODES)
    counts = deliveries.aggregate(
        total=Count("pk"),
        queued=Count("pk", filter=Q(status=DeliveryState.QUEUED)),
        sending=Count("pk", filter=Q(status=DeliveryState.SENDING)),
        accepted=Count("pk", filter=Q(status__in=[DeliveryState.ACCEPTED, DeliveryState.SENT])),
        delivered=Count("pk", filter=Q(status=DeliveryState.DELIVERED)),
        failed=Count("pk", filter=Q(status=DeliveryState.FAILED) & ~skipped),
        review=Count("pk", filter=Q(status=DeliveryState.REVIEW)),
        skipped=Count("pk", filter=skipped),
    )
    finished = counts["total"] - counts["queued"] - counts["sending"]
    counts["percent_done"] = round(100 * finished / counts["total"]) if counts["total"] else 0
    return counts


# Sending ------------------------------------------------------------------------------------


def quiet_until(broadcast, now=None):
    """When the broadcast's quiet hours end, if ``now`` (site time) is inside them."""
    start, end = broadcast.quiet_hours_start, broadcast.quiet_hours_end
    if start is None or end is None or start == end:
        return None
    local = timezone.localtime(now)
    moment = local.time()
    inside = start <= moment < end if start < end else (moment >= start or moment < end)
    if not inside:
        return None
    until = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if until <= local:
        until += timedelta(days=1)
    return until


def send_chunk(broadcast_id, first_id, last_id):
    """Send the queued deliveries of the broadcast with ids from ``first_id`` to ``last_id``.

    Safe to run twice or in two workers at once: every delivery is claimed by one statement.
    """
    broadcast = Broadcast.objects.filter(pk=broadcast_id).first()
    if broadcast is None:
        return
    backend_settings = get_backend_settings(broadcast.backend_alias)
    rate = backend_settings["RATE_LIMIT"]
    size = get_setting("BROADCAST_CHUNK_SIZE")
    with get_backend(broadcast.backend_alias) as backend, sending.checks_deferred_to_the_chunk():
        while True:
            status = Broadcast.objects.filter(pk=broadcast_id).values_list("status", flat=True)
            if status.first() != Status.SENDING:
                return  # paused or cancelled: resume queues the chunks again
            until = quiet_until(broadcast)
            if until is not None:
                tasks.enqueue_broadcast_chunk(broadcast_id, first_id, last_id, at=until)
                return
            wanted = size
            if rate:
                # Slots taken and not used are lost for everyone: take no more than are due.
                due = _due_in_range(broadcast_id, first_id, last_id, backend.idempotent_references)
                if not due:
                    break
                wanted = ratelimit.acquire(backend.alias, rate, min(due, size))

            deliveries = claim_chunk(
                broadcast_id,
                first_id,
                last_id,
                wanted,
                resend_interrupted=backend.idempotent_references,
            )
            if not deliveries or not send_batch(backend, backend_settings, deliveries):
                break
            if not rate:
                break  # one claim took every due delivery of the chunk
    sending.finish_broadcast_if_done(broadcast_id)


def _due_in_range(broadcast_id, first_id, last_id, resend_interrupted):
    due = Q(status=DeliveryState.QUEUED) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=timezone.now())
    )
    if resend_interrupted:
        due |= sending._interrupted_q()
    return Delivery.objects.filter(
        due, broadcast_id=broadcast_id, pk__gte=first_id, pk__lte=last_id
    ).count()


def _claimable_sql(resend_interrupted):
    condition = "(status = 'queued' AND (next_attempt_at IS NULL OR next_attempt_at <= %s))"
    if resend_interrupted:
        condition = f"({condition} OR (status = 'sending' AND claimed_at < %s))"
    return condition


def claim_chunk(broadcast_id, first_id, last_id, limit, *, resend_interrupted=False):
    """Claim up to ``limit`` due deliveries of the range in one statement; return them as
    ``Delivery`` objects (with their contact), status ``sending``, attempts counted."""
    now = timezone.now()
    table = Delivery._meta.db_table
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(now)
    condition = _claimable_sql(resend_interrupted)
    condition_params = [stamp]
    if resend_interrupted:
        cutoff = now - timedelta(seconds=get_setting("SENDING_TIMEOUT"))
        condition_params.append(ops.adapt_datetimefield_value(cutoff))
    lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    # The rows are picked once, in a materialised CTE: PostgreSQL may evaluate a
    # "WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)" more than once and take more.
    # The table name comes from the model; every value is a parameter.
    sql = (
        f"WITH picked AS MATERIALIZED (SELECT id FROM {table} WHERE broadcast_id = %s "  # noqa: S608
        f"AND id >= %s AND id <= %s AND {condition} ORDER BY id LIMIT %s{lock}) "
        f"UPDATE {table} SET status = 'sending', attempts = attempts + 1, claimed_at = %s, "
        f"next_attempt_at = NULL, updated_at = %s "
        f"WHERE id IN (SELECT id FROM picked) AND {condition} "
        f"RETURNING id, contact_id, phone, body, uuid, purpose, attempts"
    )
    params = [broadcast_id, first_id, last_id, *condition_params, limit, stamp, stamp]
    params += condition_params
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return []
    contacts = Contact.objects.order_by().in_bulk([row[1] for row in rows if row[1] is not None])
    deliveries = []
    for pk, contact_id, phone, body, reference, purpose, attempts in sorted(rows):
        delivery = Delivery(
            pk=pk,
            broadcast_id=broadcast_id,
            contact_id=contact_id,
            phone=phone,
            body=body,
            uuid=reference if isinstance(reference, uuid.UUID) else uuid.UUID(reference),
            purpose=purpose,
            attempts=attempts,
            status=DeliveryState.SENDING,
            claimed_at=now,
        )
        delivery._state.adding = False
        if contact_id is not None:
            delivery.contact = contacts.get(contact_id)
        deliveries.append(delivery)
    return deliveries


def send_batch(backend, backend_settings, deliveries):
    """Send claimed deliveries with one ``send_messages`` call and record the answers.

    Returns False when the backend could not reach its provider (the chunk should stop).
    """
    for delivery in deliveries:
        delivery.backend_alias = backend.alias
    to_send, refused = [], []
    numbers = {d.phone for d in deliveries} | {d.contact.phone for d in deliveries if d.contact}
    suppressed = suppression.suppressed_among(numbers - {""})  # one query for the batch
    for delivery in deliveries:
        try:
            if not delivery.phone:
                raise sending.NotAllowedToSend("The number was erased.")
            if delivery.phone in suppressed:
                raise sending.NotAllowedToSend("The number is on the suppression list.")
            if delivery.contact:
                sending.check_allowed(
                    delivery.contact,
                    delivery.purpose,
                    suppressed=delivery.contact.phone in suppressed,
                )
            delivery.text = verification.body_to_send(delivery)
        except (sending.NotAllowedToSend, verification.NoCodeToSend) as refusal:
            refused.append((delivery, str(refusal)))
            continue
        to_send.append(delivery)
    if refused:
        # Opted out, blocked or no longer verified since the broadcast was confirmed.
        Delivery.objects.filter(
            pk__in=[delivery.pk for delivery, _reason in refused], status=DeliveryState.SENDING
        ).update(
            status=DeliveryState.FAILED,
            error_code=NOT_ALLOWED,
            error_message="The contact may not receive broadcasts any more.",
            permanent_error=True,
            updated_at=timezone.now(),
        )
    if not to_send:
        return True
    messages = [
        OutgoingSMS(to=delivery.phone, body=delivery.text, reference=str(delivery.uuid))
        for delivery in to_send
    ]
    reachable = True
    try:
        results = backend.send_messages(messages)
    except SMSBackendError as error:
        reachable = False
        results = list(error.results)
        unanswered = to_send[len(results) :]
        to_send = to_send[: len(results)]
        for delivery in unanswered:
            if error.maybe_sent and not backend.idempotent_references:
                sending._set_review(delivery, str(error))
            else:
                sending._retry_or_fail(
                    delivery, backend_settings, "backend_error", str(error), False, ""
                )
    except (LookupError, TypeError, ValueError, AttributeError):
        logger.exception("SMS backend %r failed on a broadcast batch.", backend.alias)
        for delivery in to_send:
            sending._set_review(delivery, "The SMS backend could not read the provider's answer.")
        return False
    accepted = []
    for delivery, result in zip(to_send, results, strict=False):
        if result.accepted:
            accepted.append((delivery, result))
        else:
            sending._retry_or_fail(
                delivery,
                backend_settings,
                result.error_code,
                result.error_message,
                result.permanent,
                backend.failure_reason(result.error_code),
            )
    if accepted:
        record_accepted(accepted, backend_settings)
    return reachable


def record_accepted(accepted, backend_settings):
    """Record the provider's acceptance of many deliveries with a constant number of
    statements; a delivery that left ``sending`` meanwhile (set aside for review after
    ``SENDING_TIMEOUT``) gets the one-by-one treatment of ``sending.py``."""
    now = timezone.now()
    per_segment = backend_settings["PRICE_PER_SEGMENT"]
    per_segment = Decimal(str(per_segment)) if per_segment is not None else None
    ops = connection.ops
    rows = []
    for delivery, result in accepted:
        price, currency = result.price, result.currency
        if price is None and per_segment is not None and result.segments:
            price, currency = per_segment * result.segments, backend_settings["CURRENCY"]
        status = max(
            DeliveryStatus(result.status).value,
            DeliveryState.ACCEPTED,
            key=sending.RANK.__getitem__,
        )
        delivery.fields = {
            "status": status,
            "provider_message_id": result.message_id,
            "segments": result.segments,
            "price": price,
            "currency": currency or "",
            "sent_at": now,
            "error_code": "",
            "error_message": "",
        }
        rows.append(
            (
                status,
                result.message_id,
                result.segments,
                ops.adapt_decimalfield_value(price, 12, 5) if price is not None else None,
                currency or "",
                ops.adapt_datetimefield_value(now),
                ops.adapt_datetimefield_value(now),
                delivery.pk,
            )
        )
    table = Delivery._meta.db_table
    # One transaction: one commit (one disk flush) for the batch, not one per row.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET status = %s, provider_message_id = %s, segments = %s, "  # noqa: S608
            f"price = %s, currency = %s, sent_at = %s, updated_at = %s, error_code = '', "
            f"error_message = '' WHERE id = %s AND status = 'sending'",
            rows,
        )
        recorded = cursor.rowcount
    late = []
    if recorded != len(rows):
        mine = set(
            Delivery.objects.filter(
                pk__in=[delivery.pk for delivery, _result in accepted], sent_at=now
            ).values_list("pk", flat=True)
        )
        late = [delivery for delivery, _result in accepted if delivery.pk not in mine]
    late_pks = {delivery.pk for delivery in late}
    for delivery in late:
        sending._record_late_acceptance(delivery, delivery.fields)
    if delivery_status_changed.has_listeners():
        for delivery, _result in accepted:
            if delivery.pk not in late_pks:
                for name, value in delivery.fields.items():
                    setattr(delivery, name, value)
                sending._changed(delivery, DeliveryState.SENDING)
    _apply_waiting_reports([delivery for delivery, _result in accepted], backend_settings, now)


def _apply_waiting_reports(deliveries, backend_settings, now):
    """Status reports that came before the answers: one query finds them (usually none)."""
    if not deliveries:
        return
    alias = deliveries[0].backend_alias
    waiting = UnmatchedDeliveryReport.objects.filter(backend_alias=alias).filter(
        Q(
            provider_message_id__in=[
                d.fields["provider_message_id"]
                for d in deliveries
                if d.fields["provider_message_id"]
            ]
        )
        | Q(reference__in=[str(d.uuid) for d in deliveries])
    )
    found = list(waiting.values_list("provider_message_id", "reference"))
    if not found:
        return
    ids = {message_id for message_id, _reference in found}
    references = {reference for _message_id, reference in found}
    for delivery in deliveries:
        if delivery.fields["provider_message_id"] in ids or str(delivery.uuid) in references:
            fresh = Delivery.objects.select_related("contact").get(pk=delivery.pk)
            sending.apply_unmatched_reports(fresh)


def recover_broadcasts():
    """Run with ``recover_deliveries``: queue again the chunks whose task was lost (their
    deliveries queued and due for longer than ``SENDING_TIMEOUT``), and mark done the
    broadcasts whose last deliveries went to review (a safety net: the last delivery to
    leave ``sending`` marks its broadcast done itself)."""
    moment = timezone.now() - timedelta(seconds=get_setting("SENDING_TIMEOUT"))
    for broadcast_id in Broadcast.objects.filter(status=Status.SENDING).values_list(
        "pk", flat=True
    ):
        stranded = sending.due_since(moment)
        if stranded.filter(broadcast_id=broadcast_id).exists():
            queue_chunks(broadcast_id, only=stranded)
        sending.finish_broadcast_if_done(broadcast_id)
