"""`manage.py check` names every app the suite needs that a site forgot to install.

Each case runs `check` in its own process, on the test settings without some apps, as a
developer would after following the installation guide with one line missing.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def check_without(*apps):
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env |= {"WITHOUT_APPS": ",".join(apps), "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    completed = subprocess.run(
        [sys.executable, "-m", "django", "check", "--settings",
         "tests.foundation.settings_without_apps"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return completed.returncode, completed.stdout + completed.stderr


@pytest.mark.parametrize(
    ("missing", "errors"),
    [
        # The one the README forgot: the admin answered 500 (NoReverseMatch 'wagtailsettings').
        ("wagtail.contrib.settings", ["wagtail_grantee_sms.E001"]),
        ("wagtail.contrib.routable_page", ["wagtail_grantee.E001", "wagtail_grantee_sms.E001"]),
        ("django_q", ["wagtail_grantee.E001", "wagtail_grantee_sms.E001"]),
        ("wagtail.embeds", ["wagtail_grantee.E001"]),
    ],
)
def test_a_missing_app_is_an_error_that_names_it(missing, errors):
    returncode, output = check_without(missing)

    assert returncode != 0
    for error in errors:
        assert f"({error}) {error.split('.')[0]} needs {missing!r} in INSTALLED_APPS" in output
    assert "Traceback" not in output


def test_the_grantee_app_alone_needs_neither_the_sms_app_nor_contrib_settings():
    returncode, output = check_without("wagtail_grantee_sms", "wagtail.contrib.settings")

    assert (returncode, "E001" in output) == (0, False), output


def test_the_sms_app_alone_is_complete_without_the_grantee_app():
    returncode, output = check_without("wagtail_grantee")

    assert (returncode, "E001" in output) == (0, False), output


def test_a_grantee_site_without_django_q_is_told_so():
    returncode, output = check_without("wagtail_grantee_sms", "django_q")

    assert returncode != 0
    assert "wagtail_grantee needs 'django_q' in INSTALLED_APPS" in output
