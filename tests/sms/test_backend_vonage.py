import hashlib
import hmac
import time
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
import responses
from django.test import RequestFactory

from wagtail_grantee_sms.backends import (
    INVALID_NUMBER,
    DeliveryStatus,
    InvalidBackendError,
    OutgoingSMS,
    SMSBackendError,
    WebhookAuthenticationFailed,
)
from wagtail_grantee_sms.backends.vonage import SMSBackend

API = "https://rest.nexmo.com/sms/json"
MESSAGE = OutgoingSMS(to="+6281234567890", body="Rapat jam 3", reference="ref-1")


def make_backend(**options):
    options = {"api_key": "key", "api_secret": "secret", "from_number": "GRANTEE"} | options
    return SMSBackend(alias="vonage", **options)


def sent_form(call):
    return {key: values[0] for key, values in parse_qs(call.request.body).items()}


def accepted_reply(*ids, price="0.03330000"):
    return {
        "message-count": str(len(ids)),
        "messages": [
            {"to": "6281234567890", "message-id": id_, "status": "0", "message-price": price}
            for id_ in ids
        ],
    }


@responses.activate
def test_sends_the_documented_request():
    responses.post(API, json=accepted_reply("0C00001"))

    [result] = make_backend().send_messages([MESSAGE])

    assert sent_form(responses.calls[0]) == {
        "api_key": "key",
        "api_secret": "secret",
        "from": "GRANTEE",
        "to": "6281234567890",
        "text": "Rapat jam 3",
        "client-ref": "ref-1",
    }
    assert result.accepted
    assert (result.message_id, result.segments) == ("0C00001", 1)
    assert (result.price, result.currency) == (Decimal("0.03330000"), "EUR")


@responses.activate
def test_unicode_text_is_flagged_and_parts_are_counted():
    responses.post(API, json=accepted_reply("P1", "P2"))
    message = OutgoingSMS(to="+6281234567890", body="Terima kasih 🙏")

    [result] = make_backend().send_messages([message])

    assert sent_form(responses.calls[0])["type"] == "unicode"
    assert result.segments == 2
    assert result.price == Decimal("0.06660000")


@responses.activate
def test_gsm_text_is_not_flagged():
    responses.post(API, json=accepted_reply("P1"))
    make_backend().send_messages([OutgoingSMS(to="+6281234567890", body="Harga: €5 [promo]")])
    assert "type" not in sent_form(responses.calls[0])


@responses.activate
@pytest.mark.parametrize(
    ("status", "permanent", "reason"),
    [("1", False, ""), ("6", True, INVALID_NUMBER), ("7", True, ""), ("9", True, "")],
)
def test_refusals_per_message(status, permanent, reason):
    responses.post(
        API, json={"message-count": "1", "messages": [{"status": status, "error-text": "No"}]}
    )
    backend = make_backend()

    [result] = backend.send_messages([MESSAGE])

    assert (result.accepted, result.error_code, result.permanent) == (False, status, permanent)
    assert result.error_message == "No"
    assert backend.failure_reason(result.error_code) == reason


@responses.activate
def test_wrong_credentials_raise():
    responses.post(
        API,
        json={"message-count": "1", "messages": [{"status": "4", "error-text": "Bad Credentials"}]},
    )
    with pytest.raises(SMSBackendError, match="Bad Credentials"):
        make_backend().send_messages([MESSAGE])


@responses.activate
def test_a_server_error_raises():
    responses.post(API, status=503)
    with pytest.raises(SMSBackendError, match="rest.nexmo.com answered with a server error 503"):
        make_backend().send_messages([MESSAGE])


def test_an_unknown_signature_method_is_a_configuration_error():
    with pytest.raises(InvalidBackendError, match="signature_method"):
        make_backend(signature_method="sha3")


# -- webhooks ---------------------------------------------------------------------------

RECEIPT = {
    "msisdn": "6281234567890",
    "to": "GRANTEE",
    "network-code": "51010",
    "messageId": "0C00001",
    "price": "0.03330000",
    "status": "failed",
    "scts": "2001011400",
    "err-code": "9",
    "client-ref": "ref-1",
    "message-timestamp": "2026-11-28 01:02:03",
    "timestamp": str(int(time.time())),
    "nonce": "a6f5d3c0",
}


