"""The contacts' signal handlers, connected in ``AppConfig.ready()``."""

from django.dispatch import receiver

from . import erasure, verification  # noqa: F401  (erasure connects its own pre_delete handler)
from .signals import delivery_status_changed, inbound_message_received


@receiver(inbound_message_received, dispatch_uid="wagtail_grantee_sms.verification_reply")
def verify_by_reply(sender, message, **kwargs):
    """A pending contact's reply (YA/YES or its code) verifies it."""
    verification.handle_reply(message)


@receiver(delivery_status_changed, dispatch_uid="wagtail_grantee_sms.redact_verification_code")
def redact_sent_code(sender, delivery, old_status, **kwargs):
    """Once the provider has a verification SMS, our copy of its text loses the code."""
    verification.redact_code(delivery)
