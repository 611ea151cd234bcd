"""The contacts' signal handlers, connected in ``AppConfig.ready()``."""

from django.dispatch import receiver

from . import erasure, verification  # noqa: F401  (erasure connects its own pre_delete handler)
from .signals import inbound_message_received


@receiver(inbound_message_received, dispatch_uid="wagtail_grantee_sms.verification_reply")
def verify_by_reply(sender, message, **kwargs):
    """A pending contact's reply (YA/YES or its code) verifies it."""
    verification.handle_reply(message)
