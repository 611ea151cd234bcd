import base64
import hashlib
import hmac
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
import requests
import responses
from django.test import RequestFactory, override_settings

from wagtail_grantee_sms.backends import (
    INVALID_NUMBER,
    OPTED_OUT,
    DeliveryStatus,
    OutgoingSMS,
    SMSBackendError,
    WebhookAuthenticationFailed,
)
from wagtail_grantee_sms.backends.twilio import SMSBackend

API = "https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json"
MESSAGE = OutgoingSMS(to="+6281234567890", body="Rapat jam 3", reference="ref-1")


def make_backend(**options):
    return SMSBackend(
        alias="twilio",
        account_sid="AC123",
        auth_token="secret-token",
        from_number="+15005550006",
        **options,
    )


def sent_form(call):
    return {key: values[0] for key, values in parse_qs(call.request.body).items()}


@responses.activate
def test_sends_the_documented_request():
    responses.post(
        API,
        status=201,
        json={
            "sid": "SM1",
            "status": "queued",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
        },
    )

    [result] = make_backend().send_messages([MESSAGE])

    call = responses.calls[0]
    expected_auth = "Basic " + base64.b64encode(b"AC123:secret-token").decode()
    assert call.request.headers["Authorization"] == expected_auth
    assert sent_form(call) == {
        "To": "+6281234567890",
        "From": "+15005550006",
        "Body": "Rapat jam 3",
    }
    assert result.accepted
    assert result.message_id == "SM1"
    assert result.status == DeliveryStatus.ACCEPTED
    assert result.segments == 1
    assert result.price is None


@responses.activate
@override_settings(ROOT_URLCONF="tests.sms.webhook_urls")
def test_asks_for_status_reports_at_the_public_webhook_url():
    responses.post(API, status=201, json={"sid": "SM1", "status": "queued"})

    make_backend(webhook_base_url="https://ngo.example.org").send_messages([MESSAGE])

    callback = sent_form(responses.calls[0])["StatusCallback"]
    # With the client reference, which Twilio's reports do not echo (the URL is signed).
    assert callback == "https://ngo.example.org/grantee/sms/webhooks/twilio/status/?ref=ref-1"


@responses.activate
def test_unicode_text_goes_as_is_and_segments_come_from_twilio():
    responses.post(API, status=201, json={"sid": "SM2", "status": "queued", "num_segments": "2"})
    message = OutgoingSMS(to="+6281234567890", body="Selamat 🎉 " * 8)

    [result] = make_backend().send_messages([message])

    assert sent_form(responses.calls[0])["Body"] == message.body
    assert result.segments == 2


@responses.activate
@pytest.mark.parametrize(
    ("code", "reason"),
    [(21211, INVALID_NUMBER), (21614, INVALID_NUMBER), (21610, OPTED_OUT)],
)
def test_a_refused_number_is_a_permanent_failure_with_its_reason(code, reason):
    responses.post(API, status=400, json={"code": code, "message": "refused", "status": 400})
    backend = make_backend()

    [result] = backend.send_messages([MESSAGE])

    assert not result.accepted
    assert result.status == DeliveryStatus.FAILED
    assert result.permanent is True
    assert result.error_code == str(code)
    assert backend.failure_reason(result.error_code) == reason


@responses.activate
def test_bad_credentials_raise_and_keep_earlier_results():
    responses.post(API, status=201, json={"sid": "SM1", "status": "queued"})
    responses.post(API, status=401, json={"code": 20003, "message": "Authenticate"})
    second = OutgoingSMS(to="+6281111111111", body="x")

    with pytest.raises(SMSBackendError, match="refused the credentials") as raised:
        make_backend().send_messages([MESSAGE, second])

    assert [r.message_id for r in raised.value.results] == ["SM1"]


@responses.activate
def test_fail_silently_turns_a_network_error_into_transient_failures():
    responses.post(API, body=requests.ConnectionError("down"))
    backend = make_backend()
    backend.fail_silently = True

    results = backend.send_messages([MESSAGE, MESSAGE])

    assert [(r.accepted, r.permanent, r.error_code) for r in results] == [
        (False, False, "backend_error")
    ] * 2
    assert "+6281234567890" not in results[0].error_message


@responses.activate
def test_a_batch_shares_one_session():
    responses.post(API, status=201, json={"sid": "SM1", "status": "queued"})
    backend = make_backend()

    with backend:
        session = backend.session
        backend.send_messages([MESSAGE])
        backend.send_messages([MESSAGE])
        assert backend.session is session
    assert backend.session is None
    assert len(responses.calls) == 2


