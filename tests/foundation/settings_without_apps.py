"""The test settings without the apps named in ``WITHOUT_APPS`` (comma-separated)."""

import os

from tests.settings import *  # noqa: F403

WITHOUT_APPS = set(os.environ.get("WITHOUT_APPS", "").split(","))
INSTALLED_APPS = [app for app in INSTALLED_APPS if app not in WITHOUT_APPS]  # noqa: F405
