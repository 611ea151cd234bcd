from .contacts import Contact, ContactGroup, VerificationCode, VerificationMessages
from .messages import Delivery, InboundMessage, SendRateBucket

__all__ = [
    "Contact",
    "ContactGroup",
    "Delivery",
    "InboundMessage",
    "SendRateBucket",
    "VerificationCode",
    "VerificationMessages",
]
