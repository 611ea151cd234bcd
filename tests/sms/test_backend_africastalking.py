from decimal import Decimal
from urllib.parse import parse_qs

import pytest
import responses
from django.test import RequestFactory

from wagtail_grantee_sms.backends import (
    INVALID_NUMBER,
    OPTED_OUT,
    DeliveryStatus,
    OutgoingSMS,
    SMSBackendError,
    WebhookAuthenticationFailed,
)
from wagtail_grantee_sms.backends.africastalking import API_URL, SANDBOX_API_URL, SMSBackend

MESSAGE = OutgoingSMS(to="+254711000000", body="Mkutano saa tisa", reference="ref-1")


def make_backend(**options):
    return SMSBackend(alias="at", username="ngo", api_key="atkey", **options)


def reply(status_code=101, status="Success", cost="KES 0.8000", message_id="ATXid_1"):
    return {
        "SMSMessageData": {
            "Message": "Sent to 1/1 Total Cost: KES 0.8000",
            "Recipients": [
                {
                    "statusCode": status_code,
                    "number": "+254711000000",
                    "status": status,
                    "cost": cost,
                    "messageId": message_id,
                }
            ],
        }
    }


@responses.activate
def test_sends_the_documented_request():
    responses.post(API_URL, status=201, json=reply())

    [result] = make_backend(from_number="NGO").send_messages([MESSAGE])

    request = responses.calls[0].request
    assert request.headers["apiKey"] == "atkey"
    assert request.headers["Accept"] == "application/json"
    assert {k: v[0] for k, v in parse_qs(request.body).items()} == {
        "username": "ngo",
        "to": "+254711000000",
        "message": "Mkutano saa tisa",
        "from": "NGO",
        "enqueue": "1",
    }
    assert result.accepted
    assert (result.message_id, result.status) == ("ATXid_1", DeliveryStatus.SENT)
    assert (result.price, result.currency) == (Decimal("0.8000"), "KES")


@responses.activate
def test_the_sandbox_has_its_own_url():
    responses.post(SANDBOX_API_URL, status=201, json=reply(status_code=102, status="Queued"))
    [result] = make_backend(sandbox=True).send_messages([MESSAGE])
    assert result.status == DeliveryStatus.ACCEPTED


@responses.activate
@pytest.mark.parametrize(
    ("code", "status", "permanent", "reason"),
    [
        (403, "InvalidPhoneNumber", True, INVALID_NUMBER),
        (406, "UserInBlacklist", True, OPTED_OUT),
        (405, "InsufficientBalance", False, ""),
        (501, "GatewayError", False, ""),
    ],
)
def test_refused_recipients(code, status, permanent, reason):
    responses.post(API_URL, status=201, json=reply(status_code=code, status=status, cost="0"))
    backend = make_backend()

    [result] = backend.send_messages([MESSAGE])

    assert (result.accepted, result.error_code, result.error_message) == (False, str(code), status)
    assert result.permanent is permanent
    assert backend.failure_reason(result.error_code) == reason


@responses.activate
def test_a_wrong_api_key_raises():
    responses.post(API_URL, status=401, body="The supplied authentication is invalid")
    with pytest.raises(SMSBackendError, match="refused the credentials"):
        make_backend().send_messages([MESSAGE])


@responses.activate
def test_an_unreadable_reply_raises():
    responses.post(API_URL, status=201, body="<html>oops</html>")
    with pytest.raises(SMSBackendError, match="not JSON"):
        make_backend().send_messages([MESSAGE])


def test_webhooks_need_the_shared_secret():
    backend = make_backend(webhook_secret="s3cret")
    backend.validate_webhook(RequestFactory().post("/status/", {}, HTTP_X_WEBHOOK_TOKEN="s3cret"))
    backend.validate_webhook(
        RequestFactory().post("/status/", {}, HTTP_AUTHORIZATION="Basic YXQ6czNjcmV0")  # at:s3cret
    )
    with pytest.raises(WebhookAuthenticationFailed):
        backend.validate_webhook(RequestFactory().post("/status/", {}))
    with pytest.raises(WebhookAuthenticationFailed):
        backend.validate_webhook(
            RequestFactory().post("/status/", {}, HTTP_AUTHORIZATION="Basic YXQ6d3Jvbmc=")
        )


@pytest.mark.parametrize(
    ("params", "status", "permanent", "reason"),
    [
        ({"status": "Success"}, "delivered", False, ""),
        ({"status": "Buffered"}, "sent", False, ""),
        ({"status": "Failed", "failureReason": "UserInBlackList"}, "failed", True, OPTED_OUT),
        (
            {"status": "Rejected", "failureReason": "UserDoesNotExist"},
            "failed",
            True,
            INVALID_NUMBER,
        ),
        ({"status": "Failed", "failureReason": "InsufficientCredit"}, "failed", False, ""),
    ],
)
def test_delivery_reports(params, status, permanent, reason):
    request = RequestFactory().post(
        "/status/", {"id": "ATXid_1", "phoneNumber": "+254711000000"} | params
    )
    [report] = make_backend().parse_status_webhook(request)
    assert (report.message_id, report.status, report.permanent, report.reason) == (
        "ATXid_1",
        status,
        permanent,
        reason,
    )


def test_inbound_messages():
    request = RequestFactory().post(
        "/inbound/",
        {
            "from": "+254711000000",
            "to": "22384",
            "text": "STOP",
            "date": "2026-11-28 01:02:03",
            "id": "in1",
            "linkId": "l",
        },
    )
    [inbound] = make_backend().parse_inbound_webhook(request)
    assert (inbound.sender, inbound.body, inbound.to) == ("+254711000000", "STOP", "22384")
    assert inbound.received_at.isoformat() == "2026-11-28T01:02:03+00:00"
