"""A backend that sends nothing and reports every message accepted (like Django's dummy
e-mail backend): for sites that must not send while they are being set up."""

from .base import BaseSMSBackend


class SMSBackend(BaseSMSBackend):
    def send_messages(self, messages):
        return [self.accepted(message) for message in messages]
