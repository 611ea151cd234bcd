"""No full phone number in a log line, whatever a backend does."""

import logging

import pytest
import requests
import responses

from wagtail_grantee_sms.backends import (
    OutgoingSMS,
    SMSBackendError,
    africastalking,
    gammu,
    http,
    twilio,
    vonage,
    zenziva,
)

NUMBER = "+6281234567890"
MESSAGE = OutgoingSMS(to=NUMBER, body="Rapat jam 3", reference="r1")
TWILIO_API = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json"


def assert_no_number_logged(caplog):
    assert caplog.records, "the backend logged nothing: this test proves nothing"
    text = caplog.text
    assert NUMBER not in text
    assert NUMBER.lstrip("+") not in text
    assert "081234567890" not in text


@responses.activate
@pytest.mark.parametrize(
    ("backend", "url", "reply"),
    [
        (twilio.SMSBackend(account_sid="AC1", auth_token="t"), TWILIO_API, {"sid": "SM1"}),
        (
            twilio.SMSBackend(account_sid="AC1", auth_token="t"),
            TWILIO_API,
            {"code": 21211, "message": f"The 'To' number {NUMBER} is not valid."},
        ),
        (
            vonage.SMSBackend(api_key="k", api_secret="s", from_number="NGO"),
            vonage.API_URL,
            {"messages": [{"status": "6", "error-text": f"Invalid number {NUMBER[1:]}"}]},
        ),
        (
            africastalking.SMSBackend(username="u", api_key="k"),
            africastalking.API_URL,
            {"SMSMessageData": {"Recipients": [{"statusCode": 403, "number": NUMBER}]}},
        ),
        (
            zenziva.SMSBackend(userkey="u", passkey="p"),
            zenziva.API_URL,
            {"status": "0", "text": f"Nomor {NUMBER[1:]} tidak valid"},
        ),
    ],
)
def test_http_backends_log_masked_numbers(caplog, backend, url, reply):
    status = 400 if "code" in reply else 200
    responses.post(url, json=reply, status=status)
    caplog.set_level(logging.DEBUG)

    [result] = backend.send_messages([MESSAGE])

    assert_no_number_logged(caplog)
    assert NUMBER.lstrip("+") not in result.error_message


@responses.activate
def test_a_get_gateway_that_fails_names_its_host_not_its_url(caplog):
    backend = http.SMSBackend(
        url="https://gw.example.co.id/send",
        method="GET",
        params_in="query",
        params={"to": "{to_local}", "text": "{body}"},
    )
    responses.get("https://gw.example.co.id/send", body=requests.ConnectionError("refused"))
    caplog.set_level(logging.DEBUG)

    with pytest.raises(SMSBackendError) as raised:
        backend.send_messages([MESSAGE])

    assert "gw.example.co.id" in str(raised.value)
    assert "0812" not in str(raised.value)
    assert_no_number_logged(caplog)


def test_gammu_logs_masked_numbers(caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    gammu.SMSBackend(outbox_path=str(tmp_path)).send_messages([MESSAGE])
    assert_no_number_logged(caplog)
