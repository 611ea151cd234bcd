"""Facebook notes from the account's "Download Your Information" archive (JSON format).

Notes are in a ``notes.json`` (``your_facebook_activity/other_activity/notes.json``, older
exports ``notes/notes.json``) under ``notes_v2`` or ``notes``; notes shared in posts are in
``posts/your_posts*.json`` as ``attachments[].data[].note``. A note found in both places is
imported once. The JSON files are read note by note (``ijson``), never whole. The HTML export
is refused with a message saying how to get the JSON one.

Facebook writes every string as UTF-8 bytes escaped one by one (``\\u00c3\\u00a9`` for "é");
:func:`repair_mojibake` turns those runs back into text and leaves correct text alone.
"""

import hashlib
import re
from datetime import UTC, datetime
from pathlib import PurePosixPath

from django.utils.translation import gettext as _

from ..conf import get_setting
from .archives import Archive, ArchiveError, ArchiveLimits
from .base import PageImporter, SourceItem, SourceMedia

SOURCE_NAME = "Facebook note"
LOG_ACTION = "wagtail_grantee.facebook_import"

# One UTF-8 encoded character, its bytes read as Latin-1 characters.
UTF8_AS_LATIN1 = re.compile(
    r"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
ROOT_MARKERS = ("your_facebook_activity/", "notes/", "posts/")


def repair_mojibake(text):
    """``text`` with every UTF-8 character written as Latin-1 bytes decoded; the rest unchanged.

    Only a sequence of characters that re-encodes as Latin-1 and then decodes as one valid
    UTF-8 character is replaced, so correct text ("café", "🙏") is never decoded twice, and a
    note that mixes escaped and correct text keeps both.
    """

    def decode(match):
        sequence = match.group()
        try:
            return sequence.encode("latin-1").decode("utf-8")
        except UnicodeDecodeError:  # e.g. an overlong or surrogate sequence
            return sequence

    return UTF8_AS_LATIN1.sub(decode, text)


def repaired(value):
    if isinstance(value, str):
        return repair_mojibake(value)
    if isinstance(value, list):
        return [repaired(item) for item in value]
    if isinstance(value, dict):
        return {key: repaired(item) for key, item in value.items()}
    return value


def limits():
    return ArchiveLimits(
        max_unpacked=get_setting("FACEBOOK_IMPORT_MAX_UNPACKED"),
        max_ratio=get_setting("FACEBOOK_IMPORT_MAX_RATIO"),
        max_files=get_setting("FACEBOOK_IMPORT_MAX_FILES"),
    )


def open_archive(path, label=None):
    """The archive at ``path`` (a zip or a folder), with the limits in the settings."""
    return Archive.open(path, limits(), label=label)


def notes_files(names):
    return sorted(name for name in names if PurePosixPath(name).name == "notes.json")


def posts_files(names):
    return sorted(
        name
        for name in names
        if PurePosixPath(name).parent.name == "posts"
        and PurePosixPath(name).name.startswith("your_posts")
        and name.endswith(".json")
    )


def is_html_export(names):
    return any(
        PurePosixPath(name).name in ("notes.html", "start_here.html", "index.html")
        or PurePosixPath(name).name.startswith("your_posts")
        and name.endswith(".html")
        for name in names
    )


def archive_root(name):
    """The folder an export was packed in ("" or e.g. "facebook-lembaga/")."""
    for marker in ROOT_MARKERS:
        index = name.find(marker)
        if index == 0 or index > 0 and name[index - 1] == "/":
            return name[:index]
    return ""


def media_path(uri, root, names):
    """The archive path of a media ``uri``, which is relative to the export's root."""
    uri = uri.lstrip("/")
    for candidate in (root + uri, uri):
        if candidate in names:
            return candidate
    return root + uri


def note_key(note, title, text):
    """A key from data that stays the same in every export of the account."""
    url = note.get("url") or note.get("uri") or ""
    if url.startswith("http"):
        return "url-" + hashlib.sha256(url.encode()).hexdigest()[:24]
    basis = f"{note.get('created_timestamp', '')}\n{title or text[:200]}"
    return (
        f"note-{note.get('created_timestamp', 0)}-"
        + hashlib.sha256(basis.encode()).hexdigest()[:12]
    )


def notes_in_post(post):
    """The notes shared in one entry of a posts file."""
    if not isinstance(post, dict):
        return
    for attachment in post.get("attachments") or []:
        for entry in (attachment or {}).get("data") or []:
            if isinstance(entry, dict) and isinstance(entry.get("note"), dict):
                yield entry["note"]


def timestamp(value):
    try:
        return datetime.fromtimestamp(int(value), tz=UTC) if value else None
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def text_of(value):
    return value if isinstance(value, str) else ""


def read_notes(archive):
    """The notes of ``archive`` as :class:`SourceItem`s, one at a time as the files are read:
    those of ``notes.json`` first, then those shared in posts (the same note may be in both)."""
    names = archive.names()
    max_json = get_setting("FACEBOOK_IMPORT_MAX_JSON_BYTES")
    found = notes_files(names)
    posts = posts_files(names)
    if not found and not posts:
        if is_html_export(names):
            raise ArchiveError(
                _(
                    "This is Facebook's HTML export, which cannot be imported. Download your "
                    "information from Facebook again and choose the JSON format."
                )
            )
        raise ArchiveError(
            _("No notes were found in %(name)s: is it Facebook's “Download Your Information”?")
            % {"name": archive.label}
        )
    names = set(names)
    read = 0
    for name in found:
        for note in archive.json_items(name, max_json, lists=("notes_v2", "notes")):
            if isinstance(note, dict):
                read += 1
                yield source_item(note, archive_root(name), names)
    for name in posts:
        for post in archive.json_items(name, max_json):
            for note in notes_in_post(post):
                read += 1
                yield source_item(note, archive_root(name), names)
    if not read:
        raise ArchiveError(_("The archive holds no notes."))


def source_item(note, root, names):
    """One note (a dict as the JSON has it) as a :class:`SourceItem`."""
    note = repaired(note)
    title, text = text_of(note.get("title")), text_of(note.get("text"))
    media = [
        SourceMedia(
            path=media_path(entry["uri"], root, names),
            title=text_of(entry.get("title")),
            description=text_of(entry.get("description")),
        )
        for entry in note.get("media") or []
        if isinstance(entry, dict) and isinstance(entry.get("uri"), str) and entry["uri"]
    ]
    url = text_of(note.get("url") or note.get("uri"))
    return SourceItem(
        key=note_key(note, title, text),
        title=title,
        text=text,
        date=timestamp(note.get("created_timestamp")),
        tags=[
            tag["name"].strip()[:100]
            for tag in note.get("tags") or []
            if isinstance(tag, dict) and text_of(tag.get("name")).strip()
        ],
        media=media,
        url=url if url.startswith(("http://", "https://")) else "",
    )


class FacebookNotesImporter(PageImporter):
    source_name = SOURCE_NAME
    log_action = LOG_ACTION

    def read_items(self):
        return read_notes(self.archive)

    def max_image_bytes(self):
        return get_setting("FACEBOOK_IMPORT_MAX_IMAGE_BYTES")

    def collection_name(self):
        return _("Facebook: %(archive)s") % {"archive": self.archive.label[:200]}


def import_archive(
    path, parent, *, user=None, publish=False, update=False, dry_run=False, label=None,
    progress=None,
):  # fmt: skip
    """Import (or, with ``dry_run``, plan) the notes of the archive at ``path`` under the
    section ``parent``; return the :class:`~.base.ImportReport`."""
    with open_archive(path, label) as archive:
        importer = FacebookNotesImporter(archive, parent, user=user, publish=publish, update=update)
        return importer.dry_run() if dry_run else importer.run(progress)
