"""The shared test vectors of the SMS counter: the Python side (the browser test checks the
JavaScript counter on the same file), and the tables the compose page embeds."""

import json
from pathlib import Path

import pytest

from wagtail_grantee_sms.encoding import export_tables, measure

VECTORS_FILE = Path(__file__).parent / "data" / "encoding_vectors.json"
VECTORS = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("vector", VECTORS, ids=[repr(v["text"][:24]) for v in VECTORS])
def test_encoding_measure_agrees_with_the_shared_vectors(vector):
    measured = measure(vector["text"])

    assert (measured.encoding, measured.segments, measured.units, len(vector["text"])) == (
        vector["encoding"],
        vector["segments"],
        vector["units"],
        vector["characters"],
    )


def test_the_vectors_cover_both_encodings_and_every_segment_boundary():
    encodings = {v["encoding"] for v in VECTORS}
    segments = {v["segments"] for v in VECTORS}
    assert encodings == {"GSM-7", "UCS-2"}
    assert {0, 1, 2, 3} <= segments
    # a character counted twice in each encoding: the euro sign (GSM-7) and an emoji (UCS-2)
    assert any("€" in v["text"] and v["units"] > v["characters"] for v in VECTORS)
    assert any(v["encoding"] == "UCS-2" and v["units"] > v["characters"] for v in VECTORS)


@pytest.mark.django_db
def test_the_compose_page_embeds_the_tables_of_the_python_module(client):
    from .factories import SuperuserFactory

    client.force_login(SuperuserFactory())
    response = client.get("/admin/sms/broadcasts/new/")

    embedded = response.content.decode().split('id="sms-gsm7-tables" type="application/json">')[1]
    assert json.loads(embedded.split("</script>")[0]) == export_tables()
