"""Publishing on the example site's SQLite database while the worker writes: no "database is
locked" (issue: 2 of 7 publications failed with the worker running).

``sqlite_publish_race.py`` runs each case in its own process on a copy of one migrated file
database; the same race without the example site's SQLite options shows what they prevent.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("sqlite_publish_race.py")

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="the example site runs on SQLite by default"
)


def race(database, *options):
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), str(database), *options],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def outcome(process):
    stdout, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr[-3000:]
    return json.loads(stdout.splitlines()[-1])


def test_publishing_while_the_worker_writes_never_finds_the_database_locked(tmp_path):
    migrated = tmp_path / "migrated.sqlite3"
    outcome(race(migrated, "--migrate-only"))
    shutil.copy(migrated, tmp_path / "with_options.sqlite3")
    shutil.copy(migrated, tmp_path / "without_options.sqlite3")

    with_options = race(tmp_path / "with_options.sqlite3")
    without_options = race(tmp_path / "without_options.sqlite3", "--without-options")
    safe, unsafe = outcome(with_options), outcome(without_options)

    assert safe["errors"] == {"publish": [], "worker": []}
    assert safe["done"] == {"publish": 15, "worker": 150}
    # Without IMMEDIATE transactions, WAL and the timeout, the same race loses writes.
    unsafe_errors = unsafe["errors"]["publish"] + unsafe["errors"]["worker"]
    assert unsafe_errors and set(unsafe_errors) == {"database is locked"}
