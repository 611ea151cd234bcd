"""How fast the SMS pipeline sends, takes status reports and inbound messages, and rate-limits.

Run from the repository root: ``.venv/bin/python bench/bench_sms_pipeline.py`` (SQLite in
memory, database token bucket), or with ``DATABASE_URL=postgres://...`` and
``REDIS_URL=redis://...`` for PostgreSQL and the Redis moving window. Sends go to the locmem
backend, so the numbers are the pipeline's own cost per message (claim, record, signals),
not a provider's.
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import override_settings, setup_test_environment  # noqa: E402

MESSAGES = int(os.environ.get("BENCH_MESSAGES", 2_000))
LOCMEM = {"BACKENDS": {"default": {"BACKEND": "wagtail_grantee_sms.backends.locmem.SMSBackend"}}}


def timed(label, count, func, unit="messages"):
    started = time.perf_counter()
    result = func()
    seconds = time.perf_counter() - started
    print(f"{label:<44} {seconds:7.3f} s  {count / seconds:>10,.0f} {unit}/s")
    return result


def main():
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        with override_settings(WAGTAIL_GRANTEE_SMS=LOCMEM):
            run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run():
    import wagtail_grantee_sms
    from wagtail_grantee_sms import inbound, ratelimit, sending
    from wagtail_grantee_sms.backends import DeliveryReport, DeliveryStatus, InboundSMS, locmem
    from wagtail_grantee_sms.models import Contact, Delivery

    locmem.reset()
    storage = "Redis moving window" if ratelimit.redis_location() else "database token bucket"
    print(f"SMS pipeline, {MESSAGES:,} messages, on {connection.vendor}; rate limit: {storage}")
    contacts = Contact.objects.bulk_create(
        Contact(name=f"Pendukung {n}", phone=f"+62812{n:08d}", status=Contact.Status.VERIFIED)
        for n in range(MESSAGES)
    )
    deliveries = Delivery.objects.bulk_create(
        Delivery(contact=c, phone=c.phone, body="Rapat desa besok jam 3.", purpose="broadcast")
        for c in contacts
    )
    ids = [d.pk for d in deliveries]

    def baseline():
        for pk in ids:
            Delivery.objects.filter(pk=pk, status="queued").update(attempts=0)

    # What one UPDATE by primary key costs on this machine: read the lines below against it.
    timed("baseline: one UPDATE by primary key", MESSAGES, baseline)
    timed(
        "send (claim, backend, record), one batch", MESSAGES, lambda: sending.send_deliveries(ids)
    )
    assert len(wagtail_grantee_sms.outbox) == MESSAGES
    timed("send again (nothing left to claim)", MESSAGES, lambda: sending.send_deliveries(ids))
    assert len(wagtail_grantee_sms.outbox) == MESSAGES

    message_ids = list(Delivery.objects.values_list("provider_message_id", flat=True))

    def reports(status):
        for message_id in message_ids:
            sending.apply_delivery_report("default", DeliveryReport(message_id, status))

    timed("status reports (delivered)", MESSAGES, lambda: reports(DeliveryStatus.DELIVERED))
    timed("duplicate or late reports (ignored)", MESSAGES, lambda: reports(DeliveryStatus.SENT))
    assert Delivery.objects.filter(status="delivered").count() == MESSAGES

    def receive():
        for n, contact in enumerate(contacts):
            inbound.receive("default", InboundSMS(contact.phone, "Terima kasih", f"in-{n}"))

    timed("inbound messages (stored, matched, signalled)", MESSAGES, receive)

    def acquire():
        for _call in range(MESSAGES):
            ratelimit.try_acquire("bench", 1_000_000)

    timed("rate limit: take a slot", MESSAGES, acquire, unit="slots")
    if settings.CACHES["default"]["BACKEND"] == ratelimit.REDIS_CACHE:
        with override_settings(
            CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
        ):
            timed("rate limit: take a slot (database bucket)", MESSAGES, acquire, unit="slots")


if __name__ == "__main__":
    main()
