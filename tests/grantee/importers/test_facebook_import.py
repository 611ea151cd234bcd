"""The Facebook notes importer: what it reads, what it writes, and what it refuses."""

import csv
import io
import random
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from wagtail.images import get_image_model
from wagtail.models import Collection, PageLogEntry

from wagtail_grantee import signal_handlers
from wagtail_grantee.importers.archives import ArchiveError
from wagtail_grantee.importers.base import ImportReport, ReportRow, paragraphs
from wagtail_grantee.importers.facebook import (
    import_archive,
    open_archive,
    read_notes,
    repair_mojibake,
)
from wagtail_grantee.models import PostPage

from ..factories import PostPageFactory
from ..paths import feed_path, use_feed_cache_middleware
from .archives import (
    NOTES_PATH,
    build_zip,
    facebook_json,
    image_bytes,
    media,
    note,
    post_with_note,
)

pytestmark = pytest.mark.django_db
Image = get_image_model()


def posts():
    return PostPage.objects.filter(source_name="Facebook note").order_by("date")


def state():
    """Everything an import may write."""
    return (
        PostPage.objects.count(),
        Image.objects.count(),
        Collection.objects.count(),
        PageLogEntry.objects.count(),
    )


def run(*args):
    out = io.StringIO()
    call_command("import_facebook_notes", *map(str, args), stdout=out)
    return out.getvalue()


# --- Mojibake ---------------------------------------------------------------------------------

MOJIBAKE_CASES = [
    "Pelatihan jurnalisme warga di Surabaya",
    "Kami “belajar” bersama — dan itu menyenangkan…",
    "Café, naïve, São Paulo",
    "Terima kasih 🙏 untuk semua relawan 🇮🇩",
    "Ya’ni, 50–60 orang hadir",
]


@pytest.mark.parametrize("text", MOJIBAKE_CASES)
def test_facebooks_escaped_utf8_is_repaired(text):
    mangled = text.encode("utf-8").decode("latin-1")
    assert repair_mojibake(mangled) == text


@pytest.mark.parametrize("text", MOJIBAKE_CASES)
def test_correct_text_is_never_decoded_twice(text):
    assert repair_mojibake(text) == text


def test_a_note_mixing_repaired_and_correct_text_keeps_both():
    mangled = "Diskusi “CMS”".encode().decode("latin-1")
    assert repair_mojibake(f"{mangled} di café 🙂") == "Diskusi “CMS” di café 🙂"
    # Correct and escaped accents side by side.
    assert repair_mojibake("é" + "é".encode().decode("latin-1") + "ß") == "ééß"


# --- What it writes ---------------------------------------------------------------------------


def test_notes_become_draft_posts_with_their_fields(tmp_path, section):
    archive = build_zip(
        tmp_path / "facebook.zip",
        notes=[
            note(
                title="Mentoring di Bhinneka — hari pertama",
                text="Kami belajar “CMS” bersama. Semua senang! Hari kedua lebih seru.\n\n"
                "Paragraf kedua 🙏",
                created=1352707200,
                tags=[{"name": "mentoring"}, {"name": "CMS"}],
            )
        ],
    )
    output = run(archive, "--parent", section.pk)
    assert "1 created" in output
    post = posts().get()
    assert post.get_parent().pk == section.pk
    assert post.title == "Mentoring di Bhinneka — hari pertama"
    assert not post.live and post.has_unpublished_changes
    assert post.date.timestamp() == 1352707200
    assert post.summary.startswith("Kami belajar “CMS” bersama. Semua senang!")
    assert [block.block_type for block in post.body] == ["paragraph", "paragraph"]
    assert str(post.body[1].value) == "<p>Paragraf kedua 🙏</p>"
    assert sorted(tag.name for tag in post.tags.all()) == ["CMS", "mentoring"]
    assert post.source_name == "Facebook note" and post.source_id
    assert post.get_latest_revision() is not None
    assert PageLogEntry.objects.filter(page=post, action="wagtail.create").exists()
    section_log = PageLogEntry.objects.get(page=section, action="wagtail_grantee.facebook_import")
    assert section_log.data["archive"] == "facebook.zip" and section_log.data["created"] == 1


