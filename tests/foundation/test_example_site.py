"""The example site, as ``make demo`` runs it, in a fresh SQLite database."""

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
from wagtail.models import Page
client = Client(HTTP_HOST="127.0.0.1")
home = client.get("/")
print("home", home.status_code, "Lembaga Bhinneka" in home.content.decode())
print("login", client.get("/admin/login/").status_code)
print("contacts", Contact.objects.count(), "pages", Page.objects.count())
"""


@pytest.fixture
def manage(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "DJANGO_SUPERUSER_USERNAME": "editor",
        "DJANGO_SUPERUSER_PASSWORD": "demo-password",
        "PYTHONPATH": str(EXAMPLE_SITE.parent / "src"),
    }

    def run(*args):
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

    return run


def test_demo_loads_twice_without_duplicates_and_serves_home_and_admin(manage):
    manage("migrate", "--no-input")
    created_admin = manage("ensure_demo_admin")
    admin_again = manage("ensure_demo_admin")
    first = manage("load_demo")
    counts_after_first = manage("shell", "--no-imports", "-c", CHECK_SERVED).splitlines()[-1]
    second = manage("load_demo")
    served = manage("shell", "--no-imports", "-c", CHECK_SERVED).splitlines()

    assert "Created the admin account 'editor'." in created_admin
    assert "as editor with password demo-password" in admin_again
    assert "Created" not in admin_again
    assert "Demo content is loaded." in first
    assert "Contacts: 50 created" in first
    assert "Contacts: 0 created, 50 already there." in second
    assert served[-1] == counts_after_first  # nothing created twice
    assert served[0] == "home 200 True"
    assert served[1] == "login 200"
