import pytest
from django.core.checks import run_checks
from django.test import override_settings

TWILIO = "wagtail_grantee_sms.backends.twilio.SMSBackend"
VONAGE = "wagtail_grantee_sms.backends.vonage.SMSBackend"
LOCMEM = "wagtail_grantee_sms.backends.locmem.SMSBackend"


BACKEND_CHECKS = {
    f"wagtail_grantee_sms.{id_}" for id_ in ("E010", "E011", "E012", "E013", "E014", "W010", "W020")
}


def backend_check_ids(**backends):
    """The backend checks' findings, id → message, for these BACKENDS."""
    with override_settings(WAGTAIL_GRANTEE_SMS={"BACKENDS": backends}):
        return {m.id: m.msg for m in run_checks() if m.id in BACKEND_CHECKS}


def test_the_default_configuration_is_clean():
    with override_settings(WAGTAIL_GRANTEE_SMS={}):
        assert not [m for m in run_checks() if m.id in BACKEND_CHECKS]


def test_a_missing_default_backend_is_an_error():
    assert "wagtail_grantee_sms.E010" in backend_check_ids(bulk={"BACKEND": LOCMEM})


def test_a_backend_without_dotted_path_is_an_error():
    assert "wagtail_grantee_sms.E010" in backend_check_ids(default={"OPTIONS": {}})


def test_a_bad_dotted_path_is_an_error():
    found = backend_check_ids(
        default={"BACKEND": "wagtail_grantee_sms.backends.twillio.SMSBackend"}
    )
    assert "twillio" in found["wagtail_grantee_sms.E011"]


def test_missing_options_are_an_error():
    found = backend_check_ids(default={"BACKEND": TWILIO, "OPTIONS": {"account_sid": "AC1"}})
    assert "auth_token" in found["wagtail_grantee_sms.E012"]


def test_an_unset_environment_variable_is_an_error(monkeypatch):
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    found = backend_check_ids(
        default={
            "BACKEND": TWILIO,
            "OPTIONS": {"account_sid": "AC1", "auth_token": {"env": "TWILIO_AUTH_TOKEN"}},
        }
    )
    assert "TWILIO_AUTH_TOKEN" in found["wagtail_grantee_sms.E013"]


def test_a_set_environment_variable_is_fine(monkeypatch):
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "t")
    found = backend_check_ids(
        default={
            "BACKEND": TWILIO,
            "OPTIONS": {"account_sid": "AC1", "auth_token": {"env": "TWILIO_AUTH_TOKEN"}},
        }
    )
    assert found == {}


@pytest.mark.parametrize(
    "setting",
    [{"RATE_LIMIT": 0}, {"RATE_LIMIT": "fast"}, {"MAX_ATTEMPTS": 2.5}, {"PRICE_PER_SEGMENT": -1}],
)
def test_numbers_of_the_wrong_kind_are_errors(setting):
    assert "wagtail_grantee_sms.E014" in backend_check_ids(default={"BACKEND": LOCMEM} | setting)


def test_sensible_numbers_pass():
    found = backend_check_ids(
        default={"BACKEND": LOCMEM, "RATE_LIMIT": 0.5, "MAX_ATTEMPTS": 3, "PRICE_PER_SEGMENT": "0"}
    )
    assert found == {}


def test_a_typo_in_a_backend_setting_is_a_warning():
    found = backend_check_ids(default={"BACKEND": LOCMEM, "RATE_LIMT": 1})
    assert "RATE_LIMT" in found["wagtail_grantee_sms.W010"]


def test_a_webhook_backend_without_secret_is_a_warning():
    options = {"api_key": "k", "api_secret": "s", "from_number": "NGO"}
    found = backend_check_ids(default={"BACKEND": VONAGE, "OPTIONS": options})
    assert "'default' receives webhooks" in found["wagtail_grantee_sms.W020"]

    signed = backend_check_ids(
        default={"BACKEND": VONAGE, "OPTIONS": options | {"signature_secret": "x"}}
    )
    assert "wagtail_grantee_sms.W020" not in signed


def test_twilio_signs_with_its_auth_token_so_needs_no_extra_secret():
    found = backend_check_ids(
        default={"BACKEND": TWILIO, "OPTIONS": {"account_sid": "AC1", "auth_token": "t"}}
    )
    assert found == {}