def test_a_note_without_title_is_titled_from_its_first_words(tmp_path, section):
    archive = build_zip(
        tmp_path / "a.zip",
        notes=[
            note(title="", text="Hari ini kami mengunjungi kantor Lembaga Bhinneka di Surabaya")
        ],
    )
    run(archive, "--parent", section.pk)
    assert posts().get().title == "Hari ini kami mengunjungi kantor Lembaga Bhinneka di…"


def test_empty_notes_are_skipped_and_reported(tmp_path, section):
    archive = build_zip(tmp_path / "a.zip", notes=[note(), note(title=" ", text="", created=5)])
    report = tmp_path / "report.csv"
    output = run(archive, "--parent", section.pk, "--report", report)
    assert "1 created" in output and "1 skipped" in output
    rows = list(csv.DictReader(report.open()))
    assert [row["action"] for row in rows] == ["skipped", "created"]
    assert "no title and no text" in rows[0]["reason"]
    assert rows[1]["page_id"] == str(posts().get().pk)
    assert rows[1]["url"].endswith("/pelatihan-cms/")


def test_publish_keeps_the_original_dates_and_feeds_carry_the_post(tmp_path, section, client):
    archive = build_zip(tmp_path / "a.zip", notes=[note(title="Catatan lama", created=1352707200)])
    run(archive, "--parent", "/berita/", "--publish")
    post = posts().get()
    assert post.live
    assert post.date.timestamp() == 1352707200
    assert post.first_published_at.timestamp() == 1352707200
    feed = client.get(section.url + "feed/").content.decode()
    assert "Catatan lama" in feed and "2012" in feed


def test_notes_inside_posts_are_imported_once(tmp_path, section):
    shared = note(title="Catatan di kiriman", created=1352800000)
    only_in_posts = note(title="Hanya di kiriman", created=1352900000)
    archive = build_zip(
        tmp_path / "a.zip",
        notes=[shared],
        posts=[post_with_note(shared), post_with_note(only_in_posts), {"data": [{"post": "Halo"}]}],
    )
    run(archive, "--parent", section.pk)
    assert list(posts().values_list("title", flat=True)) == [
        "Catatan di kiriman",
        "Hanya di kiriman",
    ]


def test_a_posts_file_that_is_an_object_is_read_too(tmp_path, section):
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "your_facebook_activity/posts/your_posts_1.json",
            facebook_json({"status_updates_v2": [post_with_note(note(title="Di objek"))]}),
        )
    run(path, "--parent", section.pk)
    assert posts().get().title == "Di objek"


def test_notes_json_is_read_note_by_note_never_whole(tmp_path):
    # 4,000 notes of about 1.5 KB: about 6 MB of JSON, of which the first note needs a chunk.
    rng = random.Random(10)
    notes = [
        note(title=f"Catatan {n}", text="Teks “panjang” 🙏 " + rng.randbytes(700).hex())
        for n in range(4000)
    ]
    path = build_zip(tmp_path / "a.zip", notes=notes)
    size = zipfile.ZipFile(path).getinfo(NOTES_PATH).file_size
    with open_archive(path) as archive:
        reading = read_notes(archive)
        first = next(reading)
        assert first.title == "Catatan 0"
        assert first.text.startswith("Teks “panjang” 🙏")  # repaired as json would decode it
        assert archive.unpacked < size / 20
        assert sum(1 for _item in reading) == 3999
        assert archive.unpacked == size


def test_older_exports_and_archives_packed_in_a_folder_are_read(tmp_path, section):
    path = tmp_path / "old.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "facebook-bhinneka/notes/notes.json",
            facebook_json({"notes": [note(media=[media("photos/a.jpg", "Peserta")])]}),
        )
        archive.writestr("facebook-bhinneka/photos/a.jpg", image_bytes())
    run(path, "--parent", section.pk)
    assert posts().get().lead_image.description == "Peserta"


def test_an_unpacked_folder_imports_like_its_zip(tmp_path, section):
    archive = build_zip(tmp_path / "a.zip", notes=[note()])
    folder = tmp_path / "unpacked"
    zipfile.ZipFile(archive).extractall(folder)
    run(folder, "--parent", section.pk)
    assert "0 created, 0 updated, 1 unchanged" in run(archive, "--parent", section.pk)


