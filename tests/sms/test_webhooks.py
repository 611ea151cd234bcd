import json
import logging

import pytest
from django.http import QueryDict
from django.urls import reverse
from wagtail.models import ModelLogEntry

from tests.sms.factories import ContactFactory, DeliveryFactory
from wagtail_grantee_sms.backends import get_backend
from wagtail_grantee_sms.models import Contact, Delivery, InboundMessage
from wagtail_grantee_sms.signals import delivery_status_changed

pytestmark = pytest.mark.django_db

SECRET = "s3cret-token"
WEBHOOKS = "tests.sms.pipeline_backends.WebhookBackend"


@pytest.fixture(autouse=True)
def webhook_backend(settings):
    settings.WAGTAIL_GRANTEE_SMS = {
        "BACKENDS": {
            "default": {"BACKEND": WEBHOOKS, "OPTIONS": {"webhook_secret": SECRET}},
            "plain": {"BACKEND": "wagtail_grantee_sms.backends.locmem.SMSBackend"},
            "inbound-only": {
                "BACKEND": "tests.sms.pipeline_backends.InboundOnlyBackend",
                "OPTIONS": {"webhook_secret": SECRET},
            },
        }
    }


def status_url(alias="default"):
    return reverse("wagtail_grantee_sms:status-webhook", args=[alias])


def inbound_url(alias="default"):
    return reverse("wagtail_grantee_sms:inbound-webhook", args=[alias])


def post_json(client, url, payload, token=SECRET):
    if token:
        url += f"?token={token}"
    return client.post(url, json.dumps(payload), content_type="application/json")


def report(client, message_id, status, **extra):
    return post_json(
        client, status_url(), {"reports": [{"id": message_id, "status": status, **extra}]}
    )


def accepted_delivery(**kwargs):
    return DeliveryFactory(status=Delivery.Status.ACCEPTED, provider_message_id="P-1", **kwargs)


def test_the_webhooks_live_under_the_suites_urls():
    assert status_url() == "/grantee/sms/webhooks/default/status/"
    assert inbound_url("twilio") == "/grantee/sms/webhooks/twilio/inbound/"


def test_a_status_report_updates_its_delivery(client):
    delivery = accepted_delivery()

    response = report(client, "P-1", "delivered")

    assert response.status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED


@pytest.mark.parametrize("token", ["wrong-token", ""])
def test_a_forged_or_unsigned_report_is_refused_and_changes_nothing(client, token):
    delivery = accepted_delivery()

    response = post_json(
        client, status_url(), {"reports": [{"id": "P-1", "status": "failed"}]}, token=token
    )

    assert response.status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.ACCEPTED


def test_a_forged_inbound_message_is_not_stored(client):
    contact = ContactFactory(status=Contact.Status.VERIFIED)

    response = post_json(
        client,
        inbound_url(),
        {"messages": [{"from": contact.phone, "text": "STOP", "id": "M1"}]},
        token="nope",
    )

    assert response.status_code == 403
    assert not InboundMessage.objects.exists()
    contact.refresh_from_db()
    assert contact.status == Contact.Status.VERIFIED


@pytest.mark.parametrize(
    "url",
    [status_url("unknown"), inbound_url("unknown"), status_url("plain"), inbound_url("plain")],
)
def test_unknown_aliases_and_backends_without_webhooks_are_not_found(client, url):
    assert post_json(client, url, {}).status_code == 404


def test_a_backend_without_status_reports_has_no_status_webhook(client):
    assert post_json(client, status_url("inbound-only"), {"reports": []}).status_code == 404
    assert post_json(client, inbound_url("inbound-only"), {"messages": []}).status_code == 200


def test_an_unreadable_payload_is_a_bad_request(client):
    assert post_json(client, status_url(), {"something": "else"}).status_code == 400


def test_webhooks_need_no_csrf_token():
    from django.test import Client

    delivery = accepted_delivery()
    response = report(Client(enforce_csrf_checks=True), "P-1", "sent")

    assert response.status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT


def test_duplicate_and_out_of_order_reports_never_move_a_status_backwards(client):
    delivery = accepted_delivery()
    changes = []

    def receiver(delivery, old_status, **kwargs):
        changes.append((old_status, delivery.status))

    delivery_status_changed.connect(receiver)
    try:
        for status in ["delivered", "delivered", "sent", "accepted", "failed"]:
            assert report(client, "P-1", status).status_code == 200
    finally:
        delivery_status_changed.disconnect(receiver)

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED
    assert changes == [("accepted", "delivered")]


