"""A backend for tests: keeps what it sends in ``wagtail_grantee_sms.outbox``.

Like ``django.core.mail.outbox``: every message the backend accepts is appended to
``wagtail_grantee_sms.outbox`` (a list of ``OutgoingSMS``). :func:`fail` makes sends to one
number fail with a given provider error; :func:`reset` empties both (the ``tests/sms``
conftest does it before every test). With the option ``idempotent_references`` it behaves
like a provider that deduplicates client references: a message whose reference it took
before gets the same message id and is not added to the outbox again.
"""

import itertools

import wagtail_grantee_sms

from .base import BaseSMSBackend

# number (E.164) → the error a send to it gets
_failures = {}
# client reference → message id of the message accepted with it
_references = {}
_message_ids = itertools.count(1)


def reset():
    """Empty the outbox and forget the failures set with :func:`fail`."""
    wagtail_grantee_sms.outbox = []
    _failures.clear()
    _references.clear()


def fail(number, *, code="21211", message="Invalid number", permanent=True):
    """Make every send to ``number`` fail with this provider ``code`` and ``message``."""
    _failures[number] = {"code": code, "text": message, "permanent": permanent}


class SMSBackend(BaseSMSBackend):
    simulated_inbound = True  # nothing can come in otherwise

    default_options = {
        # Deduplicate client references like some providers do (for tests of resends).
        "idempotent_references": False,
    }

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
            if self.idempotent_references and message.reference in _references:
                results.append(self.accepted(message, message_id=_references[message.reference]))
                continue
            wagtail_grantee_sms.outbox.append(message)
            message_id = f"locmem-{next(_message_ids)}"
            if message.reference:
                _references[message.reference] = message_id
            results.append(self.accepted(message, message_id=message_id))
        return results