# --- Images -----------------------------------------------------------------------------------


def test_images_are_stored_once_and_the_first_is_the_lead_image(tmp_path, section):
    files = {
        "your_facebook_activity/other_activity/media/a.jpg": image_bytes("red"),
        "your_facebook_activity/other_activity/media/b.jpg": image_bytes("blue"),
        "your_facebook_activity/other_activity/media/a-copy.jpg": image_bytes("red"),
    }
    archive = build_zip(
        tmp_path / "a.zip",
        notes=[
            note(
                title="Dua foto",
                media=[
                    media("your_facebook_activity/other_activity/media/a.jpg", "Peserta pelatihan"),
                    media("your_facebook_activity/other_activity/media/b.jpg", "Kantor “Bhinneka”"),
                ],
            ),
            note(
                title="Foto yang sama",
                created=1352800000,
                media=[media("your_facebook_activity/other_activity/media/a-copy.jpg", "Lagi")],
            ),
        ],
        files=files,
    )
    output = run(archive, "--parent", section.pk)
    assert "2 images added" in output
    first, second = posts()
    assert first.lead_image.title == "Peserta pelatihan"
    assert first.lead_image.description == "Peserta pelatihan"
    assert first.lead_image.collection.name == "Facebook: a.zip"
    image_blocks = [block.value for block in first.body if block.block_type == "image"]
    assert [block["image"].title for block in image_blocks] == ["Kantor “Bhinneka”"]
    assert image_blocks[0]["image"].contextual_alt_text == "Kantor “Bhinneka”"
    assert second.lead_image == first.lead_image  # the same picture, one image
    assert Image.objects.count() == 2


def test_an_image_already_in_the_library_is_reused(tmp_path, section):
    data = image_bytes("green")
    archive = build_zip(
        tmp_path / "a.zip",
        notes=[note(media=[media("m/a.jpg")])],
        files={"m/a.jpg": data},
    )
    run(archive, "--parent", section.pk)
    PostPage.objects.all().delete()
    output = run(archive, "--parent", section.pk)
    assert "0 images added" in output and Image.objects.count() == 1


@pytest.mark.parametrize(
    "files, problem",
    [
        ({}, "missing from the archive"),
        ({"m/a.jpg": b"this is not a picture"}, "not a usable image"),
        ({"m/a.jpg": image_bytes(size=(400, 400), format="BMP")}, "too large"),
    ],
)
def test_a_bad_image_is_reported_and_its_note_imported(tmp_path, section, settings, files, problem):
    settings.WAGTAIL_GRANTEE = {"FACEBOOK_IMPORT_MAX_IMAGE_BYTES": 100_000}
    archive = build_zip(
        tmp_path / "a.zip", notes=[note(media=[media("m/a.jpg", "Foto")])], files=files
    )
    report = tmp_path / "r.csv"
    output = run(archive, "--parent", section.pk, "--report", report)
    assert problem in output
    assert posts().get().lead_image is None
    row = next(csv.DictReader(report.open()))
    assert row["action"] == "created" and problem in row["reason"]
    assert Image.objects.count() == 0


# --- Idempotency ------------------------------------------------------------------------------


def test_importing_the_same_archive_again_creates_nothing(tmp_path, section):
    archive = build_zip(
        tmp_path / "a.zip",
        notes=[note(media=[media("m/a.jpg")]), note(title="Dua", created=9)],
        files={"m/a.jpg": image_bytes()},
    )
    run(archive, "--parent", section.pk, "--publish")
    before = state()
    output = run(archive, "--parent", section.pk, "--publish")
    assert "0 created, 0 updated, 2 unchanged, 0 skipped, 0 images added" in output
    # Only the section's log entry of the second import is new.
    assert state()[:3] == before[:3] and state()[3] == before[3] + 1


