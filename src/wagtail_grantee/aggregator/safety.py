"""Server-side request forgery: the aggregator fetches addresses that editors (or OPML files, or
redirects) give it, so it must not be a way into the server's own network.

:func:`check_url` resolves a URL's host and refuses it when any of its addresses is private,
loopback, link-local, multicast, reserved or unspecified (IPv4 and IPv6, IPv4-mapped IPv6
included; numeric hosts such as ``2130706433`` or ``0x7f.1`` are resolved like the system
does, to ``127.0.0.1``), unless it lies in ``AGGREGATOR_ALLOWED_NETWORKS``. It returns the
checked address, and :mod:`.http` connects to exactly that address, so a DNS answer that
changes between the check and the connection (DNS rebinding) is not followed.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from ..conf import get_setting

ALLOWED_SCHEMES = {"http", "https"}


class UnsafeURL(Exception):
    """The URL may not be fetched; the message says why, for the admin."""


def allowed_networks():
    return [
        ipaddress.ip_network(cidr, strict=False)
        for cidr in get_setting("AGGREGATOR_ALLOWED_NETWORKS")
    ]


def is_public(address, allowed=()):
    """Whether ``address`` (an ``ipaddress`` object) may be connected to."""
    if any(address in network for network in allowed):
        return True
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if embedded is not None and not is_public(embedded, allowed):
            return False
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def url_host(url):
    """The host of ``url`` as the connection pool names it (lower case, no brackets)."""
    return (urlsplit(url).hostname or "").lower()


def check_url(url):
    """Return ``(host, address)``: the URL's host and the checked address to connect to.

    Raises :class:`UnsafeURL` when the URL must not be fetched.
    """
    parts = urlsplit(url)
    if parts.scheme not in ALLOWED_SCHEMES:
        raise UnsafeURL(_("Only http and https addresses can be fetched."))
    host = url_host(url)
    if not host:
        raise UnsafeURL(_("The address has no host name."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise UnsafeURL(_("The address has an invalid port.")) from error
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeURL(_("The host name %(host)s was not found.") % {"host": host}) from error
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    allowed = allowed_networks()
    refused = [address for address in addresses if not is_public(address, allowed)]
    if refused or not addresses:
        raise UnsafeURL(
            _("Refused: %(host)s is a private or reserved address (%(address)s).")
            % {"host": host, "address": refused[0] if refused else "-"}
        )
    # IPv4 first: a server without IPv6 connectivity still reaches a dual-stack host.
    return host, str(min(addresses, key=lambda address: address.version))