@responses.activate
def test_price_is_positive_decimal():
    responses.post(
        API,
        status=201,
        json={"sid": "SM1", "status": "sent", "price": "-0.07500", "price_unit": "usd"},
    )

    [result] = make_backend().send_messages([MESSAGE])

    assert (result.price, result.currency, result.status) == (Decimal("0.07500"), "USD", "sent")


# -- webhooks ---------------------------------------------------------------------------


def twilio_signature(url, params):
    token = make_backend().auth_token
    signed = url + "".join(key + params[key] for key in sorted(params))
    return base64.b64encode(
        hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()
    ).decode()


STATUS = {
    "MessageSid": "SM1",
    "MessageStatus": "undelivered",
    "ErrorCode": "30006",
    "To": "+6281234567890",
    "AccountSid": "AC123",
}


def signed_post(url, params, **extra):
    path = url.split("testserver", 1)[1]
    return RequestFactory().post(
        path, params, HTTP_X_TWILIO_SIGNATURE=twilio_signature(url, params), **extra
    )


def test_a_correctly_signed_webhook_is_accepted():
    request = signed_post("http://testserver/sms/twilio/status/?alias=twilio", STATUS)
    make_backend().validate_webhook(request)


def test_a_tampered_webhook_is_refused():
    request = signed_post("http://testserver/sms/twilio/status/", STATUS)
    request.POST = request.POST.copy()
    request.POST["MessageStatus"] = "delivered"
    with pytest.raises(WebhookAuthenticationFailed):
        make_backend().validate_webhook(request)


def test_an_unsigned_webhook_is_refused():
    request = RequestFactory().post("/sms/twilio/status/", STATUS)
    with pytest.raises(WebhookAuthenticationFailed):
        make_backend().validate_webhook(request)


def test_behind_a_proxy_the_public_url_is_signed():
    # Twilio signed the public https URL; Django sees http on an internal host.
    signature = twilio_signature("https://ngo.example.org/sms/twilio/status/", STATUS)
    request = RequestFactory().post(
        "/sms/twilio/status/", STATUS, HTTP_X_TWILIO_SIGNATURE=signature
    )
    with pytest.raises(WebhookAuthenticationFailed):
        make_backend().validate_webhook(request)
    make_backend(webhook_base_url="https://ngo.example.org/").validate_webhook(request)
    with override_settings(WAGTAIL_GRANTEE_SMS={"WEBHOOK_BASE_URL": "https://ngo.example.org"}):
        make_backend().validate_webhook(request)


def test_a_signature_over_the_url_with_its_default_port_is_accepted():
    signature = twilio_signature("https://ngo.example.org:443/sms/twilio/status/", STATUS)
    request = RequestFactory().post(
        "/sms/twilio/status/", STATUS, HTTP_X_TWILIO_SIGNATURE=signature
    )
    make_backend(webhook_base_url="https://ngo.example.org").validate_webhook(request)


def test_status_reports_are_normalised_with_reasons():
    request = RequestFactory().post("/status/", STATUS)

    [report] = make_backend().parse_status_webhook(request)

    assert report.message_id == "SM1"
    assert report.status == DeliveryStatus.FAILED
    assert (report.error_code, report.permanent, report.reason) == ("30006", True, INVALID_NUMBER)
    assert report.raw["AccountSid"] == "AC123"


@pytest.mark.parametrize(
    ("twilio_status", "status"),
    [("queued", "accepted"), ("sent", "sent"), ("delivered", "delivered"), ("failed", "failed")],
)
def test_status_values(twilio_status, status):
    request = RequestFactory().post(
        "/status/", {"MessageSid": "SM1", "MessageStatus": twilio_status}
    )
    [report] = make_backend().parse_status_webhook(request)
    assert report.status == status
    assert report.reason == ""


def test_an_unreachable_handset_is_worth_a_retry():
    request = RequestFactory().post(
        "/status/", {"MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "30003"}
    )
    [report] = make_backend().parse_status_webhook(request)
    assert (report.permanent, report.reason) == (False, "")


def test_inbound_messages_are_parsed_and_answered_with_empty_twiml():
    request = RequestFactory().post(
        "/inbound/",
        {"MessageSid": "SM9", "From": "+6281234567890", "To": "+15005550006", "Body": "STOP"},
    )
    backend = make_backend()

    [inbound] = backend.parse_inbound_webhook(request)
    response = backend.webhook_response("inbound")

    assert (inbound.sender, inbound.body, inbound.message_id) == ("+6281234567890", "STOP", "SM9")
    assert response["Content-Type"] == "text/xml"
    assert b"<Response></Response>" in response.content