def test_a_newer_archive_updates_changed_notes_only_with_update(tmp_path, section):
    old = build_zip(
        tmp_path / "old.zip", notes=[note(title="Tetap"), note(title="Berubah", created=9)]
    )
    run(old, "--parent", section.pk, "--publish")
    kept = posts().get(title="Tetap")
    changed = posts().get(title="Berubah")
    new = build_zip(
        tmp_path / "new.zip",
        notes=[note(title="Tetap"), note(title="Berubah", created=9, text="Teks baru.")],
    )
    output = run(new, "--parent", section.pk, "--publish")
    assert "0 updated, 1 unchanged, 1 skipped" in output
    assert "update" in output
    changed.refresh_from_db()
    assert "Teks baru" not in str(changed.body)

    kept_revisions = kept.revisions.count()
    output = run(new, "--parent", section.pk, "--update")
    assert "0 created, 1 updated, 1 unchanged" in output
    changed.refresh_from_db()
    assert changed.live  # published stays published
    assert str(changed.body[0].value) == "<p>Teks baru.</p>"
    assert changed.revisions.count() == 2
    assert kept.revisions.count() == kept_revisions
    assert PostPage.objects.count() == 2
    # the new fingerprint is kept: the same archive again changes nothing
    output = run(new, "--parent", section.pk, "--update")
    assert "0 created, 0 updated, 2 unchanged" in output
    assert changed.revisions.count() == 2


def test_fingerprints_of_updated_posts_are_saved_in_one_query_per_batch(tmp_path, section):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from wagtail_grantee.models import ImportedItem

    def fingerprint_queries(count):
        notes = [note(title=f"Catatan {count}.{n}", created=1352707200 + n) for n in range(count)]
        run(build_zip(tmp_path / "old.zip", notes=notes), "--parent", section.pk)
        before = dict(ImportedItem.objects.values_list("page_id", "fingerprint"))
        changed = [{**item, "text": "Teks baru."} for item in notes]
        new = build_zip(tmp_path / "new.zip", notes=changed)
        with CaptureQueriesContext(connection) as captured:
            report = import_archive(new, section, update=True)
        assert report.counts["updated"] == count
        after = dict(ImportedItem.objects.values_list("page_id", "fingerprint"))
        assert after.keys() == before.keys()
        assert sum(after[pk] != before[pk] for pk in after) == count
        return [q["sql"] for q in captured if "importeditem" in q["sql"]]

    assert len(fingerprint_queries(2)) == len(fingerprint_queries(6))


def test_a_moved_post_is_still_found(tmp_path, section, home):
    from ..factories import SectionPageFactory

    archive = build_zip(tmp_path / "a.zip", notes=[note()])
    run(archive, "--parent", section.pk)
    other = SectionPageFactory(parent=home, title="Arsip")
    posts().get().move(other, pos="last-child")
    assert "1 unchanged" in run(archive, "--parent", section.pk)


def test_dry_run_writes_nothing(tmp_path, section):
    archive = build_zip(
        tmp_path / "a.zip",
        notes=[note(media=[media("m/a.jpg")]), note(title="", text="", created=3)],
        files={"m/a.jpg": image_bytes()},
    )
    before = state()
    output = run(archive, "--parent", section.pk, "--dry-run", "--publish")
    assert "Dry run" in output and "1 created" in output and "1 skipped" in output
    assert state() == before


# --- Sanitising -------------------------------------------------------------------------------


def test_scripts_handlers_and_javascript_urls_never_reach_the_page_or_feed(
    tmp_path, section, client
):
    hostile = (
        "Halo <b>dunia</b><script>alert(1)</script><style>body{}</style>"
        '<img src=x onerror="alert(2)"> <a href="javascript:alert(3)">klik</a> '
        '<a href="https://example.org" onclick="alert(4)">situs</a>'
    )
    archive = build_zip(
        tmp_path / "a.zip",
        notes=[
            note(title="<script>alert(5)</script>Judul", text=hostile),
            note(title="Teks biasa", text="1 < 2 & 3 > 2, bukan HTML", created=9),
        ],
    )
    run(archive, "--parent", section.pk, "--publish")
    text_post, html_post = posts()
    pages = [
        client.get(html_post.url).content.decode(),
        client.get(section.url + "feed/").content.decode(),
    ]
    for html in pages:
        for bad in ("<script>alert", "onerror", "javascript:", "onclick", "<style>"):
            assert bad not in html
    body = str(html_post.body[0].value)
    assert "<b>dunia</b>" in body and 'href="https://example.org"' in body
    assert "alert(1)" not in body
    assert html_post.title == "<script>alert(5)</script>Judul"  # text, escaped by templates
    assert "&lt;script&gt;alert(5)" in pages[0]
    assert str(text_post.body[0].value) == "<p>1 &lt; 2 &amp; 3 &gt; 2, bukan HTML</p>"
    assert str(text_post.body[0].value) == "<p>1 &lt; 2 &amp; 3 &gt; 2, bukan HTML</p>"


