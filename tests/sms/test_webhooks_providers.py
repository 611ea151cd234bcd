"""Status and inbound webhooks of the providers besides Twilio, through the real views: each
provider's own authentication, a report that moves its delivery forward, a forged one that
gets 403 and changes nothing, and an inbound STOP that opts the contact out."""

import base64
import hashlib
import json
import time

import pytest
from django.urls import reverse

from tests.sms.factories import ContactFactory, DeliveryFactory
from wagtail_grantee_sms.models import Contact, Delivery, InboundMessage

pytestmark = pytest.mark.django_db

SIGNATURE_SECRET = "vonage-signature-secret"
SECRET = "shared-webhook-secret"

BACKENDS = {
    "vonage": {
        "BACKEND": "wagtail_grantee_sms.backends.vonage.SMSBackend",
        "OPTIONS": {
            "api_key": "key",
            "api_secret": "secret",
            "from_number": "NGO",
            "signature_secret": SIGNATURE_SECRET,
        },
    },
    "at": {
        "BACKEND": "wagtail_grantee_sms.backends.africastalking.SMSBackend",
        "OPTIONS": {"username": "ngo", "api_key": "key", "webhook_secret": SECRET},
    },
    "gateway": {
        "BACKEND": "wagtail_grantee_sms.backends.http.SMSBackend",
        "OPTIONS": {
            "url": "https://sms.example.co.id/api/send",
            "webhook_secret": SECRET,
            "status_fields": {"message_id": "ref", "status": "stat", "error_code": "err"},
            "status_values": {"DELIVRD": "delivered", "UNDELIV": "failed", "ACK": "sent"},
            "inbound_fields": {"sender": "from", "body": "msg", "message_id": "mid"},
        },
    },
    "zenziva": {
        "BACKEND": "wagtail_grantee_sms.backends.zenziva.SMSBackend",
        "OPTIONS": {"userkey": "uk", "passkey": "pk"},
    },
}


@pytest.fixture(autouse=True)
def providers(settings):
    settings.WAGTAIL_GRANTEE_SMS = {"BACKENDS": BACKENDS}


def status_url(alias):
    return reverse("wagtail_grantee_sms:status-webhook", args=[alias])


def inbound_url(alias):
    return reverse("wagtail_grantee_sms:inbound-webhook", args=[alias])


def accepted_delivery(alias, message_id):
    return DeliveryFactory(
        backend_alias=alias, status=Delivery.Status.ACCEPTED, provider_message_id=message_id
    )


def vonage_signature(params, secret):
    """Vonage's default "md5hash" signature, written from its documentation: every parameter
    sorted by name as ``&name=value`` (``&`` and ``=`` in values replaced by ``_``), then the
    secret, MD5 in hexadecimal."""
    text = "".join(
        "&{}={}".format(name, params[name].replace("&", "_").replace("=", "_"))
        for name in sorted(params)
    )
    return hashlib.md5((text + secret).encode(), usedforsecurity=False).hexdigest()


def vonage_call(client, url, params, *, secret=SIGNATURE_SECRET, age=0, as_json=False):
    params = params | {"timestamp": str(int(time.time()) - age), "nonce": "a1b2c3"}
    params["sig"] = vonage_signature(params, secret)
    if as_json:
        return client.post(url, json.dumps(params), content_type="application/json")
    return client.get(url, params)


def basic_auth(password):
    return "Basic " + base64.b64encode(f"africastalking:{password}".encode()).decode()


# -- Vonage: signed webhooks -------------------------------------------------------------

VONAGE_RECEIPT = {
    "msisdn": "6281234567890",
    "to": "NGO",
    "network-code": "51010",
    "messageId": "0B0000012345678A",
    "price": "0.03330000",
    "status": "delivered",
    "scts": "2611280715",
    "err-code": "0",
    "message-timestamp": "2026-11-28 07:15:02",
}


def test_a_signed_vonage_receipt_moves_the_delivery_forward(client):
    delivery = accepted_delivery("vonage", "0B0000012345678A")

    response = vonage_call(client, status_url("vonage"), VONAGE_RECEIPT)

    assert response.status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED


