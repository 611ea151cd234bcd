import ipaddress

from django.apps import apps
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .conf import DEFAULTS, SETTINGS_NAME, get_setting

# Every app that this app's code needs, beyond Django's own, with what needs it. A new
# ``wagtail start`` project has all of them but ``wagtail.contrib.routable_page`` and
# ``django_q``; docs/installation.md lists the same.
REQUIRED_APPS = {
    "wagtail": "the page types",
    "wagtail.admin": "the page editor",
    "wagtail.snippets": "the post categories",
    "wagtail.images": "lead images and image blocks",
    "wagtail.documents": "document links in posts",
    "wagtail.embeds": "embeds in posts",
    "wagtail.search": "the pages' search fields",
    "wagtail.contrib.routable_page": "feeds and lists by tag and category",
    "modelcluster": "post categories and tags",
    "taggit": "post tags",
    "django_q": "WebSub pings in the background",
}


def missing_required_apps():
    return [name for name in REQUIRED_APPS if not apps.is_installed(name)]


@register(Tags.compatibility)
def check_required_apps(app_configs, **kwargs):
    """An error for each app this app needs that INSTALLED_APPS lacks (E001)."""
    return [
        Error(
            f"wagtail_grantee needs {name!r} in INSTALLED_APPS ({REQUIRED_APPS[name]}).",
            hint="Add it to INSTALLED_APPS. docs/installation.md lists every app the suite needs.",
            id="wagtail_grantee.E001",
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
                id="wagtail_grantee.E010",
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
            id="wagtail_grantee.E010",
        )
    ]