def test_plain_text_is_escaped_and_addresses_become_links():
    assert paragraphs("a < b\nbaris dua\n\nLihat https://bhinneka.example/laporan") == [
        "<p>a &lt; b<br>baris dua</p>",
        '<p>Lihat <a href="https://bhinneka.example/laporan">https://bhinneka.example/laporan</a></p>',
    ]


# --- Bad input --------------------------------------------------------------------------------


def assert_refused(tmp_path, archive, parent, message):
    before = state()
    with pytest.raises(CommandError, match=message):
        run(archive, "--parent", parent)
    assert state() == before


def test_a_file_that_is_not_a_zip_is_refused(tmp_path, section):
    path = tmp_path / "notes.json"
    path.write_text("{}")
    assert_refused(tmp_path, path, section.pk, "notes.json is not a zip file")


def test_a_missing_archive_is_refused(tmp_path, section):
    assert_refused(tmp_path, tmp_path / "nope.zip", section.pk, "does not exist")


def test_a_corrupt_zip_is_refused(tmp_path, section):
    path = build_zip(tmp_path / "a.zip", notes=[note(text=random.randbytes(5000).hex())])
    data = bytearray(path.read_bytes())
    start = data.index(b"notes.json") + 100  # in the packed data, before the directory
    data[start : start + 200] = b"\0" * 200
    path.write_bytes(bytes(data))
    assert_refused(tmp_path, path, section.pk, "damaged")


def test_a_zip_without_notes_is_refused(tmp_path, section):
    path = build_zip(tmp_path / "a.zip", files={"your_facebook_activity/x.json": b"{}"})
    assert_refused(tmp_path, path, section.pk, "No notes were found")


def test_a_notes_file_without_notes_is_refused(tmp_path, section):
    path = build_zip(tmp_path / "a.zip", notes=[])
    assert_refused(tmp_path, path, section.pk, "holds no notes")


def test_invalid_json_is_refused(tmp_path, section):
    path = build_zip(tmp_path / "a.zip", raw_notes='{"notes_v2": [')
    assert_refused(tmp_path, path, section.pk, "notes.json is not valid JSON")


def test_the_html_export_is_refused_with_what_to_do(tmp_path, section):
    path = build_zip(
        tmp_path / "a.zip",
        files={
            "start_here.html": b"<html>",
            "your_facebook_activity/other_activity/notes.html": b"",
        },
    )
    assert_refused(tmp_path, path, section.pk, "choose the JSON format")


@pytest.mark.parametrize(
    "name", ["../evil.json", "/etc/evil.json", "a/../../evil.json", "C:/x.json"]
)
def test_zip_slip_entries_are_refused(tmp_path, section, name):
    path = build_zip(tmp_path / "a.zip", notes=[note()], files={name: b"{}"})
    assert_refused(tmp_path, path, section.pk, "unsafe name")
    assert not (tmp_path.parent / "evil.json").exists()


def test_a_zip_bomb_is_refused_by_its_ratio(tmp_path, section):
    path = build_zip(
        tmp_path / "a.zip",
        raw_notes='{"notes_v2": [{"title": "' + " " * 30_000_000 + '"}]}',
    )
    assert_refused(tmp_path, path, section.pk, "zip bomb")


def test_an_archive_larger_than_the_unpacked_limit_is_refused(tmp_path, section, settings):
    settings.WAGTAIL_GRANTEE = {"FACEBOOK_IMPORT_MAX_UNPACKED": 10_000}
    notes = [note(text=f"Catatan nomor {n} " * 50, created=n + 1) for n in range(40)]
    path = build_zip(tmp_path / "a.zip", notes=notes)
    assert_refused(tmp_path, path, section.pk, "more than 10,000 bytes")