def test_a_failure_report_records_the_providers_error(client):
    delivery = accepted_delivery()

    report(client, "P-1", "failed", code="30003")

    delivery.refresh_from_db()
    assert (delivery.status, delivery.error_code) == (Delivery.Status.FAILED, "30003")


def test_a_report_for_an_unknown_message_is_answered_200_and_logged(client, caplog):
    caplog.set_level(logging.INFO, logger="wagtail_grantee_sms")

    response = report(client, "P-404", "delivered")

    assert response.status_code == 200
    assert any("P-404" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    ("reason", "status"),
    [("opted_out", Contact.Status.OPTED_OUT), ("invalid_number", Contact.Status.INVALID)],
)
def test_a_report_that_the_number_opted_out_or_is_invalid_marks_the_contact(client, reason, status):
    delivery = accepted_delivery()

    report(client, "P-1", "failed", code="21610", reason=reason)

    contact = Contact.objects.get(pk=delivery.contact.pk)
    assert contact.status == status
    assert ModelLogEntry.objects.for_instance(contact).get().data["via"] == "provider"


def test_an_inbound_stop_through_the_webhook_opts_out(client):
    contact = ContactFactory(status=Contact.Status.VERIFIED)

    response = post_json(
        client, inbound_url(), {"messages": [{"from": contact.phone, "text": "STOP", "id": "M1"}]}
    )

    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.status == Contact.Status.OPTED_OUT
    assert Delivery.objects.get(contact=contact).purpose == "opt_out_confirmation"


# -- Twilio: the real signature path ------------------------------------------------------

TWILIO = {
    "BACKEND": "wagtail_grantee_sms.backends.twilio.SMSBackend",
    "OPTIONS": {"account_sid": "AC" + "0" * 32, "auth_token": "twilio-auth-token"},
}


@pytest.fixture
def twilio(settings):
    settings.WAGTAIL_GRANTEE_SMS = {"BACKENDS": {"twilio": TWILIO}}
    return get_backend("twilio")


def post_signed(client, backend, url, params, signature=None):
    form = QueryDict(mutable=True)
    for name, value in params.items():
        form[name] = value
    signature = signature or backend.signature("http://testserver" + url, form)
    return client.post(url, params, HTTP_X_TWILIO_SIGNATURE=signature)


def test_a_signed_twilio_status_report_updates_the_delivery(client, twilio):
    delivery = DeliveryFactory(
        backend_alias="twilio", status=Delivery.Status.ACCEPTED, provider_message_id="SM123"
    )

    response = post_signed(
        client, twilio, status_url("twilio"), {"MessageSid": "SM123", "MessageStatus": "delivered"}
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED


def test_a_twilio_report_with_a_wrong_signature_is_refused(client, twilio):
    delivery = DeliveryFactory(
        backend_alias="twilio", status=Delivery.Status.ACCEPTED, provider_message_id="SM123"
    )

    response = post_signed(
        client,
        twilio,
        status_url("twilio"),
        {"MessageSid": "SM123", "MessageStatus": "failed", "ErrorCode": "21610"},
        signature="bm90IHRoZSBzaWduYXR1cmU=",
    )

    assert response.status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.ACCEPTED
    assert delivery.contact.status == Contact.Status.VERIFIED


def test_twilio_error_21610_marks_the_contact_opted_out(client, twilio):
    delivery = DeliveryFactory(
        backend_alias="twilio", status=Delivery.Status.SENT, provider_message_id="SM123"
    )

    post_signed(
        client,
        twilio,
        status_url("twilio"),
        {"MessageSid": "SM123", "MessageStatus": "undelivered", "ErrorCode": "21610"},
    )

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert Contact.objects.get(pk=delivery.contact.pk).status == Contact.Status.OPTED_OUT


def test_a_signed_twilio_inbound_stop_opts_out_and_queues_one_confirmation(client, twilio):
    contact = ContactFactory(status=Contact.Status.VERIFIED)
    params = {"MessageSid": "SM9", "From": contact.phone, "To": "+15005550006", "Body": "Stop"}

    first = post_signed(client, twilio, inbound_url("twilio"), params)
    again = post_signed(client, twilio, inbound_url("twilio"), params)  # Twilio retried

    assert (first.status_code, again.status_code) == (200, 200)
    contact.refresh_from_db()
    assert contact.status == Contact.Status.OPTED_OUT
    assert InboundMessage.objects.get().backend_alias == "twilio"
    confirmation = Delivery.objects.get(contact=contact)
    assert (confirmation.purpose, confirmation.backend_alias) == ("opt_out_confirmation", "twilio")
