"""``wagtail_grantee_sms.encoding`` against hand-made cases and an independent computation."""

import ast
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import wagtail_grantee_sms
from wagtail_grantee_sms.encoding import GSM7, UCS2, dump_tables, export_tables, measure, to_gsm7

# The GSM 03.38 default alphabet written out again, independently of the module, in rows of
# the standard's table (0x1B, the escape, left out).
GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = "\f^{}\\[~]|€"
ESCAPE = 0x1B


def septets(text):
    """Encode ``text`` in GSM-7 as a list of septet values, or None if it cannot be."""
    out = []
    for ch in text:
        if ch in GSM_EXTENSION:
            out += [ESCAPE, GSM_EXTENSION.index(ch)]
        elif ch in GSM_BASIC:
            out.append(GSM_BASIC.index(ch))
        else:
            return None
    return out


def utf16_units(text):
    data = text.encode("utf-16-be")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


def pack(units, single, capacity, splits_between):
    """Greedy packing: segment sizes, never splitting a pair that must stay together."""
    if len(units) <= single:
        return [len(units)] if units else []
    sizes, start = [], 0
    while start < len(units):
        end = min(start + capacity, len(units))
        if end < len(units) and not splits_between(units[end - 1]):
            end -= 1
        sizes.append(end - start)
        start = end
    return sizes


def oracle(text):
    encoded = septets(text)
    if encoded is not None:
        sizes = pack(encoded, 160, 153, lambda unit: unit != ESCAPE)
        limit = 160 if len(sizes) <= 1 else 153
        return GSM7, len(sizes), limit - (sizes[-1] if sizes else 0)
    units = utf16_units(text)
    sizes = pack(units, 70, 67, lambda unit: not 0xD800 <= unit <= 0xDBFF)
    limit = 70 if len(sizes) <= 1 else 67
    return UCS2, len(sizes), limit - sizes[-1]


sms_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(GSM_BASIC),
        st.sampled_from(GSM_EXTENSION),
        st.sampled_from("“”‘’–—…\u00a0"),
        st.characters(exclude_categories=("Cs",)),
        st.sampled_from("😀🙏🎉𝄞"),
    ),
    max_size=400,
)
gsm_text = st.text(alphabet=st.sampled_from(GSM_BASIC + GSM_EXTENSION), max_size=500)


@given(sms_text)
def test_measure_agrees_with_an_independent_packing(text):
    measured = measure(text)
    assert (measured.encoding, measured.segments, measured.remaining) == oracle(text)


@given(gsm_text)
def test_gsm_text_agrees_too(text):
    measured = measure(text)
    assert (measured.encoding, measured.segments, measured.remaining) == oracle(text)
    assert measured.ucs2_characters == ()


@given(sms_text)
def test_the_characters_that_forced_ucs2_are_exactly_those_outside_gsm7(text):
    measured = measure(text)
    outside = [ch for ch in text if septets(ch) is None]
    assert list(measured.ucs2_characters) == list(dict.fromkeys(outside))
    assert (measured.encoding == UCS2) == bool(outside)


@given(sms_text)
def test_replacing_lookalikes_never_makes_a_text_longer_in_segments(text):
    assert measure(text, replace_lookalikes=True).segments <= measure(text).segments


@pytest.mark.parametrize(
    ("text", "encoding", "segments", "remaining"),
    [
        ("", GSM7, 0, 160),
        ("a" * 160, GSM7, 1, 0),
        ("a" * 161, GSM7, 2, 145),
        ("€" * 80, GSM7, 1, 0),
        ("€" * 81, GSM7, 2, 153 - 2 * 5),  # 76 + 5 in segments of 153 septets
        ("a" * 152 + "€" + "a" * 10, GSM7, 2, 153 - 12),  # "€" not split: it opens segment 2
        ("ç" * 70, UCS2, 1, 0),
        ("ç" * 71, UCS2, 2, 63),
        ("a" * 66 + "😀" + "a" * 5, UCS2, 2, 67 - 7),  # the emoji's surrogate pair opens segment 2
        ("Halo, apa kabar? Rapat desa besok jam 3 di balai.", GSM7, 1, 111),
    ],
)
def test_known_cases(text, encoding, segments, remaining):
    measured = measure(text)
    assert (measured.encoding, measured.segments, measured.remaining) == (
        encoding,
        segments,
        remaining,
    )


def test_the_characters_that_forced_ucs2_are_named():
    measured = measure("Terima kasih 🙏 atas “dukungan” Anda 🙏")
    assert measured.ucs2_characters == ("🙏", "“", "”")


def test_lookalikes_are_replaced_with_gsm7_characters():
    text = "“Rapat” – jam 3… jangan lupa\u00a0ya ‘Bu’"
    assert to_gsm7(text) == "\"Rapat\" - jam 3... jangan lupa ya 'Bu'"
    measured = measure(text, replace_lookalikes=True)
    assert measured.encoding == GSM7
    assert measured.text == to_gsm7(text)
    assert measure(text).encoding == UCS2


def test_the_static_tables_match_the_python_tables():
    path = Path(wagtail_grantee_sms.__file__).parent / "static/wagtail_grantee_sms/gsm7.json"
    text = path.read_text(encoding="utf-8")
    assert text == dump_tables(), "regenerate: python -m wagtail_grantee_sms.encoding > " + str(
        path
    )
    tables = json.loads(text)
    assert tables == json.loads(json.dumps(export_tables()))
    assert "".join(tables["basic"]) == GSM_BASIC
    assert "".join(tables["extension"].values()) == GSM_EXTENSION


def test_encoding_does_not_import_django():
    source = Path(wagtail_grantee_sms.__file__).with_name("encoding.py").read_text()
    imported = [
        name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in (
            [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
        )
    ]
    assert imported and not [name for name in imported if name.startswith("django")]
