"""Signals of the SMS pipeline, for the other parts of the app and for sites.

``inbound_message_received(sender=None, message=InboundMessage)``
    An inbound SMS that is not an opt-out or opt-in keyword, sent after it is stored and
    matched to its contact (``message.contact``, possibly ``None``). Verification replies are
    read here.

``delivery_status_changed(sender=None, delivery=Delivery, old_status=str)``
    A delivery's status moved (sending, a provider's answer, a status report, a retry).
"""

from django.dispatch import Signal

inbound_message_received = Signal()
delivery_status_changed = Signal()
