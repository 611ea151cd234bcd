"""What every SMS backend is: an outgoing message in, a result out; webhooks parsed.

A backend is transport only. It imports no model of the suite; the sending pipeline and the
webhook views translate between models and these plain objects.

Errors, as in Django's e-mail backends:

- What the provider says about ONE message (invalid number, unsubscribed, throttled, no credit
  for this message...) is a :class:`SendResult` with ``accepted=False``, never an exception.
- What stops the backend from talking to the provider at all (network error, timeout, a
  server error, refused credentials, throttling of the whole request, an unreadable reply)
  raises :class:`SMSBackendError`, unless the backend was made with ``fail_silently=True``:
  then every message not yet sent gets a failed, transient result (``error_code``
  ``"backend_error"``). Its ``maybe_sent`` tells the pipeline whether the message may have
  gone out all the same (then it is not resent blindly) or certainly did not (then it is
  retried).
- A wrong configuration raises :class:`InvalidBackendError` when the backend is made.
"""

import base64
import binascii
import copy
import dataclasses
import json
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from urllib.parse import urlencode

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.http import HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils.crypto import constant_time_compare
from django.utils.dateparse import parse_datetime

from .. import encoding, phones
from ..conf import get_setting


class InvalidBackendError(ImproperlyConfigured):
    """A backend cannot be loaded or made from its settings."""


class SMSBackendError(Exception):
    """The provider could not be reached, or refused the request as a whole.

    ``results`` holds the results of the messages of the batch handled before the error, so
    a caller never sends those twice.

    ``maybe_sent`` is whether the message being sent may have reached the provider and gone
    out all the same: True (the safe assumption) after a read timeout, a server error or a
    reply nobody can read; False only when the provider certainly did not take it (the
    connection was never made, or the provider refused the whole request: bad credentials,
    "too many requests"). The pipeline retries a delivery only after ``maybe_sent=False``.
    """

    def __init__(self, message, *, results=(), maybe_sent=True):
        super().__init__(message)
        self.results = list(results)
        self.maybe_sent = maybe_sent


class WebhookAuthenticationFailed(Exception):
    """A webhook request is not from the provider (the view answers 403)."""


@dataclass(frozen=True)
class OutgoingSMS:
    to: str  # E.164
    body: str
    sender: str = ""  # sender id or number; "" = the backend's default
    reference: str = ""  # client reference, unique per delivery (the pipeline's delivery uuid)


class DeliveryStatus(StrEnum):
    """Normalised status of a delivery. The order matters: a status never moves backwards."""

    QUEUED = "queued"  # ours: not yet handed to a provider
    ACCEPTED = "accepted"  # the provider took it
    SENT = "sent"  # the provider handed it to the network
    DELIVERED = "delivered"  # final
    FAILED = "failed"  # final

    @classmethod
    def rank(cls, status):
        """Position of ``status`` (a member or its value) in the order above."""
        return list(cls).index(cls(status))


DeliveryStatus.FINAL = frozenset({DeliveryStatus.DELIVERED, DeliveryStatus.FAILED})


@dataclass
class SendResult:
    message: OutgoingSMS
    accepted: bool
    status: DeliveryStatus
    message_id: str = ""  # the provider's id
    permanent: bool = False  # for failures: True = do not retry
    error_code: str = ""
    error_message: str = ""
    segments: int | None = None
    price: Decimal | None = None
    currency: str = ""


# What no database stores as text: U+0000 (PostgreSQL refuses it) and half a surrogate pair
# (no UTF-8 for it). A UCS-2 SMS can carry both, so a stranger can send them.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(value):
    """``value`` with each ``UNSTORABLE`` character replaced by U+FFFD, through dicts and
    lists; other values, and text without such characters (a ``DeliveryStatus`` member),
    as they are."""
    if isinstance(value, str):
        return UNSTORABLE.sub("\ufffd", value) if UNSTORABLE.search(value) else value
    if isinstance(value, dict):
        return {storable(name): storable(item) for name, item in value.items()}
    if isinstance(value, list):
        return [storable(item) for item in value]
    return value


class Received:
    """What a provider or a modem hands in (reports, inbound SMS): its text is made storable
    when the object is made, so every webhook, poller and backend gets this for free, and
    cut to the length of its column (``lengths``: an id or a code longer than any provider's
    is no reason to lose the message)."""

    lengths = {}

    def __post_init__(self):
        for item in dataclasses.fields(self):
            value = storable(getattr(self, item.name))
            if item.name in self.lengths and isinstance(value, str):
                value = value[: self.lengths[item.name]]
            setattr(self, item.name, value)


