"""How long an SMS is: GSM-7 or UCS-2, and how many segments it takes.

Plain Python without Django, so the admin's JavaScript counter can share the tables
(``static/wagtail_grantee_sms/gsm7.json`` is generated from :func:`export_tables` by
``python -m wagtail_grantee_sms.encoding``).

The rules (3GPP TS 23.038 and 23.040):

- A text that every character of which is in the GSM 03.38 default alphabet is sent as GSM-7:
  160 septets in one SMS, or 153 per segment once it needs several (the user data header of a
  concatenated SMS takes the rest). A character of the extension table (``€``, ``[``, ``{``…)
  is an escape septet plus its own, so it counts two and is never split across segments.
- Anything else is sent as UCS-2 (UTF-16): 70 units in one SMS, 67 per segment. A character
  outside the Basic Multilingual Plane (most emoji) is two units, a surrogate pair, never split.
"""

import json
from dataclasses import dataclass

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# The GSM 03.38 default alphabet in code order; position 0x1B is the escape to the extension
# table and no character of its own (written here as None).
GSM7_BASIC = [
    *"@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ",
    None,
    *"ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?",
    *"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§",
    *"¿abcdefghijklmnopqrstuvwxyzäöñüà",
]

# The extension table: code (after the escape) → character. Each costs two septets.
GSM7_EXTENSION = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}

# Characters that people (and word processors) type for a GSM-7 one; replacing them keeps a
# text in GSM-7, at 160 characters per SMS instead of 70.
LOOKALIKES = {
    "\u2018": "'",  # left single quotation mark
    "\u2019": "'",  # right single quotation mark, the usual apostrophe of phones
    "\u201a": "'",  # single low-9 quotation mark
    "\u201b": "'",  # single high-reversed-9 quotation mark
    "\u2032": "'",  # prime
    "\u00b4": "'",  # acute accent
    "`": "'",  # grave accent
    "\u201c": '"',  # left double quotation mark
    "\u201d": '"',  # right double quotation mark
    "\u201e": '"',  # double low-9 quotation mark
    "\u201f": '"',  # double high-reversed-9 quotation mark
    "\u2033": '"',  # double prime
    "\u00ab": '"',  # left-pointing double angle quotation mark
    "\u00bb": '"',  # right-pointing double angle quotation mark
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u2012": "-",  # figure dash
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2015": "-",  # horizontal bar
    "\u2212": "-",  # minus sign
    "\u2026": "...",  # horizontal ellipsis
    "\u00a0": " ",  # no-break space
    "\u2007": " ",  # figure space
    "\u2009": " ",  # thin space
    "\u202f": " ",  # narrow no-break space
    "\u200b": "",  # zero width space
    "\ufeff": "",  # zero width no-break space (a stray byte order mark)
    "\t": " ",  # tab
}

# Capacity of one SMS alone, and of each segment of a concatenated one, in septets (GSM-7)
# or UTF-16 code units (UCS-2).
SINGLE_CAPACITY = {GSM7: 160, UCS2: 70}
SEGMENT_CAPACITY = {GSM7: 153, UCS2: 67}

_BASIC = frozenset(ch for ch in GSM7_BASIC if ch is not None)
_EXTENSION = frozenset(GSM7_EXTENSION.values())


@dataclass(frozen=True)
class Measurement:
    """What :func:`measure` finds out about a text."""

    text: str  # the text measured (after look-alike replacement, if asked)
    encoding: str  # GSM7 or UCS2
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int  # 0 for an empty text
    remaining: int  # room left in the last segment, in units (an emoji or "€" takes two)
    ucs2_characters: tuple[str, ...]  # the characters that forced UCS-2, in order of appearance

    @property
    def is_unicode(self):
        return self.encoding == UCS2


def to_gsm7(text):
    """Replace look-alike characters (curly quotes, dashes, ellipsis…) with GSM-7 ones."""
    return "".join(LOOKALIKES.get(ch, ch) for ch in text)


def _width(ch, encoding):
    if encoding == GSM7:
        return 2 if ch in _EXTENSION else 1
    return 2 if ord(ch) > 0xFFFF else 1


def measure(text, *, replace_lookalikes=False):
    """Measure ``text`` as an SMS: encoding, segments, room left, what forced UCS-2."""
    if replace_lookalikes:
        text = to_gsm7(text)
    ucs2_characters = tuple(
        dict.fromkeys(ch for ch in text if ch not in _BASIC and ch not in _EXTENSION)
    )
    encoding = UCS2 if ucs2_characters else GSM7
    widths = [_width(ch, encoding) for ch in text]
    units = sum(widths)
    single = SINGLE_CAPACITY[encoding]
    if units <= single:
        segments = 1 if units else 0
        remaining = single - units
    else:
        capacity = SEGMENT_CAPACITY[encoding]
        segments, filled = 1, 0
        for width in widths:
            # A character that does not fit whole starts the next segment.
            if filled + width > capacity:
                segments, filled = segments + 1, 0
            filled += width
        remaining = capacity - filled
    return Measurement(
        text=text,
        encoding=encoding,
        units=units,
        segments=segments,
        remaining=remaining,
        ucs2_characters=ucs2_characters,
    )


def export_tables():
    """The tables as plain data, for the JavaScript counter (``gsm7.json``)."""
    return {
        "basic": [ch if ch is not None else "" for ch in GSM7_BASIC],
        "extension": {f"{code:#04x}": ch for code, ch in sorted(GSM7_EXTENSION.items())},
        "lookalikes": LOOKALIKES,
        "single_capacity": SINGLE_CAPACITY,
        "segment_capacity": SEGMENT_CAPACITY,
    }


def dump_tables():
    """The JSON text of ``static/wagtail_grantee_sms/gsm7.json``."""
    return json.dumps(export_tables(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":  # pragma: no cover - regenerates the static file
    print(dump_tables(), end="")
