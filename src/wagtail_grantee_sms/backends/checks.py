"""System checks of ``WAGTAIL_GRANTEE_SMS["BACKENDS"]`` (registered by the app's ``checks``).

Each backend is loaded and made as :func:`get_backend` would, so a mistake shows at start-up
(``manage.py check``) instead of at the first send. Making a backend opens no connection.

- E010 the settings of a backend are not a dict with a BACKEND, or there is no "default"
- E011 the BACKEND dotted path cannot be imported or is not an SMS backend
- E012 the backend refuses its OPTIONS (a missing or unknown option, a bad value)
- E013 an option is read from an environment variable that is not set
- E014 RATE_LIMIT, MAX_ATTEMPTS or PRICE_PER_SEGMENT is not a number of the right kind
- W010 a key of a backend's settings that nobody reads (usually a typo)
- W020 a backend that receives webhooks has no secret to authenticate them
"""

from decimal import Decimal, InvalidOperation

from django.core.checks import Error, Tags, Warning, register

from ..conf import get_setting
from . import (
    BACKEND_SETTINGS_DEFAULTS,
    InvalidBackendError,
    get_backend_class,
    get_backend_settings,
    resolve_option,
)

SETTING = "WAGTAIL_GRANTEE_SMS['BACKENDS']"


@register(Tags.compatibility)
def check_backends(app_configs, **kwargs):
    backends = get_setting("BACKENDS")
    if not isinstance(backends, dict) or "default" not in backends:
        return [
            Error(
                f"{SETTING} must be a dict with a 'default' backend.",
                hint="See docs/sms-backends.md; the console backend is a safe default.",
                id="wagtail_grantee_sms.E010",
            )
        ]
    problems = []
    for alias in backends:
        problems.extend(check_backend(alias))
    return problems


def check_backend(alias):
    name = f"{SETTING}[{alias!r}]"
    try:
        config = get_backend_settings(alias)
    except InvalidBackendError as error:
        return [Error(str(error), id="wagtail_grantee_sms.E010")]
    problems = [
        Warning(
            f"{name}[{key!r}] is not a backend setting and is ignored.",
            hint="Backend settings: BACKEND, " + ", ".join(BACKEND_SETTINGS_DEFAULTS),
            id="wagtail_grantee_sms.W010",
        )
        for key in config
        if key != "BACKEND" and key not in BACKEND_SETTINGS_DEFAULTS
    ]
    problems.extend(check_numbers(name, config))
    try:
        backend_class = get_backend_class(config["BACKEND"])
    except InvalidBackendError as error:
        return [*problems, Error(str(error), id="wagtail_grantee_sms.E011")]
    try:
        options = {
            option: resolve_option(alias, option, value)
            for option, value in config["OPTIONS"].items()
        }
    except InvalidBackendError as error:
        return [
            *problems,
            Error(
                str(error),
                hint="Set the variable in the environment of every process that sends.",
                id="wagtail_grantee_sms.E013",
            ),
        ]
    except AttributeError:
        return [
            *problems,
            Error(f"{name}['OPTIONS'] must be a dict.", id="wagtail_grantee_sms.E012"),
        ]
    try:
        backend = backend_class(alias=alias, **options)
    except InvalidBackendError as error:
        return [*problems, Error(str(error), id="wagtail_grantee_sms.E012")]
    if backend.receives_webhooks and not backend.has_webhook_secret():
        problems.append(
            Warning(
                f"SMS backend {alias!r} receives webhooks but has no secret to authenticate "
                "them, so every status report and inbound message is refused.",
                hint="Set 'webhook_secret' in its OPTIONS and put ?token=<secret> in the "
                "webhook URLs configured at the provider (see docs/sms-backends.md).",
                id="wagtail_grantee_sms.W020",
            )
        )
    return problems


def check_numbers(name, config):
    problems = []
    rules = {
        "RATE_LIMIT": ("a positive number", lambda n: n > 0),
        "MAX_ATTEMPTS": ("a positive whole number", lambda n: n > 0 and n == int(n)),
        "PRICE_PER_SEGMENT": ("a number, 0 or more", lambda n: n >= 0),
    }
    for key, (kind, valid) in rules.items():
        value = config[key]
        if value is None:
            continue
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or not valid(number):
            problems.append(
                Error(f"{name}[{key!r}] must be {kind} or None.", id="wagtail_grantee_sms.E014")
            )
    return problems
