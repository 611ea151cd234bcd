from django.apps import apps
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .backends.checks import check_backends  # noqa: F401  (registers E010-E014, W010, W020)
from .conf import DEFAULTS, SETTINGS_NAME

# Every app that this app's code needs, beyond Django's own, with what needs it. A new
# ``wagtail start`` project has all of them but ``wagtail.contrib.settings``,
# ``wagtail.contrib.routable_page`` and ``django_q``; docs/installation.md lists the same.
REQUIRED_APPS = {
    "wagtail": "the sign-up page",
    "wagtail.admin": "the SMS screens",
    "wagtail.snippets": "contacts, groups, deliveries and the inbox",
    "wagtail.contrib.settings": "the verification messages setting",
    "wagtail.contrib.routable_page": "the sign-up page's steps",
    "django_q": "sending SMS in the background",
}


def missing_required_apps():
    return [name for name in REQUIRED_APPS if not apps.is_installed(name)]


@register(Tags.compatibility)
def check_required_apps(app_configs, **kwargs):
    """An error for each app this app needs that INSTALLED_APPS lacks (E001)."""
    return [
        Error(
            f"wagtail_grantee_sms needs {name!r} in INSTALLED_APPS ({REQUIRED_APPS[name]}).",
            hint="Add it to INSTALLED_APPS. docs/installation.md lists every app the suite needs.",
            id="wagtail_grantee_sms.E001",
        )
        for name in missing_required_apps()
    ]


@register(Tags.compatibility)
def check_settings_keys(app_configs, **kwargs):
    """Warn about keys of the settings dict that the app does not know (usually a typo)."""
    configured = getattr(settings, SETTINGS_NAME, None) or {}
    return [
        Warning(
            f"{SETTINGS_NAME}[{key!r}] is not a setting of this app and is ignored.",
            hint="Known settings: " + ", ".join(sorted(DEFAULTS)),
            id="wagtail_grantee_sms.W001",
        )
        for key in configured
        if key not in DEFAULTS
    ]
