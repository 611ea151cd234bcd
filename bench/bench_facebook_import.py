"""How fast the Facebook notes importer brings 1,000 notes with 500 images home, and again, and
whether its memory stays flat as the archive grows.

Run from the repository root: ``.venv/bin/python bench/bench_facebook_import.py`` (SQLite in
memory, pictures on disk), or with ``DATABASE_URL=postgres://...`` for PostgreSQL.

Speed, for each mode (published, then drafts), in a new database each: a first import of a
generated archive, then a second, no-change import of the same archive. Each line gives the
wall time, the CPU time of the process (on a shared machine the wall clock also measures the
other processes), notes per second and queries per note; then the ratio of the re-import's
time to the first's. Goals: 1,000 notes in under 60 s, the re-import under 0.1× of the first.

Memory: the same import (published) of two archive sizes, each in a new process of its own,
with ``tracemalloc``'s peak of Python memory during the import, and how far the process's peak
resident size (``VmHWM``, reset through Linux's /proc/self/clear_refs just before) rose above
its size before the import; then the ratio of the larger archive's figures to the smaller's.
Goal: memory that does not grow with the archive (ratios near 1). On SQLite the memory runs
keep the database in a file (in memory, it would be the process's memory). ``tracemalloc``
makes the import several times slower.

    --notes N              notes of the speed runs (1,000; 500 pictures: one note in two has one)
    --modes publish,draft  which speed runs
    --memory 250,1000      the archive sizes of the memory runs ("" for none)
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.backends.base.base import BaseDatabaseWrapper  # noqa: E402
from django.test.utils import override_settings, setup_test_environment  # noqa: E402

WORDS = [
    "kami",
    "belajar",
    "bersama",
    "di",
    "surabaya",
    "tentang",
    "jurnalisme",
    "warga",
    "dan",
    "“CMS”",
    "—",
    "seru",
    "🙏",
]


def make_archive(path, notes):
    """A Facebook archive of ``notes`` notes of five paragraphs and a tag each; every other
    note has a picture of its own (``notes // 2`` pictures)."""
    from tests.grantee.importers.archives import build_zip, image_bytes, media, note

    rng = random.Random(2012)
    files = {
        f"your_facebook_activity/other_activity/media/foto_{n}.jpg": image_bytes(
            (rng.randrange(256), rng.randrange(256), rng.randrange(256)), size=(320, 240)
        )
        for n in range(notes // 2)
    }
    items = []
    for n in range(notes):
        text = "\n\n".join(
            " ".join(rng.choice(WORDS) for _ in range(60)).capitalize() + "." for _ in range(5)
        )
        item_media = (
            [media(f"your_facebook_activity/other_activity/media/foto_{n // 2}.jpg", f"Foto {n}")]
            if n % 2 == 0
            else []
        )
        items.append(
            note(
                title=f"Catatan nomor {n}",
                text=text,
                created=1262304000 + n * 86400,
                tags=[{"name": rng.choice(["mentoring", "pelatihan", "laporan"])}],
                media=item_media,
            )
        )
    return build_zip(path, notes=items, files=files)


@contextmanager
def bench_database(on_disk=False):
    """A new test database, and pictures on disk as on a site (the tests' in-memory storage
    would count every stored picture as memory of the import). With ``on_disk``, SQLite keeps
    the database in a file, not in the process's memory, where it would grow with the posts."""
    media_root = tempfile.mkdtemp(prefix="bench-facebook-media-")
    storages = settings.STORAGES | {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    }
    old_name = connection.settings_dict["NAME"]
    if on_disk and connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = str(Path(media_root) / "bench.sqlite3")
    with override_settings(STORAGES=storages, MEDIA_ROOT=media_root):
        connection.creation.create_test_db(verbosity=0, autoclobber=True)
        connection.force_debug_cursor = False
        try:
            yield
        finally:
            in_memory = connection.vendor == "sqlite" and connection.is_in_memory_db()
            connection.creation.destroy_test_db(old_name, verbosity=0)
            if in_memory:
                # Django keeps an in-memory SQLite database open for good; the next run must
                # start from an empty one.
                BaseDatabaseWrapper.close(connection)
            shutil.rmtree(media_root, ignore_errors=True)


def new_section():
    from tests.grantee.factories import SectionPageFactory, SiteFactory

    return SectionPageFactory(parent=SiteFactory().root_page.specific, title="Berita")


def timed_import(label, archive, section, notes, publish):
    from wagtail_grantee.importers.facebook import import_archive

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    started, cpu_started = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(count):
        report = import_archive(archive, section, publish=publish)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    print(
        f"{label:<28} {seconds:7.2f} s wall {cpu:7.2f} s CPU {notes / seconds:7.1f} notes/s"
        f" {queries / notes:6.1f} queries/note  [{report.summary()}]",
        flush=True,
    )
    return seconds, cpu


def speed(notes, modes):
    with tempfile.TemporaryDirectory() as folder:
        archive = make_archive(Path(folder) / "facebook.zip", notes)
        print(
            f"Facebook import of {notes:,} notes with {notes // 2:,} pictures "
            f"({archive.stat().st_size / 2**20:.1f} MiB zip) on {connection.vendor}",
            flush=True,
        )
        for mode in modes:
            with bench_database():
                section = new_section()
                publish = mode == "publish"
                first = timed_import(f"{mode}: first import", archive, section, notes, publish)
                again = timed_import(f"{mode}: again, no change", archive, section, notes, publish)
                print(
                    f"{mode}: re-import / first import: {again[0] / first[0]:.3f}x wall, "
                    f"{again[1] / first[1]:.3f}x CPU",
                    flush=True,
                )


def resident_kib(field):
    """``VmRSS`` or ``VmHWM`` (the peak) of this process in KiB, from Linux's /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak_resident_size():
    # Linux (4.0+): writing 5 to clear_refs sets the peak (VmHWM) to the current size, so the
    # peak that follows is the import's, not that of building the database and the archive.
    Path("/proc/self/clear_refs").write_text("5")


def memory_of_one_import(notes):
    """The peaks of one published import of ``notes`` notes, as a JSON line (in the process
    the memory runs start)."""
    from wagtail_grantee.importers.facebook import import_archive

    with tempfile.TemporaryDirectory() as folder, bench_database(on_disk=True):
        archive = make_archive(Path(folder) / "facebook.zip", notes)
        section = new_section()
        tracemalloc.start()
        reset_peak_resident_size()
        resident_before = resident_kib("VmRSS")
        started = time.perf_counter()
        report = import_archive(archive, section, publish=True)
        seconds = time.perf_counter() - started
        maxrss_growth = resident_kib("VmHWM") - resident_before
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    print(
        json.dumps(
            {
                "notes": notes,
                "tracemalloc_peak": peak,
                "maxrss_growth": maxrss_growth * 1024,
                "seconds": seconds,
                "summary": report.summary(),
            }
        )
    )


def memory(sizes):
    results = []
    for notes in sizes:
        run = subprocess.run(
            [sys.executable, __file__, "--memory-of", str(notes)],
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(run.stdout.strip().splitlines()[-1])
        results.append(result)
        print(
            f"memory, {notes:>5,} notes ({notes // 2:,} pictures): "
            f"tracemalloc peak {result['tracemalloc_peak'] / 2**20:6.2f} MiB, "
            f"peak RSS growth {result['maxrss_growth'] / 2**20:6.2f} MiB "
            f"({result['seconds']:.1f} s traced)  [{result['summary']}]",
            flush=True,
        )
    if len(results) > 1:
        small, large = results[0], results[-1]
        rss_ratio = (
            f"{large['maxrss_growth'] / small['maxrss_growth']:.2f}x"
            if small["maxrss_growth"]
            else "n/a"
        )
        print(
            f"memory, {large['notes']:,} / {small['notes']:,} notes: tracemalloc peak "
            f"{large['tracemalloc_peak'] / small['tracemalloc_peak']:.2f}x, peak RSS growth "
            f"{rss_ratio}",
            flush=True,
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notes", type=int, default=int(os.environ.get("BENCH_NOTES", 1000)))
    parser.add_argument("--modes", default="publish,draft")
    parser.add_argument("--memory", default="250,1000")
    parser.add_argument("--memory-of", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    setup_test_environment()
    if args.memory_of:
        memory_of_one_import(args.memory_of)
        return
    modes = [mode for mode in args.modes.split(",") if mode]
    if modes:
        speed(args.notes, modes)
    sizes = [int(size) for size in args.memory.split(",") if size]
    if sizes:
        memory(sizes)


if __name__ == "__main__":
    main()
