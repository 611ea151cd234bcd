from django.apps import apps
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .backends.checks import check_backends  # noqa: F401  (registers E010-E014, W010, W020)
from .conf import DEFAULTS, SETTINGS_NAME, get_setting

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


# Caches that store nothing: every count of sign-up attempts would start again at one.
NON_STORING_CACHES = {"django.core.cache.backends.dummy.DummyCache"}


@register(Tags.caches, Tags.security)
def check_signup_cache(app_configs, **kwargs):
    """The sign-up throttle counts attempts in the default cache: it must keep them."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend not in NON_STORING_CACHES:
        return []
    return [
        Error(
            "The default cache stores nothing, so the SMS sign-up page would never throttle "
            "attempts (SIGNUP_ATTEMPTS_PER_IP, SIGNUP_ATTEMPTS_PER_NUMBER).",
            hint="Use a cache that all web processes share: Redis, Memcached or the database "
            "cache (django.core.cache.backends.db.DatabaseCache).",
            id="wagtail_grantee_sms.E030",
        )
    ]


@register(Tags.security)
def check_signup_settings(app_configs, **kwargs):
    """The sign-up's countries and proxy hops must mean something."""
    import phonenumbers

    errors = []
    regions = get_setting("SIGNUP_ALLOWED_REGIONS")
    if regions is not None and (
        isinstance(regions, str)
        or not all(region in phonenumbers.SUPPORTED_REGIONS for region in regions)
    ):
        errors.append(
            Error(
                f"{SETTINGS_NAME}['SIGNUP_ALLOWED_REGIONS'] must be None or a list of region "
                f"codes that phonenumbers knows, not {regions!r}.",
                hint='For example ["ID"] or ["ID", "TL"].',
                id="wagtail_grantee_sms.E031",
            )
        )
    hops = get_setting("TRUSTED_PROXY_HOPS")
    if not isinstance(hops, int) or isinstance(hops, bool) or hops < 0:
        errors.append(
            Error(
                f"{SETTINGS_NAME}['TRUSTED_PROXY_HOPS'] must be a whole number from 0, "
                f"not {hops!r}.",
                hint="The number of reverse proxies in front of the site; 0 when there is none.",
                id="wagtail_grantee_sms.E032",
            )
        )
    return errors