@dataclass
class DeliveryReport(Received):
    """A delivery status parsed from a status webhook."""

    lengths = {"message_id": 128, "reference": 64, "error_code": 64}

    message_id: str
    status: DeliveryStatus
    reference: str = ""  # our OutgoingSMS.reference, from providers that echo it
    error_code: str = ""
    error_message: str = ""
    permanent: bool = False
    reason: str = ""  # "" | OPTED_OUT | INVALID_NUMBER, from the provider's error code
    timestamp: datetime | None = None
    raw: dict = field(default_factory=dict)


# Values of DeliveryReport.reason (and of a failed SendResult's meaning) that the pipeline
# turns into a contact's status.
OPTED_OUT = "opted_out"
INVALID_NUMBER = "invalid_number"


@dataclass
class InboundSMS(Received):
    lengths = {"message_id": 128, "to": 32}

    sender: str  # E.164
    body: str
    message_id: str = ""
    to: str = ""
    received_at: datetime | None = None
    raw: dict = field(default_factory=dict)


class BaseSMSBackend(ABC):
    """Base of every backend.

    A backend declares the options it needs (``required_options``) and those it can take
    (``default_options``, with their defaults); both are collected along the class hierarchy
    and set as attributes. Options come from ``OPTIONS`` in the backend's settings, and
    keyword arguments of :func:`~wagtail_grantee_sms.backends.get_backend` override them.
    """

    required_options = ()
    default_options = {
        # Secret a provider without signatures sends with each webhook: as ``?token=`` in
        # the URL, an ``X-Webhook-Token`` header, or the password of HTTP basic auth.
        "webhook_secret": "",
        # Public base URL of the site as the provider sees it (behind a proxy), e.g.
        # "https://ngo.example.org"; default: the WEBHOOK_BASE_URL setting, then the request.
        "webhook_base_url": "",
    }

    def __init__(self, *, alias="default", fail_silently=False, **options):
        self.alias = alias
        self.fail_silently = fail_silently
        required, defaults = self._option_names()
        unknown = sorted(set(options) - set(required) - set(defaults))
        if unknown:
            raise InvalidBackendError(
                f"SMS backend {alias!r} ({type(self).__name__}) does not take the option(s) "
                f"{', '.join(unknown)}. It takes: {', '.join(sorted([*required, *defaults]))}."
            )
        missing = [name for name in required if options.get(name) in (None, "")]
        if missing:
            raise InvalidBackendError(
                f"SMS backend {alias!r} ({type(self).__name__}) needs the option(s) "
                f"{', '.join(missing)} in its OPTIONS."
            )
        for name, default in defaults.items():
            # A copy: a dict or list default must not be shared by every instance.
            setattr(self, name, options[name] if name in options else copy.deepcopy(default))
        for name in required:
            setattr(self, name, options[name])

    @classmethod
    def _option_names(cls):
        required, defaults = [], {}
        for klass in reversed(cls.__mro__):
            required.extend(klass.__dict__.get("required_options", ()))
            defaults.update(klass.__dict__.get("default_options", {}))
        return tuple(dict.fromkeys(required)), defaults

    # -- sending ------------------------------------------------------------------------

    #: Whether the provider deduplicates on ``OutgoingSMS.reference``: a second request with
    #: the same reference is answered without sending the SMS again. Only then does the
    #: pipeline resend a delivery interrupted mid-send (same reference, so the phone gets the
    #: SMS once); otherwise such a delivery waits for a person to check it. None of the
    #: providers here documents such deduplication, so it stays False unless a backend's
    #: provider does (locmem has an option for tests).
    idempotent_references = False

    def open(self):
        """Open what a batch of sends can share (an HTTP session). Returns True if opened."""
        return False

    def close(self):  # noqa: B027 - most backends have nothing to close
        """Close what :meth:`open` opened."""

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.close()

    @abstractmethod
    def send_messages(self, messages):
        """Send ``messages`` (``OutgoingSMS``); return one ``SendResult`` each, same order."""

    def measure(self, message):
        """Encoding and segments of ``message`` (see :mod:`wagtail_grantee_sms.encoding`)."""
        return encoding.measure(message.body)

    def accepted(self, message, *, message_id="", status=DeliveryStatus.ACCEPTED, **details):
        """A result for a message the provider took; segments measured if not given."""
        if details.get("segments") is None:
            details["segments"] = self.measure(message).segments
        return SendResult(message, True, status, message_id=message_id, **details)

    def failed(self, message, *, code, text, permanent, **details):
        """A result for a message the provider refused. A gateway that quotes the number in
        its error text gets it masked: error texts end up in logs and the admin."""
        for written in (message.to, message.to.lstrip("+")):
            if written:
                text = str(text).replace(written, phones.mask(written))
        return SendResult(
            message,
            False,
            DeliveryStatus.FAILED,
            permanent=permanent,
            error_code=str(code),
            error_message=text,
            **details,
        )

    #: Provider error codes that say something about the number: code → OPTED_OUT or
    #: INVALID_NUMBER. The pipeline marks the contact accordingly.
    reasons = {}

    def failure_reason(self, error_code):
        """OPTED_OUT, INVALID_NUMBER or "" for a provider ``error_code``."""
        return self.reasons.get(str(error_code), "")

    def backend_error(self, error, messages, done=()):
        """Handle ``error`` (an ``SMSBackendError``) that stops the whole batch, honouring
        ``fail_silently``."""
        if not self.fail_silently:
            raise SMSBackendError(str(error), results=done, maybe_sent=error.maybe_sent) from error
        return [*done] + [
            self.failed(message, code="backend_error", text=str(error), permanent=False)
            for message in messages[len(done) :]
        ]

    # -- webhooks -----------------------------------------------------------------------

    #: Whether the provider calls this backend's webhooks (then a secret is checked for).
    receives_webhooks = False

    #: Whether superusers may simulate incoming SMS through it in the admin: for the backends
    #: that stand in for a provider (console, file, locmem), where no SMS can come in at all.
    simulated_inbound = False

    def has_webhook_secret(self):
        """Whether webhook requests can be authenticated (the system check warns if not)."""
        return bool(self.webhook_secret)

    def validate_webhook(self, request):
        """Raise ``WebhookAuthenticationFailed`` unless ``request`` carries the secret.

        Without a configured secret every request is refused: unauthenticated status
        reports could mark numbers as opted out.
        """
        if not self.webhook_secret:
            raise WebhookAuthenticationFailed(f"No webhook secret configured for {self.alias!r}.")
        presented = [
            request.GET.get("token", ""),
            request.headers.get("X-Webhook-Token", ""),
            basic_auth_password(request),
        ]
        if not any(
            constant_time_compare(candidate, self.webhook_secret)
            for candidate in presented
            if candidate
        ):
            raise WebhookAuthenticationFailed("The webhook secret is missing or wrong.")

    def parse_status_webhook(self, request):
        """Return the ``DeliveryReport``s in a status webhook request."""
        raise NotImplementedError(f"{type(self).__name__} receives no status webhooks.")

    def parse_inbound_webhook(self, request):
        """Return the ``InboundSMS``s in an inbound webhook request."""
        raise NotImplementedError(f"{type(self).__name__} receives no inbound messages.")

    def webhook_response(self, kind):
        """The answer the provider expects to a webhook of ``kind`` ("status"/"inbound")."""
        return HttpResponse(status=200)

    def base_url(self):
        """The site's public base URL as providers see it, or ""."""
        return (self.webhook_base_url or get_setting("WEBHOOK_BASE_URL")).rstrip("/")

    def signs_webhooks(self):
        """Whether the provider signs its webhook requests (then no token is put in URLs)."""
        return False

    def status_callback_url(self):
        """The absolute URL of this backend's status webhook, if the base URL is known.

        A backend authenticated by its ``webhook_secret`` (no signatures) gets the secret as
        ``?token=`` in the URL, so that the reports sent to it are accepted.
        """
        base = self.base_url()
        if not base:
            return ""
        try:
            path = reverse("wagtail_grantee_sms:status-webhook", args=[self.alias])
        except NoReverseMatch:
            return ""
        if self.webhook_secret and not self.signs_webhooks():
            path += "?" + urlencode({"token": self.webhook_secret})
        return base + path

    def webhook_url(self, request):
        """The URL of ``request`` as the provider called it (for signatures)."""
        base = self.base_url()
        if base:
            return base + request.get_full_path()
        return request.build_absolute_uri()

    # -- polling ------------------------------------------------------------------------

    #: Whether the provider calls no webhooks but leaves delivery reports and inbound
    #: messages for the site to fetch (a modem's spool folders, a gateway's "get new
    #: messages" API). Then the periodic task ``tasks.poll_backends`` calls
    #: :meth:`collect_reports` and :meth:`collect_inbound` every minute and stores what they
    #: return through the same functions as the webhooks.
    needs_polling = False

    def collect_reports(self):
        """An iterable of the ``DeliveryReport``s that arrived since the last call.

        Each is returned once; a generator that marks an item collected only when the caller
        asks for the next one loses nothing if the caller dies while storing it."""
        return []

    def collect_inbound(self):
        """An iterable of the ``InboundSMS``s that arrived since the last call (like
        :meth:`collect_reports`)."""
        return []


