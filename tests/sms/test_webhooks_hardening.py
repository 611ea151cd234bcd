"""Webhooks attacked on purpose: what is read is what is authenticated, a payload no provider
sends is refused with 400 (never a 500), secrets are not stored, and the URLs the suite gives
providers authenticate the reports sent to them."""

import json
import logging
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import responses
from django.http import QueryDict
from django.urls import reverse

from tests.sms.factories import ContactFactory, DeliveryFactory
from wagtail_grantee_sms import sending
from wagtail_grantee_sms.backends import get_backend
from wagtail_grantee_sms.backends.twilio import API_URL as TWILIO_API_URL
from wagtail_grantee_sms.backends.vonage import API_URL as VONAGE_API_URL
from wagtail_grantee_sms.models import Contact, Delivery, InboundMessage, UnmatchedDeliveryReport

pytestmark = pytest.mark.django_db

SECRET = "shared-webhook-secret"
ACCOUNT_SID = "AC" + "0" * 32
BACKENDS = {
    "twilio": {
        "BACKEND": "wagtail_grantee_sms.backends.twilio.SMSBackend",
        "OPTIONS": {"account_sid": ACCOUNT_SID, "auth_token": "twilio-auth-token"},
    },
    "vonage-signed": {
        "BACKEND": "wagtail_grantee_sms.backends.vonage.SMSBackend",
        "OPTIONS": {"api_key": "k", "api_secret": "s", "signature_secret": "sig-secret"},
    },
    "vonage": {
        "BACKEND": "wagtail_grantee_sms.backends.vonage.SMSBackend",
        "OPTIONS": {
            "api_key": "k",
            "api_secret": "s",
            "from_number": "NGO",
            "webhook_secret": SECRET,
        },
    },
    "at": {
        "BACKEND": "wagtail_grantee_sms.backends.africastalking.SMSBackend",
        "OPTIONS": {"username": "ngo", "api_key": "key", "webhook_secret": SECRET},
    },
}


@pytest.fixture(autouse=True)
def providers(settings):
    settings.WAGTAIL_GRANTEE_SMS = {
        "BACKENDS": BACKENDS,
        "WEBHOOK_BASE_URL": "https://ngo.example.org",
    }


def inbound_url(alias):
    return reverse("wagtail_grantee_sms:inbound-webhook", args=[alias])


def status_url(alias):
    return reverse("wagtail_grantee_sms:status-webhook", args=[alias])


# -- Twilio: the signature covers what is read ---------------------------------------------


def post_vonage_inbound(client, body):
    """An inbound SMS as Vonage posts it (JSON), to the token-authenticated webhook."""
    return client.post(
        inbound_url("vonage") + f"?token={SECRET}",
        json.dumps(body),
        content_type="application/json",
    )


def test_a_signed_twilio_get_replayed_as_a_json_post_does_not_opt_a_victim_out(client):
    """Twilio signs a GET webhook's URL alone. An attacker who saw one such URL must not be
    able to post it again with a JSON body of their choosing."""
    victim = ContactFactory(status=Contact.Status.VERIFIED)
    twilio = get_backend("twilio")
    url = inbound_url("twilio") + "?MessageSid=SM1&From=%2B15005550006&Body=Halo"
    signature = twilio.signature("https://ngo.example.org" + url, QueryDict())

    replay = client.post(
        url,
        json.dumps({"MessageSid": "SM2", "From": victim.phone, "Body": "STOP"}),
        content_type="application/json",
        HTTP_X_TWILIO_SIGNATURE=signature,
    )

    assert replay.status_code in (400, 403)
    victim.refresh_from_db()
    assert victim.status == Contact.Status.VERIFIED
    assert not InboundMessage.objects.exists()


def test_a_signed_twilio_get_webhook_is_read_from_its_url(client):
    contact = ContactFactory(status=Contact.Status.VERIFIED)
    twilio = get_backend("twilio")
    query = QueryDict(mutable=True)
    query.update({"MessageSid": "SM3", "From": contact.phone, "Body": "STOP"})
    url = inbound_url("twilio") + "?" + query.urlencode()

    response = client.get(
        url, HTTP_X_TWILIO_SIGNATURE=twilio.signature("https://ngo.example.org" + url, QueryDict())
    )

    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.status == Contact.Status.OPTED_OUT


