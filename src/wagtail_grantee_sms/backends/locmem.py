"""A backend for tests: keeps what it sends in ``wagtail_grantee_sms.outbox``.

Like ``django.core.mail.outbox``: every message the backend accepts is appended to
``wagtail_grantee_sms.outbox`` (a list of ``OutgoingSMS``). :func:`fail` makes sends to one
number fail with a given provider error; :func:`reset` empties both (the ``tests/sms``
conftest does it before every test).
"""

import itertools

import wagtail_grantee_sms

from .base import BaseSMSBackend

# number (E.164) → the error a send to it gets
_failures = {}
_message_ids = itertools.count(1)


def reset():
    """Empty the outbox and forget the failures set with :func:`fail`."""
    wagtail_grantee_sms.outbox = []
    _failures.clear()


def fail(number, *, code="21211", message="Invalid number", permanent=True):
    """Make every send to ``number`` fail with this provider ``code`` and ``message``."""
    _failures[number] = {"code": code, "text": message, "permanent": permanent}


class SMSBackend(BaseSMSBackend):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if not hasattr(wagtail_grantee_sms, "outbox"):
            wagtail_grantee_sms.outbox = []

    def send_messages(self, messages):
        results = []
        for message in messages:
            if message.to in _failures:
                results.append(self.failed(message, **_failures[message.to]))
                continue
            wagtail_grantee_sms.outbox.append(message)
            results.append(self.accepted(message, message_id=f"locmem-{next(_message_ids)}"))
        return results
