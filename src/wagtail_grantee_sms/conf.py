"""Settings of ``wagtail_grantee_sms``, all in one dict ``WAGTAIL_GRANTEE_SMS``.

Values are read when they are used, so ``override_settings`` works in tests. Every key and
its default is listed in ``DEFAULTS`` and documented in ``docs/settings.md``.
"""

from django.conf import settings

SETTINGS_NAME = "WAGTAIL_GRANTEE_SMS"

DEFAULTS = {
    # Region used to read numbers written without a country code ("0812…" is Indonesian).
    "DEFAULT_REGION": "ID",
    # SMS backends by alias, like Django's CACHES: {"BACKEND": dotted path, "OPTIONS": {...},
    # "RATE_LIMIT", "PRICE_PER_SEGMENT", "CURRENCY", "MAX_ATTEMPTS"}. See docs/sms-backends.md.
    "BACKENDS": {"default": {"BACKEND": "wagtail_grantee_sms.backends.console.SMSBackend"}},
    # Public base URL of the site as SMS providers see it (behind a proxy), used to check
    # webhook signatures; "" = the URL of the request.
    "WEBHOOK_BASE_URL": "",
}


def get_setting(name):
    """Return the site's value of ``WAGTAIL_GRANTEE_SMS[name]``, or its default."""
    configured = getattr(settings, SETTINGS_NAME, None) or {}
    if name in configured:
        return configured[name]
    return DEFAULTS[name]
