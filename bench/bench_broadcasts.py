"""How fast broadcasts freeze, queue and send, against the goals of issue 11.

Run from the repository root: ``.venv/bin/python bench/bench_broadcasts.py`` (SQLite, in a
temporary file so that two worker threads share it; django-q2's ORM broker and the database
token bucket), or with ``DATABASE_URL=postgres://...`` and ``REDIS_URL=redis://...`` for
PostgreSQL, the Redis broker and the Redis moving window. Sends go to the locmem backend, so
the numbers are the pipeline's own cost, not a provider's. ``BENCH_RECIPIENTS`` (100,000)
sets the size of the freeze and end-to-end runs, ``BENCH_MESSAGES`` (2,000) the pipeline run.

Prints:
- freezing the recipients: time, and the peak of Python memory at a tenth and at the full
  size (flat: about the same);
- the pipeline's cost per message with the rate limit off (claim, send, record), against
  calling the backend's ``send_messages`` directly on the same messages, and the queries per
  chunk;
- enqueueing: confirming (freeze + one task per chunk) per recipient;
- the send rate measured with ``RATE_LIMIT`` 50/s and two workers;
- end to end with two workers and no rate limit: from confirm to the last delivery recorded.
"""

import logging
import os
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
SQLITE_FILE = None
if not os.environ.get("DATABASE_URL"):
    SQLITE_FILE = Path(tempfile.mkdtemp()) / "bench_broadcasts.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{SQLITE_FILE}"

from django.conf import settings  # noqa: E402

if SQLITE_FILE:
    # Two worker threads write: take the write lock at the start of each transaction. WAL
    # with synchronous=NORMAL, as a site on SQLite should run: a commit is not a disk flush.
    settings.DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django_q.conf import Conf  # noqa: E402

RECIPIENTS = int(os.environ.get("BENCH_RECIPIENTS", 100_000))
MESSAGES = int(os.environ.get("BENCH_MESSAGES", 2_000))
CHUNK = 200
RATE = 50
LOCMEM = "wagtail_grantee_sms.backends.locmem.SMSBackend"


def sms_settings(**backend):
    return {
        "BACKENDS": {"default": {"BACKEND": LOCMEM} | backend},
        "BROADCAST_CHUNK_SIZE": CHUNK,
    }


def main():
    logging.getLogger("django-q").setLevel(logging.WARNING)
    Conf.SYNC = False  # the test settings run tasks at once; a bench queues them
    if SQLITE_FILE:
        call_command("migrate", verbosity=0)
        run()
        return
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run():
    from wagtail_grantee_sms import ratelimit

    broker = "Redis" if os.environ.get("REDIS_URL") else "ORM"
    limit = "Redis moving window" if ratelimit.redis_location() else "database token bucket"
    database = f"{connection.vendor} (file, WAL)" if SQLITE_FILE else connection.vendor
    print(
        f"Broadcasts on {database}; django-q2 {broker} broker; rate limit: {limit}; "
        f"chunks of {CHUNK}"
    )
    with override_settings(WAGTAIL_GRANTEE_SMS=sms_settings()):
        group = make_group(RECIPIENTS)
        bench_freeze(group)
        bench_pipeline()
        bench_enqueue(group)
        bench_rate()
        bench_end_to_end(group)


def make_group(count, name="Bench"):
    from wagtail_grantee_sms.models import Contact, ContactGroup

    group = ContactGroup.objects.create(name=name)
    offset = Contact.objects.count()
    batch = 10_000
    for start in range(0, count, batch):
        contacts = Contact.objects.bulk_create(
            Contact(
                name=f"Pendukung {n}",
                phone=f"+62813{offset + n:08d}",
                status=Contact.Status.VERIFIED,
                language="en" if n % 5 == 0 else "id",
            )
            for n in range(start, min(start + batch, count))
        )
        Contact.groups.through.objects.bulk_create(
            Contact.groups.through(contact_id=c.pk, contactgroup_id=group.pk) for c in contacts
        )
    return group