@pytest.mark.parametrize(
    "forgery",
    [{"secret": "guessed-secret"}, {"age": 3600}],
    ids=["wrong-secret", "replayed-an-hour-later"],
)
def test_a_forged_or_replayed_vonage_receipt_is_refused(client, forgery):
    delivery = accepted_delivery("vonage", "0B0000012345678A")
    receipt = VONAGE_RECEIPT | {"status": "failed", "err-code": "9"}  # "illegal number"

    response = vonage_call(client, status_url("vonage"), receipt, **forgery)

    assert response.status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.ACCEPTED
    assert delivery.contact.status == Contact.Status.VERIFIED


def test_an_unsigned_vonage_receipt_is_refused(client):
    delivery = accepted_delivery("vonage", "0B0000012345678A")

    response = client.get(status_url("vonage"), VONAGE_RECEIPT)

    assert response.status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.ACCEPTED


def test_a_vonage_receipt_for_an_illegal_number_marks_the_contact_invalid(client):
    delivery = accepted_delivery("vonage", "0B0000012345678A")

    vonage_call(
        client, status_url("vonage"), VONAGE_RECEIPT | {"status": "failed", "err-code": "9"}
    )

    delivery.refresh_from_db()
    assert (delivery.status, delivery.error_code) == (Delivery.Status.FAILED, "9")
    assert Contact.objects.get(pk=delivery.contact.pk).status == Contact.Status.INVALID


def test_a_signed_vonage_inbound_stop_opts_the_contact_out(client):
    contact = ContactFactory(status=Contact.Status.VERIFIED)
    message = {
        "msisdn": contact.phone.lstrip("+"),
        "to": "6281100000000",
        "messageId": "0A0000000123ABCD1",
        "text": "STOP",
        "type": "text",
        "keyword": "STOP",
        "message-timestamp": "2026-11-28 07:15:02",
    }

    response = vonage_call(client, inbound_url("vonage"), message, as_json=True)

    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.status == Contact.Status.OPTED_OUT
    assert InboundMessage.objects.get().backend_alias == "vonage"
    assert Delivery.objects.get(contact=contact).purpose == "opt_out_confirmation"


def test_a_forged_vonage_inbound_stop_is_not_stored(client):
    contact = ContactFactory(status=Contact.Status.VERIFIED)
    message = {"msisdn": contact.phone.lstrip("+"), "messageId": "0A1", "text": "STOP"}

    response = vonage_call(client, inbound_url("vonage"), message, secret="guessed-secret")

    assert response.status_code == 403
    assert not InboundMessage.objects.exists()
    contact.refresh_from_db()
    assert contact.status == Contact.Status.VERIFIED


# -- Africa's Talking: the shared secret, as a token or basic auth ---------------------------

AT_REPORT = {
    "id": "ATXid_4e5b1a",
    "status": "Success",
    "phoneNumber": "+254711000000",
    "networkCode": "63902",
    "retryCount": "0",
}


@pytest.mark.parametrize(
    ("query", "headers"),
    [(f"?token={SECRET}", {}), ("", {"HTTP_AUTHORIZATION": basic_auth(SECRET)})],
    ids=["token", "basic-auth"],
)
def test_an_africastalking_report_with_the_secret_moves_the_delivery_forward(
    client, query, headers
):
    delivery = accepted_delivery("at", "ATXid_4e5b1a")

    response = client.post(status_url("at") + query, AT_REPORT, **headers)

    assert response.status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        ("?token=guessed", {}),
        ("", {"HTTP_AUTHORIZATION": basic_auth("guessed")}),
        ("", {}),
    ],
    ids=["wrong-token", "wrong-password", "no-secret"],
)
def test_a_forged_africastalking_report_is_refused(client, query, headers):
    delivery = accepted_delivery("at", "ATXid_4e5b1a")
    forged = AT_REPORT | {"status": "Rejected", "failureReason": "UserInBlackList"}

    response = client.post(status_url("at") + query, forged, **headers)

    assert response.status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.ACCEPTED
    assert delivery.contact.status == Contact.Status.VERIFIED


