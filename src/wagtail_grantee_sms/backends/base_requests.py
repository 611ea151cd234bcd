"""Base of the backends that talk HTTP to a gateway, over ``requests``.

One ``requests.Session`` per batch: :meth:`open` makes it (``with backend:`` around a
broadcast reuses it for every message), and :meth:`send_messages` makes and closes one for
its own batch when the caller did not. A provider fills in :meth:`send_message`: build the
request for one message, post it with :meth:`request`, turn the reply into a result.

Nothing here logs a request or a reply body: both hold phone numbers. Error texts name the
gateway's host, never the URL (a GET gateway carries the number in its query string).
"""

import logging
from abc import abstractmethod
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import NewConnectionError

import wagtail_grantee_sms

from ..phones import mask
from .base import BaseSMSBackend, SMSBackendError

logger = logging.getLogger(__name__)


def may_have_arrived(error):
    """Whether the request that failed with ``error`` may have reached the gateway.

    Only two errors happen before a byte of the request is sent: a connect timeout, and a
    connection that could not be made (refused, unreachable, unknown host: urllib3's
    ``NewConnectionError``, which requests wraps in a ``ConnectionError``). Anything else,
    a read timeout above all (which requests also raises as a ``ConnectionError`` when the
    body stalls), may come after the gateway took the message.
    """
    if isinstance(error, requests.ConnectTimeout):
        return False
    if isinstance(error, requests.ConnectionError) and error.args:
        reason = getattr(error.args[0], "reason", None)  # urllib3's MaxRetryError
        return not isinstance(reason, NewConnectionError)
    return True


class RequestsSMSBackend(BaseSMSBackend):
    default_options = {
        # Seconds to wait for the gateway to connect and to answer.
        "timeout": 10,
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.session = None

    def open(self):
        if self.session is not None:
            return False
        self.session = requests.Session()
        self.session.headers["User-Agent"] = (
            f"wagtail-grantee-sms/{wagtail_grantee_sms.__version__} "
            f"{requests.utils.default_user_agent()}"
        )
        return True

    def close(self):
        if self.session is not None:
            self.session.close()
            self.session = None

    def send_messages(self, messages):
        messages = list(messages)
        opened = self.open()
        results = []
        try:
            for message in messages:
                try:
                    result = self.send_message(message)
                except SMSBackendError as error:
                    logger.warning("SMS backend %r: %s", self.alias, error)
                    return self.backend_error(error, messages, results)
                self.log_result(result)
                results.append(result)
        finally:
            if opened:
                self.close()
        return results

    @abstractmethod
    def send_message(self, message):
        """Send one ``OutgoingSMS`` and return its ``SendResult``.

        Raise ``SMSBackendError`` (e.g. through :meth:`request`) for an error that is not
        about this message.
        """

    def request(self, method, url, **kwargs):
        """Make an HTTP request in the batch's session; network errors become
        ``SMSBackendError``, and so do server errors, refused credentials and throttling of
        the whole request (HTTP 429), with ``maybe_sent`` saying whether the message may have
        gone out all the same."""
        host = urlsplit(url).hostname
        try:
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.RequestException as error:
            raise SMSBackendError(
                f"{type(error).__name__} talking to {host}.", maybe_sent=may_have_arrived(error)
            ) from error
        if response.status_code >= 500:
            # The gateway may have taken the message before failing.
            raise SMSBackendError(f"{host} answered with a server error {response.status_code}.")
        if response.status_code in (401, 403):
            raise SMSBackendError(
                f"{host} refused the credentials (HTTP {response.status_code}); check the "
                f"OPTIONS of SMS backend {self.alias!r}.",
                maybe_sent=False,
            )
        if response.status_code == 429:
            raise SMSBackendError(
                f"{host} refused the request: too many requests (HTTP 429).", maybe_sent=False
            )
        return response

    def json(self, response, *, object_only=True):
        """The JSON in the body of ``response``, an object unless not ``object_only``; anything
        else is an ``SMSBackendError`` (``maybe_sent``: the gateway may have taken the message
        all the same)."""
        host = urlsplit(response.url or "").hostname
        try:
            payload = response.json()
        except (ValueError, RecursionError) as error:
            raise SMSBackendError(
                f"{host} answered HTTP {response.status_code} with a body that is not JSON."
            ) from error
        if object_only and not isinstance(payload, dict):
            raise SMSBackendError(
                f"{host} answered HTTP {response.status_code} with JSON that is not an object."
            )
        return payload

    def log_result(self, result):
        if result.accepted:
            logger.info(
                "SMS to %s accepted by %r as %s",
                mask(result.message.to),
                self.alias,
                result.message_id,
            )
        else:
            logger.warning(
                "SMS to %s refused by %r: %s %s",
                mask(result.message.to),
                self.alias,
                result.error_code,
                result.error_message,
            )
