"""How long the contact import takes to refuse files built to make it spend time or memory.

Run from the repository root: ``.venv/bin/python bench/bench_import_limits.py``. Builds each
crafted file of ``tests/sms/hostile_files.py`` (the ones issue 8 observed taking 7.8 s to
167 s), passes it to ``importing.read_table`` and prints its size, the refusal message and the
time it took. Target: each under one second. Also prints how long ``csv.Sniffer`` (no longer
used) takes on the sniffer bomb, for comparison.
"""

import contextlib
import csv
import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
os.environ.pop("DATABASE_URL", None)
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"

import django  # noqa: E402

django.setup()

from tests.sms import hostile_files  # noqa: E402
from wagtail_grantee_sms import importing  # noqa: E402

FILES = [
    ("wide-dimension XLSX", "kontak.xlsx", hostile_files.wide_dimension_xlsx),
    ("shared-strings bomb XLSX (34 MB unpacked)", "kontak.xlsx",
     hostile_files.shared_strings_bomb_xlsx),
    ("shared-strings bomb XLSX (17 MB unpacked)", "kontak.xlsx",
     lambda: hostile_files.shared_strings_bomb_xlsx(1_000_000)),
    ("CSV with 50,000 columns", "kontak.csv", hostile_files.many_columns_csv),
    ("sniffer-bomb CSV", "kontak.csv", hostile_files.sniffer_bomb_csv),
]  # fmt: skip


def main():
    for label, name, build in FILES:
        content = build()
        started = time.perf_counter()
        try:
            importing.read_table(io.BytesIO(content), name)
            outcome = "ACCEPTED"
        except importing.ImportFileError as error:
            outcome = error.message
        elapsed = time.perf_counter() - started
        print(f"{label:45} {len(content) / 1024:8.1f} KB {elapsed * 1000:8.1f} ms  {outcome}")
    data = hostile_files.sniffer_bomb_csv().decode()
    started = time.perf_counter()
    with contextlib.suppress(csv.Error):
        csv.Sniffer().sniff(data[:8192], delimiters=",;\t|")
    print(f"{'(csv.Sniffer on the sniffer bomb, not used)':45} {'':11} "
          f"{(time.perf_counter() - started) * 1000:8.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
