from .broadcasts import Broadcast
from .contacts import (
    ConsentMissing,
    Contact,
    ContactGroup,
    ContactNotVerifiable,
    NumberSuppressed,
    VerificationCode,
    VerificationMessages,
)
from .messages import Delivery, InboundMessage, SendRateBucket, UnmatchedDeliveryReport
from .signup import SignupPage, SignupRequest
from .suppression import SuppressedNumber

__all__ = [
    "Broadcast",
    "ConsentMissing",
    "ContactNotVerifiable",
    "NumberSuppressed",
    "SuppressedNumber",
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
