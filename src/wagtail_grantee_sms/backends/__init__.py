"""Pluggable SMS backends, configured like Django's ``CACHES``.

::

    WAGTAIL_GRANTEE_SMS = {
        "BACKENDS": {
            "default": {
                "BACKEND": "wagtail_grantee_sms.backends.twilio.SMSBackend",
                "OPTIONS": {"account_sid": "AC…", "auth_token": {"env": "TWILIO_AUTH_TOKEN"}},
                "RATE_LIMIT": 1,
                "PRICE_PER_SEGMENT": "450",
                "CURRENCY": "IDR",
            },
        },
    }

An option written as ``{"env": "NAME"}`` is read from the environment variable ``NAME`` when
the backend is made, so credentials stay out of settings files and the database.
"""

import os

from django.utils.module_loading import import_string

from ..conf import get_setting
from .base import (
    INVALID_NUMBER,
    OPTED_OUT,
    BaseSMSBackend,
    DeliveryReport,
    DeliveryStatus,
    InboundSMS,
    InvalidBackendError,
    OutgoingSMS,
    SendResult,
    SMSBackendError,
    WebhookAuthenticationFailed,
)

__all__ = [
    "INVALID_NUMBER",
    "OPTED_OUT",
    "BaseSMSBackend",
    "DeliveryReport",
    "DeliveryStatus",
    "InboundSMS",
    "InvalidBackendError",
    "OutgoingSMS",
    "SMSBackendError",
    "SendResult",
    "WebhookAuthenticationFailed",
    "aliases_with",
    "get_backend",
    "get_backend_class",
    "get_backend_settings",
]

# Keys of one backend's settings besides BACKEND, with their defaults.
BACKEND_SETTINGS_DEFAULTS = {
    "OPTIONS": {},
    # Messages per second this backend may send, shared by all workers (None: no limit).
    "RATE_LIMIT": None,
    # What one segment costs when the provider does not say (None: unknown).
    "PRICE_PER_SEGMENT": None,
    # Currency of PRICE_PER_SEGMENT (ISO 4217, e.g. "IDR").
    "CURRENCY": "",
    # What may be spent through this backend per calendar month (site time zone), in
    # CURRENCY; a broadcast beyond it needs the exceed_budget permission (None: no budget).
    "MONTHLY_BUDGET": None,
    # How many times a delivery is tried before a transient error counts as final.
    "MAX_ATTEMPTS": 5,
}


def get_backend_settings(alias="default"):
    """Return the settings of backend ``alias``, with the defaults filled in."""
    backends = get_setting("BACKENDS")
    if not isinstance(backends, dict) or alias not in backends:
        raise InvalidBackendError(
            f"There is no SMS backend {alias!r} in WAGTAIL_GRANTEE_SMS['BACKENDS']."
        )
    config = backends[alias]
    if not isinstance(config, dict) or not config.get("BACKEND"):
        raise InvalidBackendError(
            f"WAGTAIL_GRANTEE_SMS['BACKENDS'][{alias!r}] must be a dict with a 'BACKEND' "
            "dotted path."
        )
    return BACKEND_SETTINGS_DEFAULTS | config


def get_backend_class(dotted_path):
    """Import the backend class at ``dotted_path``."""
    try:
        backend_class = import_string(dotted_path)
    except ImportError as error:
        raise InvalidBackendError(
            f"Could not import SMS backend {dotted_path!r}: {error}"
        ) from error
    if not (isinstance(backend_class, type) and issubclass(backend_class, BaseSMSBackend)):
        raise InvalidBackendError(f"{dotted_path!r} is not an SMS backend class.")
    return backend_class


def aliases_with(attribute):
    """The aliases of the configured backends whose class has ``attribute`` true (those that
    cannot be loaded are skipped: the system checks report them)."""
    aliases = []
    for alias in get_setting("BACKENDS"):
        try:
            backend_class = get_backend_class(get_backend_settings(alias)["BACKEND"])
        except InvalidBackendError:
            continue
        if getattr(backend_class, attribute):
            aliases.append(alias)
    return aliases


def resolve_option(alias, name, value):
    """Read ``{"env": "NAME"}`` values from the environment, also inside dict options (the
    generic HTTP backend's ``params``)."""
    if isinstance(value, dict) and set(value) == {"env"}:
        variable = value["env"]
        if variable not in os.environ:
            raise InvalidBackendError(
                f"SMS backend {alias!r}: the option {name!r} is read from the environment "
                f"variable {variable}, which is not set."
            )
        return os.environ[variable]
    if isinstance(value, dict):
        return {key: resolve_option(alias, f"{name}.{key}", item) for key, item in value.items()}
    return value


def get_backend(alias="default", **options):
    """Return a new backend instance for ``alias``; ``options`` override its ``OPTIONS``.

    ``fail_silently=True`` may be passed like any option.
    """
    config = get_backend_settings(alias)
    backend_class = get_backend_class(config["BACKEND"])
    configured = {
        name: resolve_option(alias, name, value) for name, value in config["OPTIONS"].items()
    }
    return backend_class(alias=alias, **(configured | options))
