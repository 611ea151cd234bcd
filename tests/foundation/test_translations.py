"""Every string an editor or visitor sees ships with its Indonesian translation."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
APPS = ["wagtail_grantee", "wagtail_grantee_sms"]

pytestmark = pytest.mark.skipif(
    shutil.which("xgettext") is None, reason="GNU gettext (xgettext) is not installed"
)


def catalogue(app):
    return SRC / app / "locale" / "id" / "LC_MESSAGES" / "django.po"


def extract_fresh_catalogue(app, tmp_path):
    """Run makemessages on a copy of the app, merging the shipped translations."""
    copy = tmp_path / app
    shutil.copytree(SRC / app, copy, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "--locale",
            "id",
            "--no-obsolete",
            "--settings",
            "tests.settings",
            "--pythonpath",
            str(SRC.parent),
        ],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    return polib.pofile(str(copy / "locale" / "id" / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("app", APPS)
def test_every_translatable_string_has_an_indonesian_translation(app, tmp_path):
    assert catalogue(app).exists(), f"{app} ships no Indonesian catalogue"
    fresh = extract_fresh_catalogue(app, tmp_path)

    missing = [entry.msgid for entry in fresh if not entry.translated()]

    assert len(fresh) > 0
    assert missing == [], f"{len(missing)} strings of {app} have no Indonesian translation"


@pytest.mark.parametrize("app", APPS)
def test_the_compiled_catalogue_matches_its_source(app):
    assert catalogue(app).with_suffix(".mo").exists(), f"{app}'s catalogue is not compiled"
    source = polib.pofile(str(catalogue(app)))
    compiled = polib.mofile(str(catalogue(app).with_suffix(".mo")))

    compiled_translations = {entry.msgid: entry.msgstr for entry in compiled}
    assert {
        entry.msgid: entry.msgstr for entry in source.translated_entries() if not entry.msgid_plural
    }.items() <= compiled_translations.items()
