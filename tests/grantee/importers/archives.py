"""Facebook archives built in the tests, as "Download Your Information" writes them."""

import io
import json
import zipfile

from PIL import Image as PILImage

NOTES_PATH = "your_facebook_activity/other_activity/notes.json"
POSTS_PATH = "your_facebook_activity/posts/your_posts__check_ins__photos_and_videos_1.json"


def facebook_json(data):
    """JSON as Facebook writes it: every non-ASCII character as its UTF-8 bytes, escaped."""
    text = json.dumps(data, ensure_ascii=False)
    return json.dumps(json.loads(text.encode("utf-8").decode("latin-1")), ensure_ascii=True)


def image_bytes(color="teal", size=(40, 30), format="JPEG"):
    buffer = io.BytesIO()
    PILImage.new("RGB", size, color).save(buffer, format=format)
    return buffer.getvalue()


def note(title="Pelatihan CMS", text="Hari pertama.\n\nHari kedua.", created=1352707200, **extra):
    return {
        "title": title,
        "text": text,
        "created_timestamp": created,
        "updated_timestamp": created + 3600,
        "tags": [],
        "media": [],
        **extra,
    }


def media(uri, description="", title=""):
    return {
        "uri": uri,
        "creation_timestamp": 1352707200,
        "description": description,
        "title": title,
    }


def build_zip(path, notes=None, files=None, posts=None, notes_key="notes_v2", raw_notes=None):
    """Write a zip at ``path``: ``notes`` into notes.json, ``posts`` into a posts file, and
    ``files`` ({name: bytes}) as they are."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        if raw_notes is not None:
            archive.writestr(NOTES_PATH, raw_notes)
        elif notes is not None:
            archive.writestr(NOTES_PATH, facebook_json({notes_key: notes}))
        if posts is not None:
            archive.writestr(POSTS_PATH, facebook_json(posts))
        for name, data in (files or {}).items():
            archive.writestr(name, data)
    return path


def post_with_note(note_data):
    return {
        "timestamp": note_data["created_timestamp"] + 60,
        "attachments": [{"data": [{"note": note_data}]}],
        "data": [{"post": "Catatan baru"}],
        "title": "Lembaga Bhinneka wrote a note.",
    }
