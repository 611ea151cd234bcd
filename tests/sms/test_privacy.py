import json
import logging
import re

import pytest
from django.urls import reverse

from tests.sms.factories import ContactFactory, DeliveryFactory
from tests.sms.pipeline_backends import configure
from wagtail_grantee_sms import sending
from wagtail_grantee_sms.backends import locmem
from wagtail_grantee_sms.models import Contact, Delivery

pytestmark = pytest.mark.django_db

SECRET = "s3cret-token"


@pytest.fixture(autouse=True)
def webhook_backend(settings):
    configure(
        settings, "tests.sms.pipeline_backends.WebhookBackend", options={"webhook_secret": SECRET}
    )


def full_number_forms(e164):
    """The ways a log line could spell the number: +62812…, 62812…, 0812…, with separators."""
    digits = e164.lstrip("+")
    national = "0" + digits[2:]
    return [digits, national]


def leaks(caplog, numbers):
    found = []
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "")
        only_digits = re.sub(r"\D", "", text)
        for number in numbers:
            if any(form in only_digits for form in full_number_forms(number)):
                found.append((number, record.name, text))
    return found


def post(client, url, payload):
    return client.post(
        f"{url}?token={SECRET}", json.dumps(payload), content_type="application/json"
    )


def test_no_full_number_is_logged_during_a_send_a_webhook_and_an_inbound_stop(
    client, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    contact = ContactFactory(status=Contact.Status.VERIFIED)
    failing = DeliveryFactory()
    locmem.fail(failing.phone, code="21211", message="Invalid number", permanent=True)
    retried = DeliveryFactory()
    locmem.fail(retried.phone, code="30003", message="Unreachable", permanent=False)

    with django_capture_on_commit_callbacks(execute=True):
        delivery = sending.queue_message(contact, "Halo", purpose="broadcast")
    sending.send_deliveries([failing.pk, retried.pk])
    delivery.refresh_from_db()
    status = post(
        client,
        reverse("wagtail_grantee_sms:status-webhook", args=["default"]),
        {"reports": [{"id": delivery.provider_message_id, "status": "delivered"}]},
    )
    with django_capture_on_commit_callbacks(execute=True):
        stop = post(
            client,
            reverse("wagtail_grantee_sms:inbound-webhook", args=["default"]),
            {"messages": [{"from": contact.phone, "text": "STOP", "id": "M1"}]},
        )
    unknown = post(
        client,
        reverse("wagtail_grantee_sms:inbound-webhook", args=["default"]),
        {"messages": [{"from": "+6281377778888", "text": "Siapa ini?", "id": "M2"}]},
    )

    assert (status.status_code, stop.status_code, unknown.status_code) == (200, 200, 200)
    assert Delivery.objects.filter(purpose="opt_out_confirmation").count() == 1
    assert len(caplog.records) >= 5  # the pipeline did log what it did
    assert leaks(caplog, [contact.phone, failing.phone, retried.phone, "+6281377778888"]) == []
