"""Write ``data/facebook-sample.zip``: a small, invented Facebook archive for the demo.

It is laid out as Facebook's "Download Your Information" in JSON format: notes in
``your_facebook_activity/other_activity/notes.json``, one note also shared in a post, two
pictures (one used by two notes), and every string escaped as Facebook escapes it (UTF-8 bytes
as ``\\u00XX``). The people, places and texts are made up.

Run from the repository root:
``.venv/bin/python example_site/demo/content/make_facebook_sample.py``. Then import it from
``example_site/``: ``manage.py import_facebook_notes demo/content/data/facebook-sample.zip
--parent /berita/`` (or with *Import from Facebook* in the admin).
"""

import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image, ImageDraw

OUTPUT = Path(__file__).resolve().parent / "data" / "facebook-sample.zip"
ACTIVITY = "your_facebook_activity"
MEDIA = f"{ACTIVITY}/other_activity/media"
# A fixed date inside the zip, so the file is the same each time it is made.
ZIP_DATE = (2020, 10, 1, 0, 0, 0)


def timestamp(*date):
    return int(datetime(*date, tzinfo=UTC).timestamp())


def facebook_json(data):
    """JSON as Facebook writes it: every non-ASCII character as its UTF-8 bytes, escaped."""
    text = json.dumps(data, ensure_ascii=False)
    return json.dumps(json.loads(text.encode("utf-8").decode("latin-1")), indent=2)


def picture(background, label):
    image = Image.new("RGB", (640, 360), background)
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 600, 320), outline="white", width=6)
    draw.text((70, 160), label, fill="white")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def media(name, description):
    return {
        "uri": f"{MEDIA}/{name}",
        "creation_timestamp": timestamp(2013, 3, 2, 9, 0),
        "description": description,
        "title": "",
    }


NOTES = [
    {
        "title": "Belajar mengelola situs web sendiri",
        "text": (
            "Tiga hari kami belajar mengelola situs web lembaga sendiri: menulis berita, "
            "memasang foto, dan membuat “umpan” (feed) agar pembaca bisa mengikuti kami.\n\n"
            "Pelatihnya sabar sekali — terima kasih! 🙏\n\n"
            "Catatan lengkapnya ada di https://contoh.example/laporan-pelatihan"
        ),
        "created_timestamp": timestamp(2012, 11, 15, 10, 30),
        "updated_timestamp": timestamp(2012, 11, 16, 8, 0),
        "tags": [{"name": "pelatihan"}, {"name": "CMS"}],
        "media": [
            media("pelatihan.jpg", "Peserta pelatihan di kantor Lembaga Contoh"),
            media("diskusi.jpg", "Diskusi kelompok tentang media warga"),
        ],
    },
    {
        "title": "Diskusi media warga di Surabaya",
        "text": (
            "Sabtu lalu 40–50 warga datang ke diskusi terbuka tentang media warga. "
            "Banyak yang bertanya: bagaimana memulai? Jawabannya sederhana — tulis apa yang "
            "Anda lihat di kampung sendiri."
        ),
        "created_timestamp": timestamp(2013, 3, 2, 14, 0),
        "updated_timestamp": timestamp(2013, 3, 2, 14, 0),
        "tags": [{"name": "diskusi"}],
        "media": [media("diskusi.jpg", "Diskusi kelompok tentang media warga")],
    },
    {
        "title": "",
        "text": (
            "Laporan keuangan program semester pertama sudah kami kirim ke pemberi hibah. "
            "Ringkasannya akan kami bagikan di sini bulan depan."
        ),
        "created_timestamp": timestamp(2013, 7, 1, 9, 15),
        "updated_timestamp": timestamp(2013, 7, 1, 9, 15),
        "tags": [],
        "media": [],
    },
]

# The first note, shared in a post too: the importer brings it in once.
POSTS = [
    {
        "timestamp": timestamp(2012, 11, 15, 10, 35),
        "title": "Lembaga Contoh menulis catatan.",
        "attachments": [{"data": [{"note": NOTES[0]}]}],
    },
    {
        "timestamp": timestamp(2013, 1, 5, 7, 0),
        "data": [{"post": "Selamat tahun baru dari kami semua!"}],
    },
]


def write(archive, name, data):
    info = zipfile.ZipInfo(name, ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def main():
    OUTPUT.parent.mkdir(exist_ok=True)
    with zipfile.ZipFile(OUTPUT, "w") as archive:
        write(archive, f"{ACTIVITY}/other_activity/notes.json", facebook_json({"notes_v2": NOTES}))
        write(
            archive,
            f"{ACTIVITY}/posts/your_posts__check_ins__photos_and_videos_1.json",
            facebook_json(POSTS),
        )
        write(archive, f"{MEDIA}/pelatihan.jpg", picture("#1f6f78", "Pelatihan CMS"))
        write(archive, f"{MEDIA}/diskusi.jpg", picture("#8a4f7d", "Diskusi media warga"))
    print(f"Wrote {OUTPUT} ({OUTPUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