@pytest.fixture(autouse=True)
def _fresh_receipt_timestamp():
    # A signed receipt older than signature_max_age (300 s) is refused as a replay, and a long
    # test run reaches these tests minutes after this module was imported.
    RECEIPT["timestamp"] = str(int(time.time()))


def independent_sig(params, secret, method):
    # Written from Vonage's "manually generate a signature" steps.
    text = ""
    for key in sorted(params):
        text += "&" + key + "=" + params[key].replace("&", "_").replace("=", "_")
    if method == "md5hash":
        return hashlib.md5((text + secret).encode(), usedforsecurity=False).hexdigest()
    return hmac.new(secret.encode(), text.encode(), getattr(hashlib, method)).hexdigest()


@pytest.mark.parametrize("method", ["md5hash", "md5", "sha1", "sha256", "sha512"])
def test_signed_receipts_are_accepted(method):
    params = RECEIPT | {"text": "a&b=c"}
    signed = params | {"sig": independent_sig(params, "sigsecret", method).upper()}
    request = RequestFactory().post("/status/", signed)

    make_backend(signature_secret="sigsecret", signature_method=method).validate_webhook(request)


def test_signed_receipts_can_come_by_get():
    signed = RECEIPT | {"sig": independent_sig(RECEIPT, "sigsecret", "sha256")}
    request = RequestFactory().get("/status/", signed)
    make_backend(signature_secret="sigsecret", signature_method="sha256").validate_webhook(request)


def test_a_wrong_signature_is_refused():
    signed = RECEIPT | {"sig": independent_sig(RECEIPT, "other", "md5hash")}
    request = RequestFactory().post("/status/", signed)
    with pytest.raises(WebhookAuthenticationFailed):
        make_backend(signature_secret="sigsecret").validate_webhook(request)


def test_an_old_signed_request_is_refused_as_a_replay():
    params = RECEIPT | {"timestamp": str(int(time.time()) - 3600)}
    signed = params | {"sig": independent_sig(params, "sigsecret", "md5hash")}
    backend = make_backend(signature_secret="sigsecret")
    with pytest.raises(WebhookAuthenticationFailed, match="too old"):
        backend.validate_webhook(RequestFactory().post("/status/", signed))
    make_backend(signature_secret="sigsecret", signature_max_age=None).validate_webhook(
        RequestFactory().post("/status/", signed)
    )


def test_without_signing_a_shared_token_is_checked():
    backend = make_backend(webhook_secret="tok3n")
    backend.validate_webhook(RequestFactory().post("/status/?token=tok3n", RECEIPT))
    with pytest.raises(WebhookAuthenticationFailed):
        backend.validate_webhook(RequestFactory().post("/status/?token=wrong", RECEIPT))


def test_without_any_secret_webhooks_are_refused():
    with pytest.raises(WebhookAuthenticationFailed, match="No webhook secret"):
        make_backend().validate_webhook(RequestFactory().post("/status/", RECEIPT))


def test_receipts_are_normalised():
    [report] = make_backend().parse_status_webhook(RequestFactory().post("/status/", RECEIPT))

    assert report.message_id == "0C00001"
    assert report.status == DeliveryStatus.FAILED
    assert (report.error_code, report.permanent, report.reason) == ("9", True, INVALID_NUMBER)
    assert report.timestamp.isoformat() == "2026-11-28T01:02:03+00:00"


def test_a_delivered_receipt_has_no_error():
    params = RECEIPT | {"status": "delivered", "err-code": "0"}
    [report] = make_backend().parse_status_webhook(RequestFactory().get("/status/", params))
    assert (report.status, report.error_code, report.reason) == ("delivered", "", "")


def test_receipts_can_be_json():
    request = RequestFactory().post("/status/", RECEIPT, content_type="application/json")
    [report] = make_backend().parse_status_webhook(request)
    assert report.message_id == "0C00001"


def test_inbound_messages_are_parsed():
    params = {
        "msisdn": "6281234567890",
        "to": "6289900000000",
        "messageId": "IN1",
        "text": "BERHENTI",
        "type": "text",
        "message-timestamp": "2026-11-28 01:02:03",
    }
    [inbound] = make_backend().parse_inbound_webhook(RequestFactory().get("/inbound/", params))
    assert (inbound.sender, inbound.body, inbound.message_id) == (
        "+6281234567890",
        "BERHENTI",
        "IN1",
    )