def test_a_failed_import_removes_the_images_it_stored(tmp_path, section, settings, monkeypatch):
    from wagtail_grantee.importers import base

    archive = build_zip(
        tmp_path / "a.zip",
        notes=[note(media=[media("m/a.jpg")]), note(title="Dua", created=1999999999)],
        files={"m/a.jpg": image_bytes()},
    )
    storage = Image._meta.get_field("file").storage
    stored = []
    real_load = base.ImageStore._load

    def load_then_remember(self, media):
        loaded = real_load(self, media)
        stored.extend(self.stored_files)
        return loaded

    def fail(self, planned, images):
        if planned.item.title == "Dua":
            raise ArchiveError("Something broke half way.")
        return real_write(self, planned, images)

    real_write = base.PageImporter._write
    monkeypatch.setattr(base.ImageStore, "_load", load_then_remember)
    monkeypatch.setattr(base.PageImporter, "_write", fail)
    before = state()
    with pytest.raises(CommandError, match="half way"):
        run(archive, "--parent", section.pk)
    assert state() == before
    assert stored and not storage.exists(stored[0])


@pytest.mark.parametrize("parent", ["9999", "/tidak-ada/", "post"])
def test_a_parent_that_is_not_a_section_is_refused(tmp_path, section, parent):
    if parent == "post":
        parent = str(PostPageFactory(parent=section).pk)
    archive = build_zip(tmp_path / "a.zip", notes=[note()])
    assert_refused(tmp_path, archive, parent, "is not a section")


def test_the_feeds_are_invalidated_once_per_import_and_show_the_new_posts(
    tmp_path, section, client, settings, monkeypatch
):
    use_feed_cache_middleware(settings)
    bumped = []
    bump = signal_handlers.bump_feed_versions
    monkeypatch.setattr(
        signal_handlers, "bump_feed_versions", lambda path: bumped.append(path) or bump(path)
    )
    assert b"Catatan" not in client.get(feed_path(section)).content  # now in the cache
    archive = build_zip(
        tmp_path / "a.zip",
        notes=[note(title=f"Catatan {n}", created=1352707200 + n) for n in range(3)],
    )
    run(archive, "--parent", section.pk, "--publish")
    assert bumped == [section.path]
    feed = client.get(feed_path(section)).content.decode()
    assert all(f"Catatan {n}" in feed for n in range(3))


def test_an_import_renders_no_feed_item_ahead(
    tmp_path, section, monkeypatch, django_capture_on_commit_callbacks
):
    # A thousand imported posts would be a thousand renderings at the end of the import; the
    # feeds render the 20 they carry at their next request instead.
    warmed = []
    monkeypatch.setattr(signal_handlers, "warm_feed_items", warmed.append)
    archive = build_zip(tmp_path / "a.zip", notes=[note(title="Catatan")])

    with django_capture_on_commit_callbacks(execute=True):
        run(archive, "--parent", section.pk, "--publish")

    assert PostPage.objects.live().child_of(section).get().title == "Catatan"
    assert warmed == []


def test_a_failed_import_leaves_the_feeds_alone(tmp_path, section, monkeypatch):
    from wagtail_grantee.importers import base

    bumped = []
    monkeypatch.setattr(signal_handlers, "bump_feed_versions", bumped.append)
    monkeypatch.setattr(
        base.PageImporter, "write_batch", lambda self: (_ for _ in ()).throw(ArchiveError("x"))
    )
    archive = build_zip(tmp_path / "a.zip", notes=[note()])
    with pytest.raises(CommandError):
        run(archive, "--parent", section.pk, "--publish")
    assert bumped == []


def test_a_stored_report_keeps_its_first_rows_and_all_counts():
    report = ImportReport()
    for n, action in enumerate(["created", "created", "skipped"]):
        report.add(ReportRow(key=f"k{n}", title=f"Catatan {n}", action=action))
    assert [row.key for row in report.rows] == ["k0", "k1", "k2"]
    assert [row.key for row in report.rows[:2]] == ["k0", "k1"]
    stored = ImportReport.from_dict(report.as_dict(max_rows=2))
    assert [row.key for row in stored.rows] == ["k0", "k1"]
    assert stored.counts == {"created": 2, "updated": 0, "unchanged": 0, "skipped": 1}
    assert stored.row_count == 3