# -- payloads no provider sends: 400, never a 500 -----------------------------------------


def test_deeply_nested_json_to_a_signed_webhook_is_a_bad_request(client):
    body = "[" * 100_000 + "]" * 100_000

    response = client.post(inbound_url("vonage-signed"), body, content_type="application/json")

    assert response.status_code in (400, 403)
    assert not InboundMessage.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"msisdn": "6281200001111", "to": "NGO", "messageId": "m1", "text": ["STOP"]},
        {"msisdn": "6281200001111", "to": "NGO", "messageId": "m1", "text": {"a": "STOP"}},
        ["not", "an", "object"],
    ],
)
def test_a_json_field_that_is_not_a_single_value_is_a_bad_request(client, body):
    response = post_vonage_inbound(client, body)

    assert response.status_code == 400
    assert not InboundMessage.objects.exists()


def test_numbers_in_json_fields_are_read_as_text(client):
    contact = ContactFactory(status=Contact.Status.VERIFIED)
    body = {"msisdn": int(contact.phone[1:]), "to": 6281299990000, "messageId": 7, "text": "STOP"}

    response = post_vonage_inbound(client, body)

    assert response.status_code == 200
    message = InboundMessage.objects.get()
    assert (message.to, message.provider_message_id) == ("6281299990000", "7")
    contact.refresh_from_db()
    assert contact.status == Contact.Status.OPTED_OUT


def test_a_body_over_the_size_limit_is_refused_before_parsing():
    from wagtail_grantee_sms.backends.base import load_json

    with pytest.raises(ValueError, match="larger"):
        load_json(b'{"text": "' + b"a" * 70_000 + b'"}')
    assert load_json(b'{"text": "[[[[[[[[[[[[[[[[[[[[[["}') == {"text": "[" * 22}


@responses.activate
def test_a_twilio_answer_without_a_sid_is_recorded_and_does_not_break_the_batch():
    first, second = DeliveryFactory(backend_alias="twilio"), DeliveryFactory(backend_alias="twilio")
    responses.post(
        TWILIO_API_URL.format(account_sid=ACCOUNT_SID), json={"status": "queued"}, status=201
    )

    sending.send_deliveries([first.pk, second.pk])  # raises nothing

    first.refresh_from_db()
    second.refresh_from_db()
    # It may have gone out: a person checks it; the next one waits for the recovery run.
    assert first.status == Delivery.Status.REVIEW
    assert second.status == Delivery.Status.QUEUED


# -- secrets are never stored or logged ---------------------------------------------------


def test_a_get_webhooks_token_is_not_stored_nor_logged(client, caplog):
    caplog.set_level(logging.DEBUG)
    contact = ContactFactory(status=Contact.Status.VERIFIED)
    params = {"msisdn": contact.phone[1:], "to": "NGO", "messageId": "m9", "text": "Halo"}

    response = client.get(inbound_url("vonage"), {**params, "token": SECRET})

    assert response.status_code == 200
    message = InboundMessage.objects.get()
    assert message.raw == params
    assert SECRET not in json.dumps(message.raw)
    assert SECRET not in caplog.text


# -- the callback URL the suite gives the provider authenticates ----------------------------


@responses.activate
def test_vonage_token_mode_status_reports_reach_and_update_the_delivery(client):
    delivery = DeliveryFactory(backend_alias="vonage")
    sent = responses.post(
        VONAGE_API_URL,
        json={"messages": [{"status": "0", "message-id": "V-1", "message-price": "0.05"}]},
    )

    sending.send_delivery(delivery.pk)

    callback = parse_qs(sent.calls[0].request.body)["callback"][0]
    parts = urlsplit(callback)
    assert parts.netloc == "ngo.example.org"
    report = {"messageId": "V-1", "status": "delivered", "err-code": "0"}
    response = client.get(f"{parts.path}?{parts.query}&{urlencode(report)}")

    assert response.status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED


