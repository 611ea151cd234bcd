"""Whether the sign-up page's answer time tells a known number from a new one.

Run from the repository root: ``.venv/bin/python bench/bench_signup.py``. It builds its own
SQLite database in memory with a local-memory cache, creates a sign-up page and posts the form
``ROUNDS`` times with the number of a verified contact and ``ROUNDS`` times with new numbers,
as a production site does: the request records the sign-up and queues its processing for the
worker (django-q2's ORM broker, not run here). Printed: the median time of each, their ratio
(target: about 1, within the noise), the queries of one request of each kind, then the time
the worker spends on each kind of sign-up (where the difference now is, out of the visitor's
sight). No network needed.
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
for variable in ("DATABASE_URL", "REDIS_URL"):
    os.environ.pop(variable, None)
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    override_settings,
    setup_test_environment,
)

ROUNDS = 200
KNOWN = "+6281200000001"


def form(phone):
    return {"name": "Ani", "phone": phone, "language": "id", "consent": "on"}


def main():
    from django_q.conf import Conf
    from wagtail.models import Page, Site

    from wagtail_grantee_sms import signup
    from wagtail_grantee_sms.models import Contact, SignupPage, SignupRequest

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    Conf.SYNC = False  # tests.settings runs tasks in the request; a real worker runs elsewhere
    with override_settings(
        WAGTAIL_GRANTEE_SMS={
            "BACKENDS": {"default": {"BACKEND": "wagtail_grantee_sms.backends.dummy.SMSBackend"}},
            "SIGNUP_ATTEMPTS_PER_IP": 10**6,
            "SIGNUP_ATTEMPTS_PER_NUMBER": 10**6,
            "VERIFICATION_SENDS_PER_HOUR": 10**6,
            "VERIFICATION_SENDS_PER_HOUR_TOTAL": 10**6,
        },
    ):
        page = SignupPage(title="SMS", slug="sms", consent_text="<p>4 SMS sebulan.</p>")
        Page.objects.get(depth=1).add_child(instance=page)
        Site.objects.update(root_page=page)
        Contact.objects.create(
            name="Budi", phone=KNOWN, status=Contact.Status.VERIFIED, consent_source="web_form"
        )
        phones = {
            "known number": lambda n: KNOWN,
            "new number": lambda n: f"+62857{n:08d}",
        }
        client = Client()
        client.post(page.url, form("+6285700000000"))  # warm the caches
        results = {}
        for label, phone in phones.items():
            times = []
            for n in range(1, ROUNDS + 1):
                started = time.perf_counter()
                response = client.post(page.url, form(phone(n)))
                times.append(time.perf_counter() - started)
                assert response.status_code == 302, response.status_code
            with CaptureQueriesContext(connection) as queries:
                client.post(page.url, form(phone(ROUNDS + 1)))
            results[label] = (statistics.median(times) * 1000, len(queries))
        for label, (median, queries) in results.items():
            print(f"request, {label:13}: {median:6.2f} ms median, {queries} queries")
        ratio = results["known number"][0] / results["new number"][0]
        print(f"ratio known / new: {ratio:.2f} (target about 1)")

        worker = {}
        for label, phone in (("known number", KNOWN), ("new number", "+6281399999999")):
            request = SignupRequest.objects.create(
                name="Ani", phone=phone, language="id", consent_note="bench"
            )
            started = time.perf_counter()
            signup.process(request.pk)
            worker[label] = (time.perf_counter() - started) * 1000
        for label, ms in worker.items():
            print(f"worker,  {label:13}: {ms:6.2f} ms (not seen by the visitor)")


if __name__ == "__main__":
    main()
