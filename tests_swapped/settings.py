"""Settings of a host site that swaps Wagtail's base page model (``WAGTAIL_PAGE_MODEL``).

The test settings of the suite plus one app, ``custombase``, whose ``CustomBasePage`` replaces
``wagtailcore.Page``. Django settings are fixed per process, so these tests run in their own
pytest invocation: ``pytest -c tests_swapped/pytest.ini``.
"""

from tests.settings import *  # noqa: F403

INSTALLED_APPS = ["tests_swapped.custombase", *INSTALLED_APPS]  # noqa: F405
WAGTAIL_PAGE_MODEL = "custombase.CustomBasePage"
