import pytest
from django.test import override_settings

import wagtail_grantee_sms
from wagtail_grantee_sms.backends import (
    DeliveryStatus,
    InvalidBackendError,
    OutgoingSMS,
    get_backend,
    get_backend_settings,
    locmem,
)
from wagtail_grantee_sms.backends.console import SMSBackend as ConsoleBackend


def sms_settings(**backends):
    return override_settings(WAGTAIL_GRANTEE_SMS={"BACKENDS": backends})


def test_the_default_backend_is_the_console():
    assert isinstance(get_backend(), ConsoleBackend)


def test_backend_settings_get_defaults():
    with sms_settings(
        bulk={"BACKEND": "wagtail_grantee_sms.backends.locmem.SMSBackend", "RATE_LIMIT": 5}
    ):
        config = get_backend_settings("bulk")
    assert config["RATE_LIMIT"] == 5
    assert config["OPTIONS"] == {}
    assert config["MAX_ATTEMPTS"] == 5
    assert config["PRICE_PER_SEGMENT"] is None


def test_named_backends_are_made_with_their_alias():
    with sms_settings(
        default={"BACKEND": "wagtail_grantee_sms.backends.console.SMSBackend"},
        tests={"BACKEND": "wagtail_grantee_sms.backends.locmem.SMSBackend"},
    ):
        backend = get_backend("tests", fail_silently=True)
    assert isinstance(backend, locmem.SMSBackend)
    assert backend.alias == "tests"
    assert backend.fail_silently is True


def test_an_unknown_alias_is_a_clear_error():
    with pytest.raises(InvalidBackendError, match="no SMS backend 'bulk'"):
        get_backend("bulk")


def test_a_bad_dotted_path_is_a_clear_error():
    with (
        sms_settings(default={"BACKEND": "wagtail_grantee_sms.backends.nope.SMSBackend"}),
        pytest.raises(InvalidBackendError, match="Could not import SMS backend"),
    ):
        get_backend()


def test_a_class_that_is_not_a_backend_is_refused():
    with (
        sms_settings(default={"BACKEND": "wagtail_grantee_sms.encoding.Measurement"}),
        pytest.raises(InvalidBackendError, match="not an SMS backend class"),
    ):
        get_backend()


def test_an_unknown_option_is_a_clear_error():
    with (
        sms_settings(
            default={
                "BACKEND": "wagtail_grantee_sms.backends.locmem.SMSBackend",
                "OPTIONS": {"acount_sid": "x"},
            }
        ),
        pytest.raises(InvalidBackendError, match="does not take the option.*acount_sid"),
    ):
        get_backend()


def test_options_can_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SMS_TEST_SECRET", "s3cret")
    with sms_settings(
        default={
            "BACKEND": "wagtail_grantee_sms.backends.locmem.SMSBackend",
            "OPTIONS": {"webhook_secret": {"env": "SMS_TEST_SECRET"}},
        }
    ):
        assert get_backend().webhook_secret == "s3cret"


def test_options_inside_dict_options_can_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("GATEWAY_PASSWORD", "pw")
    with sms_settings(
        default={
            "BACKEND": "wagtail_grantee_sms.backends.http.SMSBackend",
            "OPTIONS": {
                "url": "https://gw.example.co.id/send",
                "params": {"pass": {"env": "GATEWAY_PASSWORD"}, "to": "{to}"},
            },
        }
    ):
        assert get_backend().params == {"pass": "pw", "to": "{to}"}


def test_a_missing_environment_variable_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("SMS_TEST_SECRET", raising=False)
    with (
        sms_settings(
            default={
                "BACKEND": "wagtail_grantee_sms.backends.locmem.SMSBackend",
                "OPTIONS": {"webhook_secret": {"env": "SMS_TEST_SECRET"}},
            }
        ),
        pytest.raises(InvalidBackendError, match="SMS_TEST_SECRET, which is not set"),
    ):
        get_backend()


def test_locmem_keeps_sent_messages_in_the_outbox():
    message = OutgoingSMS(to="+6281234567890", body="Rapat jam 3", reference="r1")

    with locmem.SMSBackend() as backend:
        [result] = backend.send_messages([message])

    assert wagtail_grantee_sms.outbox == [message]
    assert result.accepted
    assert result.status == DeliveryStatus.ACCEPTED
    assert result.message_id
    assert result.segments == 1


def test_locmem_fails_a_number_it_was_told_to_fail(sms_outbox):
    locmem.fail("+6281111111111", code="21610", message="Unsubscribed", permanent=True)
    ok = OutgoingSMS(to="+6281234567890", body="Halo")
    refused = OutgoingSMS(to="+6281111111111", body="Halo")

    results = locmem.SMSBackend().send_messages([refused, ok])

    assert [r.accepted for r in results] == [False, True]
    assert results[0].status == DeliveryStatus.FAILED
    assert (results[0].error_code, results[0].error_message) == ("21610", "Unsubscribed")
    assert results[0].permanent is True
    assert sms_outbox == [ok]


def test_locmem_failures_are_forgotten_between_tests(sms_outbox):
    # test_locmem_fails_a_number_it_was_told_to_fail failed this number; the fixture reset it.
    [result] = locmem.SMSBackend().send_messages([OutgoingSMS(to="+6281111111111", body="x")])
    assert result.accepted
    assert len(sms_outbox) == 1


def test_statuses_never_move_backwards_by_rank():
    order = [DeliveryStatus.rank(status) for status in DeliveryStatus]
    assert order == sorted(order)
    assert DeliveryStatus.rank("delivered") > DeliveryStatus.rank("sent")
    assert {DeliveryStatus.DELIVERED, DeliveryStatus.FAILED} == DeliveryStatus.FINAL


def test_console_prints_the_message(capsys):
    message = OutgoingSMS(to="+6281234567890", body="Rapat jam 3")

    [result] = get_backend().send_messages([message])

    printed = capsys.readouterr().out
    assert "+6281234567890" in printed
    assert "Rapat jam 3" in printed
    assert result.message_id in printed
    assert result.accepted
