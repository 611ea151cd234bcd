"""The example site, as ``make demo`` prepares it (``manage.py setup_demo``, one process), in a
fresh SQLite database."""

import functools
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE_SITE = Path(__file__).resolve().parents[2] / "example_site"

# The demo's own default is SQLite; the PostgreSQL runs already cover the apps themselves.
pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="the example site runs on SQLite by default"
)

CHECK_SERVED = """
from django.test import Client
from wagtail_grantee_sms.models import Contact
from wagtail.models import Page, Site
client = Client(HTTP_HOST="127.0.0.1:8123")
home = client.get("/")
print("home", home.status_code, "Lembaga Bhinneka" in home.content.decode())
print("login", client.get("/admin/login/").status_code)
print("sms", client.get("/sms/").status_code)
print("site", Site.objects.get(is_default_site=True).root_url)
print("contacts", Contact.objects.count(), "pages", Page.objects.count())
"""


def example_site_env(tmp_path, base_url="http://127.0.0.1:8123", **extra):
    """The environment `make demo` gives the example site (``base_url`` as `make demo`'s
    DEMO_URL sets it), with its own fresh SQLite database and media folder in ``tmp_path``:
    never the tests' database, broker or cache, nor the example site's own files."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    return env | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
        "DJANGO_SUPERUSER_PASSWORD": "demo-password",
        "PYTHONPATH": str(EXAMPLE_SITE.parent / "src"),
        "WAGTAILADMIN_BASE_URL": base_url,
        **extra,
    }


def run_manage(env, *args):
    """Run the example site's ``manage.py`` with ``args`` in ``env`` (see ``example_site_env``)
    to its successful end; what it printed."""
    completed = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=EXAMPLE_SITE,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed.stdout


@pytest.fixture
def manage(tmp_path):
    env = example_site_env(tmp_path, DJANGO_SUPERUSER_USERNAME="editor")
    return functools.partial(run_manage, env)


def test_setup_demo_prepares_everything_in_one_process_and_can_run_again(manage):
    first = manage("setup_demo")
    counts_after_first = manage("shell", "--no-imports", "-c", CHECK_SERVED).splitlines()[-1]
    second = manage("setup_demo")
    served = manage("shell", "--no-imports", "-c", CHECK_SERVED).splitlines()

    assert "Apply all migrations" in first
    assert "Contacts: 50 created" in first
    assert "Demo content is loaded." in first
    assert "Created the admin account 'editor'." in first
    assert "Log in at http://127.0.0.1:8123/admin/ as editor with password demo-password" in first
    assert "No migrations to apply." in second
    assert "Contacts: 0 created, 50 already there." in second
    assert "Created" not in second
    assert "as editor with password demo-password" in second
    assert served[-1] == counts_after_first  # nothing created twice
    assert served[:4] == ["home 200 True", "login 200", "sms 200", "site http://127.0.0.1:8123"]
