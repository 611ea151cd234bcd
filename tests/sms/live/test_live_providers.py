"""Sends real messages through real providers. Never in CI: each test is skipped unless its
credentials are in the environment, e.g.

    SMS_LIVE_TO=+62812… TWILIO_ACCOUNT_SID=AC… TWILIO_AUTH_TOKEN=… TWILIO_FROM=+1… \\
        .venv/bin/pytest tests/sms/live -m live

Twilio's test credentials work too (TWILIO_FROM=+15005550006, no message is delivered).
"""

import os

import pytest

from wagtail_grantee_sms.backends import (
    DeliveryStatus,
    OutgoingSMS,
    africastalking,
    twilio,
    vonage,
    zenziva,
)

pytestmark = pytest.mark.live

BODY = "wagtail-grantee live test: Halo dari Indonesia 🙏"


def environment(*names):
    missing = [name for name in ("SMS_LIVE_TO", *names) if not os.environ.get(name)]
    if missing:
        pytest.skip("set " + ", ".join(missing) + " to run this live test")
    return [os.environ[name] for name in names]


def send_one(backend):
    with backend:
        [result] = backend.send_messages([OutgoingSMS(to=os.environ["SMS_LIVE_TO"], body=BODY)])
    return result


def test_twilio_accepts_a_message():
    sid, token, sender = environment("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM")
    result = send_one(twilio.SMSBackend(account_sid=sid, auth_token=token, from_number=sender))
    assert result.accepted, result.error_message
    assert result.message_id.startswith("SM")


def test_twilio_refuses_an_invalid_number_permanently():
    sid, token, sender = environment("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM")
    backend = twilio.SMSBackend(account_sid=sid, auth_token=token, from_number=sender)
    # Twilio's documented magic number for "invalid To" (with test credentials).
    [result] = backend.send_messages([OutgoingSMS(to="+15005550001", body=BODY)])
    assert (result.accepted, result.error_code, result.permanent) == (False, "21211", True)


def test_vonage_accepts_a_unicode_message():
    key, secret, sender = environment("VONAGE_API_KEY", "VONAGE_API_SECRET", "VONAGE_FROM")
    result = send_one(vonage.SMSBackend(api_key=key, api_secret=secret, from_number=sender))
    assert result.accepted, result.error_message


def test_africastalking_sandbox_accepts_a_message():
    (api_key,) = environment("AT_SANDBOX_API_KEY")
    backend = africastalking.SMSBackend(username="sandbox", api_key=api_key, sandbox=True)
    result = send_one(backend)
    assert result.accepted, result.error_message
    assert result.status in (DeliveryStatus.ACCEPTED, DeliveryStatus.SENT)


def test_zenziva_accepts_a_message():
    userkey, passkey = environment("ZENZIVA_USERKEY", "ZENZIVA_PASSKEY")
    result = send_one(zenziva.SMSBackend(userkey=userkey, passkey=passkey))
    assert result.accepted, result.error_message
