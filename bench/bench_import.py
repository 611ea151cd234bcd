"""How fast the contact import reads, checks and writes 10,000 rows.

Run from the repository root: ``.venv/bin/python bench/bench_import.py`` (SQLite in memory), or
with ``DATABASE_URL=postgres://...`` for PostgreSQL. Prints rows per second for each step.
"""

import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

ROWS = 10_000


def make_csv(rows, start=0):
    lines = ["nama;no hp;bahasa;grup"]
    for n in range(start, start + rows):
        lines.append(f"Pendukung {n};0812-{n // 10000:04d}-{n % 10000:04d};Indonesia;Relawan")
    # A few bad rows, as real files have.
    lines += ["Salah;12345;;", "Kantor;021 3190 1234;;"]
    return "\n".join(lines).encode("utf-8-sig")


def timed(label, rows, func):
    started = time.perf_counter()
    result = func()
    seconds = time.perf_counter() - started
    print(f"{label:<34} {seconds:7.3f} s  {rows / seconds:>10,.0f} rows/s")
    return result, seconds


def main():
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from wagtail_grantee_sms import importing
        from wagtail_grantee_sms.models import Contact

        print(f"Import of {ROWS:,} rows on {connection.vendor}")
        content = make_csv(ROWS)
        (headers, rows), _ = timed(
            "read CSV", ROWS, lambda: importing.read_table(io.BytesIO(content), "c.csv")
        )
        mapping = importing.guess_mapping(headers)
        plan, plan_s = timed(
            "check rows (plan)", ROWS, lambda: importing.plan_import(rows, mapping)
        )
        result, write_s = timed(
            "write (one transaction)", ROWS, lambda: importing.run_import(plan, create_groups=True)
        )
        assert result.created == ROWS == Contact.objects.count(), result
        assert len(plan.errors) == 2
        total = plan_s + write_s
        print(f"{'check + write':<34} {total:7.3f} s  {ROWS / total:>10,.0f} rows/s")

        # The same file again, names changed, with 10,000 contacts in the database.
        rows = [[row[0] + " B", *row[1:]] for row in rows]
        plan, plan_s = timed(
            "check rows again (all existing)",
            ROWS,
            lambda: importing.plan_import(rows, mapping, update_existing=True),
        )
        result, write_s = timed(
            "update existing contacts", ROWS, lambda: importing.run_import(plan)
        )
        assert result.updated == ROWS, result
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
