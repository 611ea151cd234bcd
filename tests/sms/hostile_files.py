"""Small files built to make a contact import spend time or memory (see issue 8).

Shared by ``test_import_limits.py`` (which checks each is refused with a clear message) and
``bench/bench_import_limits.py`` (which times the refusals).
"""

import io
import re
import zipfile

from openpyxl import Workbook


def _xlsx(rows):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _rewrite(xlsx, replace):
    """A copy of workbook ``xlsx`` whose parts ``replace(name, data)`` may change."""
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, replace(info.filename, source.read(info)))
    return out.getvalue()


def wide_dimension_xlsx():
    """A few cells, but the sheet declares itself 16,384 columns by 1,048,576 rows wide."""

    def replace(name, data):
        if name.startswith("xl/worksheets/"):
            return re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', data)
        return data

    return _rewrite(_xlsx([["Nama", "No HP"], ["Ani", "081234567890"]]), replace)


def shared_strings_bomb_xlsx(strings=2_000_000):
    """A workbook whose shared strings unpack to ~34 MB from a file of about 100 KB."""
    table = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + b"<si><t>x</t></si>" * strings
        + b"</sst>"
    )

    def replace(name, data):
        if name == "xl/_rels/workbook.xml.rels":
            return data.replace(
                b"</Relationships>",
                b'<Relationship Id="rIdStrings" Target="sharedStrings.xml" Type="http://schemas'
                b'.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
                b"</Relationships>",
            )
        if name == "[Content_Types].xml":
            return data.replace(
                b"</Types>",
                b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
                b'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
            )
        return data

    # openpyxl writes its strings inline, so the shared strings part is added.
    xlsx = _rewrite(_xlsx([["Nama", "No HP"], ["Ani", "081234567890"]]), replace)
    out = io.BytesIO(xlsx)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", table)
    return out.getvalue()


def many_columns_csv(columns=50_000):
    """A 200 KB CSV whose header row has 50,000 columns."""
    header = ",".join(f"c{n}" for n in range(columns))
    return (header + "\n" + ",".join("1" for _ in range(columns)) + "\n").encode()


def sniffer_bomb_csv():
    """8 KB of quotes and line breaks that keep ``csv.Sniffer`` busy for seconds."""
    return ('"\n' * 4096 + '"' + "x" * 10).encode()
