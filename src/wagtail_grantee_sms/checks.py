from django.conf import settings
from django.core.checks import Tags, Warning, register

from .backends.checks import check_backends  # noqa: F401  (registers E010-E014, W010, W020)
from .conf import DEFAULTS, SETTINGS_NAME


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