def test_an_africastalking_report_of_a_blacklisted_number_opts_the_contact_out(client):
    delivery = accepted_delivery("at", "ATXid_4e5b1a")
    report = AT_REPORT | {"status": "Rejected", "failureReason": "UserInBlackList"}

    client.post(status_url("at") + f"?token={SECRET}", report)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.permanent_error) == (Delivery.Status.FAILED, True)
    assert Contact.objects.get(pk=delivery.contact.pk).status == Contact.Status.OPTED_OUT


def test_an_africastalking_inbound_stop_opts_the_contact_out(client):
    contact = ContactFactory(status=Contact.Status.VERIFIED)
    message = {
        "from": contact.phone,
        "to": "21525",
        "text": "Stop",
        "id": "4e5b1a0c-1d2e",
        "linkId": "SampleLinkId123",
        "date": "2026-11-28 07:15:02",
    }

    response = client.post(inbound_url("at"), message, HTTP_AUTHORIZATION=basic_auth(SECRET))

    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.status == Contact.Status.OPTED_OUT
    assert Delivery.objects.get(contact=contact).backend_alias == "at"


def test_a_forged_africastalking_inbound_stop_is_not_stored(client):
    contact = ContactFactory(status=Contact.Status.VERIFIED)

    response = client.post(
        inbound_url("at") + "?token=guessed", {"from": contact.phone, "text": "STOP", "id": "x"}
    )

    assert response.status_code == 403
    assert not InboundMessage.objects.exists()
    contact.refresh_from_db()
    assert contact.status == Contact.Status.VERIFIED


# -- the generic HTTP gateway: configured fields, the shared secret --------------------------


def test_a_gateway_report_with_the_secret_moves_the_delivery_forward(client):
    delivery = accepted_delivery("gateway", "4711")

    response = client.post(
        status_url("gateway"),
        {"ref": "4711", "stat": "DELIVRD", "err": "000"},
        HTTP_X_WEBHOOK_TOKEN=SECRET,
    )

    assert response.status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED


def test_a_gateway_report_can_come_by_get_with_the_token(client):
    delivery = accepted_delivery("gateway", "4711")

    response = client.get(status_url("gateway"), {"ref": "4711", "stat": "ACK", "token": SECRET})

    assert response.status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT


@pytest.mark.parametrize(
    "headers",
    [{"HTTP_X_WEBHOOK_TOKEN": "guessed"}, {"HTTP_AUTHORIZATION": basic_auth("guessed")}, {}],
    ids=["wrong-token", "wrong-password", "no-secret"],
)
def test_a_forged_gateway_report_is_refused(client, headers):
    delivery = accepted_delivery("gateway", "4711")

    response = client.post(
        status_url("gateway"), {"ref": "4711", "stat": "UNDELIV", "err": "001"}, **headers
    )

    assert response.status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.ACCEPTED


def test_a_gateway_inbound_stop_opts_the_contact_out(client):
    contact = ContactFactory(status=Contact.Status.VERIFIED)

    response = client.post(
        inbound_url("gateway"),
        json.dumps({"from": contact.phone, "msg": "BERHENTI", "mid": "in-77"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=basic_auth(SECRET),
    )

    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.status == Contact.Status.OPTED_OUT
    assert InboundMessage.objects.get().provider_message_id == "in-77"


def test_a_forged_gateway_inbound_stop_is_not_stored(client):
    contact = ContactFactory(status=Contact.Status.VERIFIED)

    response = client.post(
        inbound_url("gateway"),
        {"from": contact.phone, "msg": "STOP", "mid": "in-78"},
        HTTP_X_WEBHOOK_TOKEN="guessed",
    )

    assert response.status_code == 403
    assert not InboundMessage.objects.exists()
    contact.refresh_from_db()
    assert contact.status == Contact.Status.VERIFIED


# -- Zenziva calls no webhooks ------------------------------------------------------------


@pytest.mark.parametrize("url", [status_url("zenziva"), inbound_url("zenziva")])
def test_zenziva_has_no_webhooks(client, url):
    delivery = accepted_delivery("zenziva", "Z1")
    contact = ContactFactory(status=Contact.Status.VERIFIED)

    response = client.post(
        url + "?token=anything", {"messageId": "Z1", "status": "failed", "from": contact.phone}
    )

    assert response.status_code == 404
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.ACCEPTED
    assert not InboundMessage.objects.exists()
