from .broadcasts import Broadcast
from .contacts import Contact, ContactGroup, VerificationCode, VerificationMessages
from .messages import Delivery, InboundMessage, SendRateBucket, UnmatchedDeliveryReport
from .signup import SignupPage, SignupRequest

__all__ = [
    "Broadcast",
    "Contact",
    "ContactGroup",
    "Delivery",
    "InboundMessage",
    "SendRateBucket",
    "SignupPage",
    "SignupRequest",
    "UnmatchedDeliveryReport",
    "VerificationCode",
    "VerificationMessages",
]