# Webhook payloads are small and flat; anything bigger or deeper is not from a provider.
WEBHOOK_MAX_BYTES = 64 * 1024
WEBHOOK_MAX_DEPTH = 8

# Parameters that authenticate a webhook request: never stored (see ``without_secrets``).
SECRET_PARAMS = frozenset(
    {"token", "sig", "signature", "api_key", "api-key", "apikey", "password", "passkey",
     "userkey", "secret", "auth_token"}
)  # fmt: skip


def load_json(body, *, max_bytes=WEBHOOK_MAX_BYTES, max_depth=WEBHOOK_MAX_DEPTH):
    """Parse a JSON request body that nobody has authenticated yet.

    Raises ``ValueError`` (never ``RecursionError`` or ``MemoryError``) for a body larger
    than ``max_bytes``, nested deeper than ``max_depth`` or not valid JSON. The depth is
    counted before parsing, so a deeply nested body costs one pass over its bytes.
    """
    if len(body) > max_bytes:
        raise ValueError(f"The webhook body is larger than {max_bytes} bytes.")
    try:
        text = body.decode() if isinstance(body, bytes) else body
    except UnicodeDecodeError as error:
        raise ValueError("The webhook body is not UTF-8.") from error
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > max_depth:
                raise ValueError(f"The webhook body is nested deeper than {max_depth} levels.")
        elif char in "]}":
            depth -= 1
    try:
        return json.loads(text or "{}")
    except ValueError as error:
        raise ValueError("The webhook body is not valid JSON.") from error