def test_signed_backends_get_no_token_in_their_callback_url():
    assert "token" not in get_backend("vonage-signed").status_callback_url()
    assert get_backend("vonage").status_callback_url() == (
        f"https://ngo.example.org{status_url('vonage')}?token={SECRET}"
    )


def test_a_vonage_receipt_for_another_part_of_a_long_message_reaches_its_delivery(client):
    delivery = DeliveryFactory(
        backend_alias="vonage", status=Delivery.Status.ACCEPTED, provider_message_id="V-1"
    )
    receipt = {"messageId": "V-2", "status": "delivered", "client-ref": str(delivery.uuid)}

    response = client.get(status_url("vonage"), {**receipt, "token": SECRET})

    assert response.status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED


@responses.activate
def test_a_twilio_opt_out_report_for_a_delivery_under_review_opts_the_contact_out(client):
    """Twilio echoes no client reference, so the suite puts it in the (signed) callback URL: a
    report about a message whose answer never came (it is under review) finds its contact."""
    delivery = DeliveryFactory(backend_alias="twilio")
    responses.post(
        TWILIO_API_URL.format(account_sid=ACCOUNT_SID), body="upstream hiccup", status=502
    )
    sending.send_delivery(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.REVIEW
    callback = parse_qs(responses.calls[0].request.body)["StatusCallback"][0]
    parts = urlsplit(callback)
    assert parse_qs(parts.query) == {"ref": [str(delivery.uuid)]}
    report = {"MessageSid": "SM77", "MessageStatus": "undelivered", "ErrorCode": "21610"}
    form = QueryDict(mutable=True)
    form.update(report)
    signature = get_backend("twilio").signature(callback, form)

    response = client.post(f"{parts.path}?{parts.query}", report, HTTP_X_TWILIO_SIGNATURE=signature)

    assert response.status_code == 200
    assert Contact.objects.get(pk=delivery.contact_id).status == Contact.Status.OPTED_OUT


# -- text PostgreSQL cannot store ----------------------------------------------------------


def test_a_nul_or_a_lone_surrogate_in_an_inbound_sms_is_stored_as_a_replacement_character(
    client,
):
    # A stranger's phone can put U+0000 or half a surrogate pair in a UCS-2 SMS; PostgreSQL
    # stores neither, and a 500 would lose the message (or block the modem's inbox).
    body = {"msisdn": "6281234567890", "messageId": "m\x001", "text": "Halo\x00 \ud800!"}

    response = post_vonage_inbound(client, body)

    assert response.status_code == 200
    message = InboundMessage.objects.get()
    assert (message.body, message.provider_message_id) == ("Halo\ufffd \ufffd!", "m\ufffd1")
    assert message.raw["text"] == "Halo\ufffd \ufffd!"


def test_a_nul_in_a_status_report_is_stored_as_a_replacement_character(client):
    response = client.post(
        status_url("at") + f"?token={SECRET}",
        {"id": "ATX\x001", "status": "Failed", "failureReason": "Rejected\x00"},
    )

    assert response.status_code == 200
    kept = UnmatchedDeliveryReport.objects.get()
    assert (kept.provider_message_id, kept.error_code) == ("ATX\ufffd1", "Rejected\ufffd")


def test_overlong_ids_and_codes_are_cut_to_their_columns_not_refused(client):
    # PostgreSQL refuses a value longer than its column with a 500, which loses the message.
    long_id = "m" * 300
    inbound = post_vonage_inbound(
        client, {"msisdn": "6281234567890", "messageId": long_id, "text": "Halo"}
    )
    report = client.post(
        status_url("at") + f"?token={SECRET}",
        {"id": "ATX" + long_id, "status": "Failed", "failureReason": "R" * 100},
    )

    assert (inbound.status_code, report.status_code) == (200, 200)
    assert InboundMessage.objects.get().provider_message_id == long_id[:128]
    kept = UnmatchedDeliveryReport.objects.get()
    assert (len(kept.provider_message_id), kept.error_code) == (128, "R" * 64)
