"""Settings of a host site that swaps Wagtail's base page model (``WAGTAIL_PAGE_MODEL``).

The test settings of the suite plus one app, ``custombase``, whose ``CustomBasePage`` replaces
``wagtailcore.Page``. Django settings are fixed per process, so these tests run in their own
pytest invocation: ``pytest -c tests_swapped/pytest.ini``.
"""

from tests.settings import *  # noqa: F403

# wagtail_grantee stands alone here: the SMS app's SignupPage does not support a swapped page
# model yet (its migration names wagtailcore.Page and page_ptr).
INSTALLED_APPS = [
    "tests_swapped.custombase",
    *(app for app in INSTALLED_APPS if app != "wagtail_grantee_sms"),  # noqa: F405
]
WAGTAIL_PAGE_MODEL = "custombase.CustomBasePage"
