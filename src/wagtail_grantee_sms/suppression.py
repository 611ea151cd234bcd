"""The suppression list (see :mod:`wagtail_grantee_sms.models.suppression`).

``inbound`` calls :func:`suppress` for an opt-out keyword from a number that is no contact and
:func:`unsuppress` for an opt-in keyword; a contact that opts out is put on the list by the
model itself; ``sending.check_allowed``, the import and the verification ask :func:`is_suppressed`.
"""

from .models.suppression import (
    SuppressedNumber,
    is_suppressed,
    number_digest,
    suppress,
    suppressed_among,
    unsuppress,
)

__all__ = [
    "SuppressedNumber",
    "is_suppressed",
    "number_digest",
    "suppress",
    "suppressed_among",
    "unsuppress",
]