def test_each_post_has_one_creation_log_entry(tmp_path, section):
    run(build_zip(tmp_path / "a.zip", notes=[note()]), "--parent", section.pk, "--publish")
    post = posts().get()
    assert PageLogEntry.objects.filter(page=post, action="wagtail.create").count() == 1
    assert PageLogEntry.objects.filter(page=post, action="wagtail.publish").count() == 1


def test_the_section_may_be_named_by_its_url_path(tmp_path, section):
    archive = build_zip(tmp_path / "a.zip", notes=[note()])
    run(archive, "--parent", section.url_path)
    assert posts().get().get_parent().pk == section.pk


def test_import_archive_is_the_function_behind_the_command(tmp_path, section):
    archive = build_zip(tmp_path / "a.zip", notes=[note()])
    seen = []
    report = import_archive(
        archive, section, progress=lambda done, total: seen.append((done, total))
    )
    assert report.counts["created"] == 1 and seen == [(1, 1)]


def test_the_example_sites_sample_archive_imports(section):
    from pathlib import Path

    sample = (
        Path(__file__).resolve().parents[3] / "example_site/demo/content/data/facebook-sample.zip"
    )
    output = run(sample, "--parent", "/berita/", "--publish")
    assert "3 created, 0 updated, 0 unchanged, 0 skipped, 2 images added" in output
    first = posts().first()
    assert first.title == "Belajar mengelola situs web sendiri"
    assert "Pelatihnya sabar sekali — terima kasih! 🙏" in str(first.body)
    assert posts().last().title.startswith("Laporan keuangan program semester")


def test_bad_input_exits_non_zero_with_one_line_and_no_traceback(tmp_path, section, capsys):
    from wagtail_grantee.management.commands.import_facebook_notes import Command

    path = tmp_path / "catatan.txt"
    path.write_text("bukan zip")
    with pytest.raises(SystemExit) as exit_info:
        Command().run_from_argv(
            ["manage.py", "import_facebook_notes", str(path), "--parent", str(section.pk)]
        )
    assert exit_info.value.code != 0
    assert capsys.readouterr().err.strip() == "CommandError: catatan.txt is not a zip file."


def test_a_progress_bar_only_on_a_terminal(tmp_path, section, monkeypatch, capsys):
    archive = build_zip(tmp_path / "a.zip", notes=[note(), note(title="Dua", created=9)])

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    run(archive, "--parent", section.pk, "--dry-run")
    assert "note/s" not in capsys.readouterr().err
    monkeypatch.setattr("sys.stderr", Terminal())
    import sys

    call_command(
        "import_facebook_notes", str(archive), "--parent", str(section.pk), stdout=Terminal()
    )
    assert "2/2" in sys.stderr.getvalue()


def test_an_archive_with_too_many_files_is_refused(tmp_path, section, settings):
    settings.WAGTAIL_GRANTEE = {"FACEBOOK_IMPORT_MAX_FILES": 2}
    files = {f"m/{n}.jpg": b"x" for n in range(3)}
    path = build_zip(tmp_path / "a.zip", notes=[note()], files=files)
    assert_refused(tmp_path, path, section.pk, "more than 2 files")


def test_imported_posts_are_in_the_search_index_and_the_image_usage(tmp_path, section):
    # The importer indexes each post once, after writing it, instead of on each save.
    files = {"your_facebook_activity/other_activity/media/a.jpg": image_bytes("red")}
    old = build_zip(
        tmp_path / "old.zip",
        notes=[
            note(
                title="Pelatihan",
                text="Kami belajar tentang jurnalisme warga.",
                media=[media("your_facebook_activity/other_activity/media/a.jpg", "Peserta")],
            )
        ],
        files=files,
    )
    run(old, "--parent", section.pk, "--publish")
    post = posts().get()
    assert list(PostPage.objects.live().search("jurnalisme")) == [post]
    assert list(post.lead_image.get_usage()) != []  # the reference index knows the post
    new = build_zip(
        tmp_path / "new.zip",
        notes=[note(title="Pelatihan", text="Sekarang tentang radio komunitas.")],
    )
    run(new, "--parent", section.pk, "--update")
    assert list(PostPage.objects.live().search("radio")) == [post]
    assert list(PostPage.objects.live().search("jurnalisme")) == []
