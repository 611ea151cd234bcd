"""What every HTTP backend raises when a send goes wrong as a whole, and whether the message
may have gone out all the same (``SMSBackendError.maybe_sent``): the pipeline retries only
what certainly did not reach the provider."""

import pytest
import requests
import responses
from urllib3.exceptions import ReadTimeoutError

from wagtail_grantee_sms.backends import (
    BaseSMSBackend,
    OutgoingSMS,
    SMSBackendError,
    africastalking,
    gammu,
    http,
    locmem,
    twilio,
    vonage,
    zenziva,
)

MESSAGE = OutgoingSMS(to="+6281234567890", body="Rapat jam 3", reference="ref-1")
URL = "https://gateway.example.org/send"


def make(kind, url, **options):
    """A backend of ``kind`` that sends to ``url``."""
    options.setdefault("timeout", 0.3)
    if kind == "twilio":
        return twilio.SMSBackend(account_sid="AC1", auth_token="t", api_url=url, **options)
    if kind == "vonage":
        return vonage.SMSBackend(
            api_key="k", api_secret="s", from_number="NGO", api_url=url, **options
        )
    if kind == "africastalking":
        return africastalking.SMSBackend(username="ngo", api_key="k", api_url=url, **options)
    if kind == "zenziva":
        return zenziva.SMSBackend(userkey="u", passkey="p", api_url=url, **options)
    return http.SMSBackend(url=url, **options)


HTTP_BACKENDS = ["twilio", "vonage", "africastalking", "zenziva", "http"]


def send_and_catch(backend):
    with pytest.raises(SMSBackendError) as raised:
        backend.send_messages([MESSAGE])
    return raised.value


@pytest.mark.parametrize("kind", HTTP_BACKENDS)
def test_a_refused_connection_certainly_sent_nothing(kind, refusing_url):
    error = send_and_catch(make(kind, refusing_url))

    assert "ConnectionError talking to 127.0.0.1" in str(error)
    assert error.maybe_sent is False


@pytest.mark.parametrize("kind", HTTP_BACKENDS)
def test_a_read_timeout_may_have_sent_the_message(kind, silent_gateway):
    error = send_and_catch(make(kind, silent_gateway.url))

    assert "ReadTimeout" in str(error)
    assert error.maybe_sent is True
    assert silent_gateway.requests() == 1


@responses.activate
@pytest.mark.parametrize("kind", HTTP_BACKENDS)
def test_a_connect_timeout_certainly_sent_nothing(kind):
    responses.post(URL, body=requests.ConnectTimeout("connect timed out"))

    assert send_and_catch(make(kind, URL)).maybe_sent is False


@responses.activate
@pytest.mark.parametrize("kind", HTTP_BACKENDS)
@pytest.mark.parametrize(
    ("status", "text", "maybe_sent"),
    [
        (401, "refused the credentials", False),
        (403, "refused the credentials", False),
        (429, "too many requests", False),
        (500, "server error 500", True),
        (503, "server error 503", True),
    ],
)
def test_a_refusal_of_the_whole_request(kind, status, text, maybe_sent):
    responses.post(URL, status=status, json={})

    error = send_and_catch(make(kind, URL))

    assert text in str(error)
    assert error.maybe_sent is maybe_sent


@responses.activate
def test_a_stalled_reply_body_may_have_sent_the_message():
    # requests raises a read timeout in the body as a ConnectionError, as it does a refusal.
    stalled = ReadTimeoutError(None, URL, "Read timed out.")
    responses.post(URL, body=requests.ConnectionError(stalled))

    assert send_and_catch(make("http", URL)).maybe_sent is True


@responses.activate
def test_an_unreadable_reply_may_have_sent_the_message():
    responses.post(URL, status=201, body="<html>")

    assert send_and_catch(make("twilio", URL)).maybe_sent is True


@responses.activate
@pytest.mark.parametrize(
    ("kind", "reply"),
    [
        ("vonage", {"messages": [{"status": "4", "error-text": "Bad Credentials"}]}),
        ("zenziva", {"status": "0", "text": "Userkey atau passkey salah"}),
    ],
)
def test_credentials_refused_in_the_reply_certainly_sent_nothing(kind, reply):
    responses.post(URL, json=reply)

    assert send_and_catch(make(kind, URL)).maybe_sent is False


@responses.activate
def test_fail_silently_turns_throttling_into_transient_failures():
    responses.post(URL, status=429)
    backend = make("http", URL)
    backend.fail_silently = True

    results = backend.send_messages([MESSAGE, MESSAGE])

    assert [(r.accepted, r.permanent, r.error_code) for r in results] == [
        (False, False, "backend_error")
    ] * 2
    assert len(responses.calls) == 1  # the batch stopped at the first refusal


def test_an_unwritable_gammu_outbox_sent_nothing(tmp_path):
    backend = gammu.SMSBackend(outbox_path=str(tmp_path / "missing"))

    assert send_and_catch(backend).maybe_sent is False


def test_no_provider_deduplicates_client_references():
    backends = [twilio, vonage, africastalking, zenziva, http, gammu]

    assert BaseSMSBackend.idempotent_references is False
    assert not any(module.SMSBackend.idempotent_references for module in backends)


def test_locmem_can_deduplicate_client_references_like_such_a_provider(sms_outbox):
    backend = locmem.SMSBackend(idempotent_references=True)

    [first] = backend.send_messages([MESSAGE])
    [again] = backend.send_messages([MESSAGE])

    assert backend.idempotent_references is True
    assert sms_outbox == [MESSAGE]
    assert again.message_id == first.message_id

    locmem.SMSBackend().send_messages([MESSAGE])  # without the option, like other providers
    assert sms_outbox == [MESSAGE, MESSAGE]