def draft(group, body="Halo {first_name}, rapat desa Sabtu jam 9."):
    from wagtail_grantee_sms import broadcasting

    return broadcasting.create_broadcast(body, [group], bodies={"en": "Hi {first_name}!"})


def clear_deliveries():
    from wagtail_grantee_sms.models import Delivery

    Delivery.objects.all().delete()


def bench_freeze(group):
    from wagtail_grantee_sms import broadcasting

    broadcast = draft(group)
    started = time.perf_counter()
    count, _segments = broadcasting.freeze_recipients(broadcast, [group], [])
    seconds = time.perf_counter() - started
    print(
        f"freeze {count:,} recipients: {seconds:.2f} s "
        f"({seconds / count * 1e6:.1f} µs each; goal: under 10 s)"
    )
    clear_deliveries()
    peaks = []
    tenth = make_group(RECIPIENTS // 10, name="Bench tenth")
    for size_group in (tenth, group):
        broadcast = draft(size_group)
        tracemalloc.start()
        count, _segments = broadcasting.freeze_recipients(broadcast, [size_group], [])
        peaks.append((count, tracemalloc.get_traced_memory()[1]))
        tracemalloc.stop()
        clear_deliveries()
    (small, small_peak), (large, large_peak) = peaks
    print(
        f"freeze peak Python memory: {small_peak / 2**20:.1f} MiB for {small:,}, "
        f"{large_peak / 2**20:.1f} MiB for {large:,} (ratio {large_peak / small_peak:.2f}; "
        "flat = about 1)"
    )


def bench_pipeline():
    import wagtail_grantee_sms
    from wagtail_grantee_sms import broadcasting
    from wagtail_grantee_sms.backends import OutgoingSMS, get_backend, locmem

    group = make_group(MESSAGES, name="Bench pipeline")
    broadcast = draft(group, body="Rapat desa besok jam 3.")
    broadcasting.freeze_recipients(broadcast, [group], [])
    broadcast.__class__.objects.filter(pk=broadcast.pk).update(status="sending")
    pks = list(broadcast.deliveries.order_by("pk").values_list("pk", flat=True))
    chunks = [pks[i : i + CHUNK] for i in range(0, len(pks), CHUNK)]
    messages = [
        OutgoingSMS(to=phone, body=body, reference=str(reference))
        for phone, body, reference in broadcast.deliveries.order_by("pk").values_list(
            "phone", "body", "uuid"
        )
    ]
    locmem.reset()
    started = time.perf_counter()
    with get_backend() as backend:
        for i in range(0, len(messages), CHUNK):
            backend.send_messages(messages[i : i + CHUNK])
    raw = (time.perf_counter() - started) / len(messages)
    locmem.reset()
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        for chunk in chunks:
            broadcasting.send_chunk(broadcast.pk, chunk[0], chunk[-1])
    pipeline = (time.perf_counter() - started) / len(messages)
    assert len(wagtail_grantee_sms.outbox) == len(messages)
    per_chunk = len(queries.captured_queries) / len(chunks)
    print(
        f"pipeline, {len(messages):,} messages, rate limit off: {pipeline * 1e3:.3f} ms/message "
        f"(goal: under 0.3), send_messages alone {raw * 1e3:.4f} ms/message, "
        f"ratio {pipeline / raw:,.0f}x; {per_chunk:.1f} queries per chunk of {CHUNK}, "
        f"{per_chunk / CHUNK:.3f} per message"
    )
    clear_deliveries()


def bench_enqueue(group):
    from django_q.brokers import get_broker

    from wagtail_grantee_sms import broadcasting

    broker = get_broker()
    broker.purge_queue()
    broadcast = draft(group)
    started = time.perf_counter()
    broadcasting.confirm_broadcast(broadcast, None)  # outside a transaction: queues at once
    seconds = time.perf_counter() - started
    tasks = broker.queue_size()
    queue_started = time.perf_counter()
    broadcasting.queue_chunks(broadcast.pk)
    queue_seconds = time.perf_counter() - queue_started
    print(
        f"confirm (freeze + queue {tasks:,} chunk tasks) for {RECIPIENTS:,}: {seconds:.2f} s, "
        f"{seconds / RECIPIENTS * 1e3:.3f} ms per recipient (goal: under 0.5); queueing the "
        f"chunks alone {queue_seconds / RECIPIENTS * 1e3:.4f} ms per recipient"
    )
    broker.purge_queue()
    broadcast.__class__.objects.filter(pk=broadcast.pk).update(status="cancelled")
    clear_deliveries()


def worker(stop, errors):
    """A worker as django-q2 runs one: take a task from the broker, run it, acknowledge."""
    from django.utils.module_loading import import_string
    from django_q.brokers import get_broker
    from django_q.signing import SignedPackage

    broker = get_broker()
    try:
        while not stop.is_set():
            tasks = broker.dequeue()
            if not tasks:
                time.sleep(0.05)
                continue
            for ack_id, packed in tasks:
                task = SignedPackage.loads(packed)
                import_string(task["func"])(*task["args"], **task["kwargs"])
                broker.acknowledge(ack_id)
    except Exception as error:  # reported by the main thread
        errors.append(error)
        raise
    finally:
        connections.close_all()


def with_workers(count, until, timeout):
    stop, errors = threading.Event(), []
    threads = [threading.Thread(target=worker, args=(stop, errors)) for _ in range(count)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    try:
        while not until() and time.monotonic() < deadline and not errors:
            time.sleep(0.1)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]


def bench_rate():
    from django.db.models import Max, Min
    from django_q.brokers import get_broker

    from wagtail_grantee_sms import broadcasting
    from wagtail_grantee_sms.models import Delivery

    count = RATE * 12
    group = make_group(count, name="Bench rate")
    get_broker().purge_queue()
    with override_settings(WAGTAIL_GRANTEE_SMS=sms_settings(RATE_LIMIT=RATE)):
        broadcast = draft(group)
        broadcasting.confirm_broadcast(broadcast, None)
        recorded = Delivery.objects.filter(broadcast=broadcast, status="accepted")
        started = time.perf_counter()
        with_workers(2, lambda: recorded.count() >= count, timeout=count / RATE * 3)
        seconds = time.perf_counter() - started
    done = recorded.count()
    span = recorded.aggregate(first=Min("sent_at"), last=Max("sent_at"))
    sending_seconds = (span["last"] - span["first"]).total_seconds()
    # The limit allows a burst of one second's worth at the start: count the rest.
    rate = (done - RATE) / sending_seconds
    print(
        f"RATE_LIMIT {RATE}/s, two workers: {done:,} messages in {seconds:.1f} s; "
        f"{rate:.1f}/s from the first to the last recorded after the first second's burst "
        f"({(rate / RATE - 1) * 100:+.1f}%; goal: within 5%)"
    )
    clear_deliveries()


def bench_end_to_end(group):
    from django_q.brokers import get_broker

    from wagtail_grantee_sms import broadcasting
    from wagtail_grantee_sms.models import Delivery

    get_broker().purge_queue()
    broadcast = draft(group)
    started = time.perf_counter()
    broadcasting.confirm_broadcast(broadcast, None)
    confirmed = time.perf_counter() - started
    unfinished = Delivery.objects.filter(broadcast=broadcast, status__in=["queued", "sending"])
    with_workers(2, lambda: not unfinished.exists(), timeout=1800)
    seconds = time.perf_counter() - started
    sent = Delivery.objects.filter(broadcast=broadcast, status="accepted").count()
    print(
        f"end to end, {sent:,} of {RECIPIENTS:,} recipients, two workers, no rate limit: "
        f"{seconds:.1f} s from confirm to the last delivery recorded (confirm {confirmed:.1f} s; "
        f"{sent / (seconds - confirmed):,.0f} messages/s sending)"
    )


if __name__ == "__main__":
    main()
