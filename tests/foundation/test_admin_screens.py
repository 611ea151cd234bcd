"""Every admin screen the suite adds answers 200 for a superuser (the list is
``.ci/admin_screens.py``, which ``.ci/quickstart`` runs in a project built from the README)."""

import importlib.util
from pathlib import Path

import pytest

SCREENS_SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "admin_screens.py"

pytestmark = pytest.mark.django_db


def load_screens():
    spec = importlib.util.spec_from_file_location("admin_screens", SCREENS_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_admin_screen_of_the_suite_answers_200(client, django_user_model, capsys):
    screens = load_screens()
    django_user_model.objects.create_superuser("quickstart", "q@example.org", "quickstart")
    client.login(username="quickstart", password="quickstart")

    failures = screens.screens_answer(client, screens.make_sample_objects())

    assert failures == []
    assert capsys.readouterr().out.count("200 /admin/") == len(screens.SCREENS)
