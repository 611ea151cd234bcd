import ipaddress

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .conf import DEFAULTS, SETTINGS_NAME, get_setting


@register(Tags.compatibility)
def check_settings_keys(app_configs, **kwargs):
    """Warn about keys of the settings dict that the app does not know (usually a typo)."""
    configured = getattr(settings, SETTINGS_NAME, None) or {}
    return [
        Warning(
            f"{SETTINGS_NAME}[{key!r}] is not a setting of this app and is ignored.",
            hint="Known settings: " + ", ".join(sorted(DEFAULTS)),
            id="wagtail_grantee.W001",
        )
        for key in configured
        if key not in DEFAULTS
    ]


@register(Tags.compatibility)
def check_aggregator_networks(app_configs, **kwargs):
    """``AGGREGATOR_ALLOWED_NETWORKS`` must be a list of CIDR strings."""
    networks = get_setting("AGGREGATOR_ALLOWED_NETWORKS")
    if isinstance(networks, str) or not hasattr(networks, "__iter__"):
        return [
            Error(
                f"{SETTINGS_NAME}['AGGREGATOR_ALLOWED_NETWORKS'] must be a list.",
                hint='A list of CIDR strings, e.g. ["127.0.0.1/32"].',
                id="wagtail_grantee.E001",
            )
        ]
    wrong = []
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except (TypeError, ValueError):
            wrong.append(repr(network))
    if not wrong:
        return []
    return [
        Error(
            f"{SETTINGS_NAME}['AGGREGATOR_ALLOWED_NETWORKS'] has invalid networks: "
            + ", ".join(wrong),
            hint='A list of CIDR strings, e.g. ["127.0.0.1/32", "10.0.5.0/24"].',
            id="wagtail_grantee.E001",
        )
    ]