def flat_params(payload):
    """A JSON object of single values as a dict of strings, as a form would give it.

    Numbers become their text and ``null`` an empty string; a list or an object as a value
    is no field a provider sends: ``ValueError``.
    """
    if not isinstance(payload, dict):
        raise ValueError("The webhook body is not a JSON object.")
    params = {}
    for name, value in payload.items():
        if isinstance(value, (dict, list)):
            raise ValueError(f"The webhook field {name!r} is not a single value.")
        if value is None:
            value = ""
        elif isinstance(value, bool):
            value = "true" if value else "false"
        params[name] = str(value)
    return params


def webhook_params(request, *, accept_json=True):
    """The parameters of a webhook request as one flat dict of strings: the form of a POST,
    the query of a GET, or (``accept_json``) the JSON object of a POST.

    What is read is exactly what a backend's ``validate_webhook`` checks: a POST is read from
    its body only (never its query string), a GET from its query only (never a body). Any
    other body raises ``ValueError`` (the view answers 400).
    """
    if request.method == "GET":
        return request.GET.dict()
    if request.content_type == "application/json" and accept_json:
        return flat_params(load_json(request.body))
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return request.POST.dict()
    if not request.body:
        return {}
    raise ValueError(f"A webhook body of type {request.content_type!r} is not accepted.")


def without_secrets(params):
    """``params`` without the parameters that authenticate a request (``SECRET_PARAMS``),
    for storing or logging what a provider sent."""
    return {name: value for name, value in params.items() if str(name).lower() not in SECRET_PARAMS}


def parse_timestamp(value, tz=UTC):
    """A provider's date and time ("2020-01-01 12:34:56" or ISO 8601) as an aware datetime;
    without an offset it is read in ``tz`` (UTC unless the provider says otherwise)."""
    try:
        parsed = parse_datetime(str(value or ""))
    except ValueError:
        return None
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed


def parse_amount(value):
    """A price from a provider as a positive ``Decimal`` (None if missing or unreadable)."""
    try:
        return abs(Decimal(str(value).strip())) if value not in (None, "") else None
    except InvalidOperation:
        return None


def normalise_sender(raw):
    """A sender number in E.164; a sender that is no phone number (a short code, a name
    like "TELKOMSEL") is kept as it came."""
    try:
        return phones.normalise(raw)
    except ValidationError:
        return str(raw or "").strip()


def basic_auth_password(request):
    """The password of the request's HTTP basic auth, or ""."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return ""
    try:
        decoded = base64.b64decode(credentials, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return ""
    return decoded.partition(":")[2]
