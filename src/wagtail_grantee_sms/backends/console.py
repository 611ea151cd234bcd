"""A backend for the demo: prints each message on the terminal instead of sending it.

Printing the number is the purpose here (the demo's terminal is the phone), so it goes to
``stream`` (standard output), never through ``logging``.
"""

import sys
import threading
import uuid

from .base import BaseSMSBackend


class SMSBackend(BaseSMSBackend):
    simulated_inbound = True  # nothing can come in otherwise

    def __init__(self, *, stream=None, **kwargs):
        super().__init__(**kwargs)
        self.stream = stream or sys.stdout
        self._lock = threading.RLock()

    def format_message(self, message, message_id):
        lines = [
            f"SMS {message_id}",
            f"To: {message.to}",
            f"From: {message.sender or '(default sender)'}",
            f"Reference: {message.reference}",
            "",
            message.body,
            "-" * 79,
        ]
        return "\n".join(lines) + "\n"

    def send_messages(self, messages):
        results = []
        with self._lock:
            for message in messages:
                message_id = f"{self.alias}-{uuid.uuid4().hex}"
                self.stream.write(self.format_message(message, message_id))
                results.append(self.accepted(message, message_id=message_id))
            self.stream.flush()
        return results
