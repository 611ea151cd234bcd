from decimal import Decimal
from urllib.parse import parse_qs

import pytest
import responses

from wagtail_grantee_sms.backends import OutgoingSMS, SMSBackendError
from wagtail_grantee_sms.backends.zenziva import API_URL, SMSBackend

MESSAGE = OutgoingSMS(to="+6281234567890", body="Rapat desa jam 3", reference="ref-1")


def make_backend(**options):
    return SMSBackend(alias="zenziva", userkey="uk", passkey="pk", **options)


@responses.activate
def test_sends_the_documented_request():
    responses.post(
        API_URL,
        json={
            "messageId": "123",
            "to": "6281234567890",
            "status": "1",
            "text": "Success",
            "cost": 300,
        },
    )

    [result] = make_backend().send_messages([MESSAGE])

    assert {k: v[0] for k, v in parse_qs(responses.calls[0].request.body).items()} == {
        "userkey": "uk",
        "passkey": "pk",
        "to": "6281234567890",
        "message": "Rapat desa jam 3",
    }
    assert (result.accepted, result.message_id) == (True, "123")
    assert (result.price, result.currency, result.segments) == (Decimal(300), "IDR", 1)


@responses.activate
def test_a_refusal_keeps_zenzivas_text():
    responses.post(API_URL, json={"status": "0", "text": "Nomor tujuan tidak valid"})
    [result] = make_backend().send_messages([MESSAGE])
    assert (result.accepted, result.error_code, result.permanent) == (False, "0", True)
    assert result.error_message == "Nomor tujuan tidak valid"


@responses.activate
def test_a_refusal_for_lack_of_credit_is_transient():
    responses.post(API_URL, json={"status": "0", "text": "Saldo tidak mencukupi"})
    [result] = make_backend().send_messages([MESSAGE])
    assert (result.accepted, result.permanent) == (False, False)


@responses.activate
def test_wrong_keys_raise():
    responses.post(API_URL, json={"status": "0", "text": "Invalid userkey or passkey"})
    with pytest.raises(SMSBackendError, match="userkey/passkey"):
        make_backend().send_messages([MESSAGE])


def test_zenziva_calls_no_webhooks():
    backend = make_backend()
    assert backend.receives_webhooks is False
    with pytest.raises(NotImplementedError):
        backend.parse_status_webhook(None)
