"""How fast the Facebook notes importer brings 1,000 notes with 500 images home, and again.

Run from the repository root: ``.venv/bin/python bench/bench_facebook_import.py`` (SQLite in
memory, images in memory), or with ``DATABASE_URL=postgres://...`` for PostgreSQL. Prints notes
per second and peak Python memory (tracemalloc) of a first import and of a second, no-change
import of the same archive, and the ratio of their times. Goals: the first import under 60 s,
the second under 0.1x of the first, peak memory that does not grow with the archive.
"""

import os
import random
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import override_settings, setup_test_environment  # noqa: E402

NOTES = int(os.environ.get("BENCH_NOTES", 1000))
IMAGES = NOTES // 2


def make_archive(path, notes, images):
    from tests.grantee.importers.archives import build_zip, image_bytes, media, note

    rng = random.Random(2012)
    files = {
        f"your_facebook_activity/other_activity/media/foto_{n}.jpg": image_bytes(
            (rng.randrange(256), rng.randrange(256), rng.randrange(256)), size=(320, 240)
        )
        for n in range(images)
    }
    words = [
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
    items = []
    for n in range(notes):
        text = "\n\n".join(
            " ".join(rng.choice(words) for _ in range(60)).capitalize() + "." for _ in range(5)
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


def timed_import(label, archive, section, trace_memory=False):
    from wagtail_grantee.importers.facebook import import_archive

    if trace_memory:
        tracemalloc.start()
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(1)
        return execute(sql, params, many, context)

    started, cpu_started = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(count):
        report = import_archive(archive, section, publish=True)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    # On a shared machine the wall time depends on the load; the CPU time much less.
    line = (
        f"{label:<30} {seconds:7.2f} s wall  {cpu:7.2f} s CPU  {NOTES / seconds:6.1f} notes/s"
        f"  {len(queries) / NOTES:5.1f} queries/note"
    )
    if trace_memory:
        line += f"  peak {tracemalloc.get_traced_memory()[1] / 2**20:6.1f} MiB"
        tracemalloc.stop()
    print(f"{line}  [{report.summary()}]", flush=True)
    return seconds


def main():
    setup_test_environment()
    # Pictures on disk, as on a site: the tests' in-memory storage would count every stored
    # picture as memory of the import.
    media_root = tempfile.mkdtemp(prefix="bench-facebook-media-")
    storages = settings.STORAGES | {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    }
    with override_settings(STORAGES=storages, MEDIA_ROOT=media_root):
        run_bench()
    shutil.rmtree(media_root, ignore_errors=True)


def run_bench():
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    connection.force_debug_cursor = False
    try:
        from wagtail.images import get_image_model

        from tests.grantee.factories import SectionPageFactory, SiteFactory

        section = SectionPageFactory(parent=SiteFactory().root_page.specific, title="Berita")
        with tempfile.TemporaryDirectory() as folder:
            archive = make_archive(Path(folder) / "facebook.zip", NOTES, IMAGES)
            size = archive.stat().st_size
            print(
                f"Facebook import of {NOTES:,} notes with {IMAGES:,} images "
                f"({size / 2**20:.1f} MiB zip) on {connection.vendor}",
                flush=True,
            )
            first = timed_import("first import", archive, section)
            second = timed_import("re-import, nothing changed", archive, section)
            print(f"re-import / first import (wall): {second / first:.3f}x", flush=True)
            # Memory apart (tracemalloc slows Python down): the same archive into another
            # section of another home, its pictures new to the library again.
            get_image_model().objects.all().delete()
            other = SectionPageFactory(title="Arsip")
            timed_import("first import, memory traced", archive, other, trace_memory=True)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
