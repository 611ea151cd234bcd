import json
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.test import RequestFactory

from wagtail_grantee_sms.backends import DeliveryStatus, InvalidBackendError, OutgoingSMS
from wagtail_grantee_sms.backends.http import SMSBackend

URL = "https://sms.example.co.id/api/send"
MESSAGE = OutgoingSMS(to="+6281234567890", body="Rapat jam 3", reference="r1", sender="NGO")


def make_backend(**options):
    return SMSBackend(alias="local", url=URL, **options)


@responses.activate
def test_get_with_the_parameters_in_the_query_string():
    responses.get(URL, body="OK 4711")
    backend = make_backend(
        method="get",
        params_in="query",
        params={"user": "ngo", "to": "{to_local}", "text": "{body}", "u": "{unicode}", "n": 1},
        success_regex=r"^OK",
        message_id_regex=r"^OK (\S+)",
    )

    [result] = backend.send_messages([MESSAGE])

    query = parse_qs(urlsplit(responses.calls[0].request.url).query)
    assert query == {
        "user": ["ngo"],
        "to": ["081234567890"],
        "text": ["Rapat jam 3"],
        "u": ["0"],
        "n": ["1"],
    }
    assert (result.accepted, result.message_id) == (True, "4711")


@responses.activate
def test_json_post_with_unicode_params_headers_and_basic_auth():
    responses.post(URL, json={"result": {"status": "queued", "id": 99}})
    backend = make_backend(
        params_in="json",
        params={
            "msisdn": "{to_digits}",
            "message": "{body}",
            "from": "{sender}",
            "ref": "{reference}",
        },
        unicode_params={"coding": "ucs2"},
        headers={"X-Api-Key": "k"},
        username="ngo",
        password="pw",
        success_json_path="result.status",
        success_json_value="queued",
        message_id_json_path="result.id",
    )
    message = OutgoingSMS(to="+6281234567890", body="Terima kasih 🙏", reference="r2")

    [result] = backend.send_messages([message])

    request = responses.calls[0].request
    assert json.loads(request.body) == {
        "msisdn": "6281234567890",
        "message": "Terima kasih 🙏",
        "from": "",
        "ref": "r2",
        "coding": "ucs2",
    }
    assert request.headers["X-Api-Key"] == "k"
    assert request.headers["Authorization"].startswith("Basic ")
    assert (result.accepted, result.message_id, result.segments) == (True, "99", 1)


@responses.activate
def test_a_reply_that_fails_the_success_check_is_a_permanent_failure_with_the_number_masked():
    responses.post(URL, body="ERR invalid destination 6281234567890")
    [result] = make_backend(success_regex="^OK").send_messages([MESSAGE])
    assert (result.accepted, result.permanent) == (False, True)
    assert "6281234567890" not in result.error_message
    assert "*******" in result.error_message


@responses.activate
def test_a_transient_reply_is_worth_a_retry():
    responses.post(URL, body="ERR system busy")
    [result] = make_backend(success_regex="^OK", transient_regex="busy").send_messages([MESSAGE])
    assert (result.accepted, result.permanent) == (False, False)


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"method": "PUT"}, "method must be one of"),
        ({"params_in": "xml"}, "params_in must be one of"),
        ({"params": {"to": "{number}"}}, "unknown placeholder"),
        ({"success_regex": "("}, "not a valid regular expression"),
        ({"status_values": {"DELIVRD": "done"}}, "unknown statuses"),
    ],
)
def test_mistakes_in_the_configuration_are_clear_errors(options, problem):
    with pytest.raises(InvalidBackendError, match=problem):
        make_backend(**options)


def test_status_and_inbound_webhooks_from_configured_fields():
    backend = make_backend(
        status_fields={"message_id": "smsid", "status": "stat", "error_code": "err"},
        status_values={"DELIVRD": "delivered", "UNDELIV": "failed"},
        inbound_fields={"sender": "msisdn", "body": "msg"},
        webhook_secret="s",
    )
    assert backend.receives_webhooks

    [report] = backend.parse_status_webhook(
        RequestFactory().get("/status/", {"smsid": "4711", "stat": "UNDELIV", "err": "34"})
    )
    [inbound] = backend.parse_inbound_webhook(
        RequestFactory().post("/inbound/", {"msisdn": "081234567890", "msg": "STOP"})
    )

    assert (report.message_id, report.status, report.error_code) == (
        "4711",
        DeliveryStatus.FAILED,
        "34",
    )
    assert (inbound.sender, inbound.body) == ("+6281234567890", "STOP")


def test_without_fields_there_are_no_webhooks():
    backend = make_backend()
    assert not backend.receives_webhooks
    with pytest.raises(NotImplementedError):
        backend.parse_inbound_webhook(RequestFactory().post("/inbound/", {}))
