"""One HTTP fetch for the aggregator, as a well-behaved and careful client does it.

- One :class:`requests.Session` per run (:func:`session`), with connections kept per host.
- Conditional GET: the caller passes the stored ``ETag`` and ``Last-Modified``.
- Redirects are followed here, not by requests, at most :data:`MAX_REDIRECTS`, so that every
  hop's address is checked by :func:`~.safety.check_url` before anything is sent to it.
- The connection goes to the address the check approved (the pool's connections are pinned to
  it: their ``_new_conn``, the one step of urllib3 1.26 and 2.x that resolves and connects,
  is replaced), so a DNS answer that changes between check and connection is not followed;
  the Host header, TLS SNI and the certificate check still use the host name.
- Connect and read timeouts; the body is streamed and cut off at ``AGGREGATOR_MAX_BYTES``
  (the connection is closed, the rest never downloaded), and a body that trickles in slower
  than the timeout allows in total is cut off too.
- No proxies or ``.netrc`` from the environment (``trust_env`` is off): a proxy would connect
  to the unchecked host itself.
"""

import time
from dataclasses import dataclass, field
from urllib.parse import urljoin

import requests
from django.conf import settings
from django.utils.translation import gettext as _
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util.connection import create_connection

from .. import __version__
from ..conf import get_setting
from .safety import UnsafeURL, check_url

MAX_REDIRECTS = 5
PERMANENT_REDIRECTS = {301, 308}
REDIRECTS = {301, 302, 303, 307, 308}
CHUNK_SIZE = 64 * 1024
ACCEPT = (
    "application/atom+xml, application/rss+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.5, */*;q=0.1"
)


class FetchError(Exception):
    """The fetch failed; the message says why, for the admin. ``status`` is the HTTP status
    when the server answered."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


@dataclass
class Response:
    url: str  # the address that answered, after redirects
    status: int
    headers: dict
    body: bytes = b""
    # The address to store as the feed's from now on: the end of a chain of permanent
    # redirects, or ``None`` when a hop was temporary (or there was none).
    permanent_url: str | None = None
    network_seconds: float = 0.0
    redirects: list = field(default_factory=list)


def user_agent():
    configured = get_setting("AGGREGATOR_USER_AGENT")
    if configured:
        return configured
    site = getattr(settings, "WAGTAILADMIN_BASE_URL", "") or ""
    return f"wagtail-grantee/{__version__} aggregator" + (f" (+{site})" if site else "")


class PinnedAdapter(HTTPAdapter):
    """Connects each host only to the address that :func:`check_url` approved for it."""

    def __init__(self, pins, **kwargs):
        self.pins = pins
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _pinned_pool(HTTPConnectionPool, self.pins),
            "https": _pinned_pool(HTTPSConnectionPool, self.pins),
        }

    def __getstate__(self):  # requests pickles adapters with their own attributes only
        return super().__getstate__() | {"pins": self.pins}


def _pinned_pool(pool_class, pins):
    class PinnedConnection(pool_class.ConnectionCls):
        def _new_conn(self):
            # As urllib3's own, but to the checked address instead of a new DNS answer; the
            # host name still goes into the Host header, TLS SNI and the certificate check.
            address = pins.get(self.host.strip("[]").lower())
            if address is None:  # never checked: never connected
                raise UnsafeURL(_("The address was not checked before connecting."))
            try:
                return create_connection(
                    (address, self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError as error:
                raise ConnectTimeoutError(self, f"Connection to {self.host} timed out.") from error
            except OSError as error:
                raise NewConnectionError(self, f"Failed to connect: {error}") from error

    return type("PinnedPool", (pool_class,), {"ConnectionCls": PinnedConnection})


def session(pool_size=10):
    """A session for one run of the aggregator (its pins are the run's checked addresses)."""
    http = requests.Session()
    http.trust_env = False
    http.headers.update({"User-Agent": user_agent(), "Accept": ACCEPT})
    http.pins = {}
    adapter = PinnedAdapter(http.pins, pool_connections=pool_size, pool_maxsize=pool_size)
    http.mount("http://", adapter)
    http.mount("https://", adapter)
    return http


def get(http, url, *, etag="", last_modified=""):
    """GET ``url`` (a conditional GET when validators are given), following redirects.

    Returns a :class:`Response` (a 304 has no body); raises :class:`FetchError` or
    :class:`~.safety.UnsafeURL`. Any status but 200 and 304 is a :class:`FetchError`.
    """
    timeout = get_setting("AGGREGATOR_TIMEOUT")
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    permanent = True
    hops = []
    started = time.monotonic()
    for _hop in range(MAX_REDIRECTS + 1):
        host, address = check_url(url)
        http.pins[host] = address
        try:
            response = http.get(
                url, headers=headers, timeout=(timeout, timeout), stream=True,
                allow_redirects=False,
            )  # fmt: skip
        except requests.Timeout as error:
            raise FetchError(_("The server did not answer in time.")) from error
        except requests.RequestException as error:
            raise FetchError(_("The server could not be reached (%(error)s).") % {
                "error": type(error).__name__}) from error  # fmt: skip
        with response:
            if response.status_code in REDIRECTS and response.headers.get("Location"):
                permanent = permanent and response.status_code in PERMANENT_REDIRECTS
                url = urljoin(url, response.headers["Location"])
                hops.append((response.status_code, url))
                continue
            result = Response(
                url=response.url,
                status=response.status_code,
                headers=dict(response.headers),
                permanent_url=url if hops and permanent else None,
                redirects=hops,
            )
            if response.status_code == 304:
                result.network_seconds = time.monotonic() - started
                return result
            if response.status_code != 200:
                raise FetchError(
                    _("The server answered HTTP %(status)s.") % {"status": response.status_code},
                    status=response.status_code,
                )
            result.body = _read_body(response, timeout)
            result.network_seconds = time.monotonic() - started
            return result
    raise FetchError(_("More than %(count)s redirects.") % {"count": MAX_REDIRECTS})


def _read_body(response, timeout):
    limit = get_setting("AGGREGATOR_MAX_BYTES")
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise FetchError(_too_large(limit), status=response.status_code)
    # A server that sends a byte now and then never trips the read timeout; the whole body
    # gets a few times the timeout.
    deadline = time.monotonic() + 3 * timeout
    chunks, size = [], 0
    try:
        for chunk in response.iter_content(CHUNK_SIZE):
            size += len(chunk)
            if size > limit:
                raise FetchError(_too_large(limit), status=response.status_code)
            if time.monotonic() > deadline:
                raise FetchError(_("The server sent the feed too slowly."), response.status_code)
            chunks.append(chunk)
    except requests.RequestException as error:
        raise FetchError(
            _("The connection broke while reading the feed (%(error)s).")
            % {"error": type(error).__name__},
            status=response.status_code,
        ) from error
    return b"".join(chunks)


def _too_large(limit):
    return _("The feed is larger than %(limit)s bytes; it was cut off.") % {"limit": limit}
