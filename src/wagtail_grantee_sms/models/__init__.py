from .contacts import Contact, ContactGroup, VerificationCode, VerificationMessages
from .messages import Delivery, InboundMessage, SendRateBucket, UnmatchedDeliveryReport
from .signup import SignupPage

__all__ = [
    "Contact",
    "ContactGroup",
    "Delivery",
    "InboundMessage",
    "SendRateBucket",
    "SignupPage",
    "UnmatchedDeliveryReport",
    "VerificationCode",
    "VerificationMessages",
]
