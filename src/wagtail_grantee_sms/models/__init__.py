from .contacts import (
    ConsentMissing,
    Contact,
    ContactGroup,
    ContactNotVerifiable,
    NumberSuppressed,
    VerificationCode,
    VerificationMessages,
)
from .messages import Delivery, InboundMessage, SendRateBucket
from .signup import SignupPage
from .suppression import SuppressedNumber

__all__ = [
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
    "VerificationCode",
    "VerificationMessages",
]
