"""Collecting from the backends whose providers call no webhooks (a GSM modem's Gammu spool).

A backend that ``needs_polling`` keeps its delivery reports and inbound messages for the site
to fetch. ``poll_backends`` (the task ``tasks.poll_backends``, every minute) fetches them and
stores them through the very functions the webhooks use, ``sending.apply_delivery_report`` and
``inbound.receive``: a STOP in the modem's inbox opts a contact out exactly like one that
Twilio posts, and an item collected twice is applied once.
"""

import logging

from . import inbound, sending
from .backends import InvalidBackendError, aliases_with, get_backend

logger = logging.getLogger(__name__)


def polled_aliases():
    """The aliases of the configured backends that need polling."""
    return aliases_with("needs_polling")


def poll_backends():
    """Collect and store the reports and inbound messages of every backend that needs it."""
    for alias in polled_aliases():
        try:
            poll_backend(alias)
        except (InvalidBackendError, OSError):
            # One modem's unreadable folder must not stop the others.
            logger.exception("Could not collect from SMS backend %r.", alias)


def poll_backend(alias):
    """Collect and store what backend ``alias`` has."""
    reports = messages = 0
    with get_backend(alias) as backend:
        # Stored one by one as they come: the backend marks an item collected only when the
        # next one is asked for, so nothing is lost if the worker dies in between.
        for report in backend.collect_reports():
            sending.apply_delivery_report(alias, report)
            reports += 1
        for sms in backend.collect_inbound():
            inbound.receive(alias, sms)
            messages += 1
    if reports or messages:
        logger.info(
            "Collected %s status report(s) and %s inbound SMS from SMS backend %r.",
            reports,
            messages,
            alias,
        )
