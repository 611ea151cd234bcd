"""Phone numbers: one way to read, store and print them, on top of ``phonenumbers``.

Numbers are stored in E.164 (``+6281234567890``). Anything meant for a log line goes
through :func:`mask` first, so a log never holds a full number.
"""

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .conf import get_setting

MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


def parse(raw, region=None):
    """Parse ``raw`` as written by a person and return a valid ``PhoneNumber``.

    Raises ``ValidationError`` with a message an editor can act on.
    """
    text = str(raw or "").strip()
    if not text:
        raise ValidationError(_("Enter a phone number."), code="required")
    region = region or get_setting("DEFAULT_REGION")
    # "62812…" without the plus is how many people write an Indonesian number.
    candidates = [text]
    if not text.startswith(("+", "0")) and text[:1].isdigit():
        candidates.append("+" + text)
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return number
    raise ValidationError(
        _("“%(number)s” is not a valid phone number."), code="invalid", params={"number": text}
    )


def normalise(raw, region=None, *, mobile_only=False):
    """Return ``raw`` in E.164, optionally refusing numbers that cannot receive SMS."""
    text = str(raw or "").strip()
    e164, mobile = _read(text, region or get_setting("DEFAULT_REGION"))
    if mobile_only and not mobile:
        raise ValidationError(
            _("“%(number)s” is not a mobile number, so it cannot receive SMS."),
            code="not_mobile",
            params={"number": text},
        )
    return e164


# (text as written, region) -> (E.164, is mobile), for numbers that parsed. Parsing costs
# ~40 µs, and an import reads each number several times (checking the rows, then writing them
# in E.164), so each result is also kept under its E.164 spelling.
_known = {}
KNOWN_MAX = 50_000


def _read(text, region):
    if (known := _known.get((text, region))) is not None:
        return known
    number = parse(text, region)
    result = (
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        is_mobile(number),
    )
    if len(_known) >= KNOWN_MAX:
        _known.clear()
    _known[(text, region)] = _known[(result[0], region)] = result
    return result


def is_mobile(number):
    """Whether ``number`` (a ``PhoneNumber`` or any text ``parse`` reads) is a mobile number."""
    if not isinstance(number, phonenumbers.PhoneNumber):
        number = parse(number)
    return phonenumbers.number_type(number) in MOBILE_TYPES


def mask(e164, visible=3):
    """Hide all but the last ``visible`` digits: ``+**********890``. Safe for log lines."""
    text = str(e164 or "")
    digits = sum(ch.isdigit() for ch in text)
    hidden = max(digits - visible, 0)
    out = []
    for ch in text:
        if ch.isdigit() and hidden:
            out.append("*")
            hidden -= 1
        else:
            out.append(ch)
    return "".join(out)


def display(e164):
    """Format an E.164 number the way people of its country write it internationally."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
