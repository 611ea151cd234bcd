"""Reading an export archive (a ``.zip`` or the folder it unpacks to) safely.

Nothing is ever extracted: members are read by streaming them from the zip (JSON files item by
item, with ``ijson``, never whole), and the bytes actually read are counted, so a lying header
cannot hide a zip bomb. An archive is refused when a member's name is absolute or climbs out
with ``..`` (zip slip), when it has too many members, when a member inflates beyond the
compression ratio allowed, or when everything read adds up to more than the unpacked limit. A
single member larger than the caller's limit raises :class:`MemberTooLarge`, which an importer
may treat as a problem of one item only.
"""

import os
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import ijson
from django.utils.translation import gettext as _
from ijson.common import ObjectBuilder

CHUNK_SIZE = 64 * 1024
# Small members (a JSON file of repeated text) compress far better than any ratio a
# realistic limit would allow; only the bytes beyond this floor count against the ratio.
RATIO_FLOOR = 1024 * 1024


class ArchiveError(Exception):
    """The archive cannot be imported; ``message`` says why, for the person importing it."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class MemberMissing(ArchiveError):
    pass


class MemberTooLarge(ArchiveError):
    pass


@dataclass(frozen=True)
class ArchiveLimits:
    max_unpacked: int  # bytes read from the whole archive
    max_ratio: int  # unpacked / compressed size of one zip member
    max_files: int  # members in the archive


def safe_member_name(name):
    """``name`` as a relative POSIX path, or ``None`` when it is absolute or climbs out."""
    name = name.replace("\\", "/")
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        return None
    return str(path)


class Archive:
    """The files of an export, by relative POSIX path; read with :meth:`read`."""

    def __init__(self, label, limits):
        self.label = label
        self.limits = limits
        self.unpacked = 0  # bytes read so far

    @classmethod
    def open(cls, path, limits, label=None):
        path = Path(path)
        label = label or path.name
        if path.is_dir():
            return FolderArchive(path, limits, label)
        if not path.exists():
            raise ArchiveError(_("%(name)s does not exist.") % {"name": label})
        return ZipArchive(path, limits, label)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        pass

    def names(self):
        raise NotImplementedError

    def size(self, name):
        """The (announced) unpacked size of ``name``, or ``None`` when there is no such file."""
        raise NotImplementedError

    def _open_member(self, name):
        raise NotImplementedError

    def _ratio_limit(self, name):
        return None

    @contextmanager
    def open_member(self, name, max_bytes):
        """``name`` as a file to ``read()`` from, which stops at the limits: at most
        ``max_bytes`` of it."""
        if self.size(name) is None:
            raise MemberMissing(_("%(name)s is not in the archive.") % {"name": name})
        try:
            member = self._open_member(name)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
            raise damaged(name, error) from error
        with member:
            yield LimitedReader(self, name, member, max_bytes, self._ratio_limit(name))

    def read(self, name, max_bytes):
        """The bytes of ``name``, read in chunks; at most ``max_bytes`` of them."""
        chunks = []
        with self.open_member(name, max_bytes) as member:
            while chunk := member.read(CHUNK_SIZE):
                chunks.append(chunk)
        return b"".join(chunks)

    def json_items(self, name, max_bytes, lists=None):
        """The items of the JSON lists in ``name``, one at a time, without reading the whole
        file: of a list at the top, or under a key of the top object (one of ``lists`` when
        given). Strings are decoded as ``json`` decodes them."""
        with self.open_member(name, max_bytes) as member:
            try:
                yield from list_items(ijson.parse(member, use_float=True), lists)
            except ijson.JSONError as error:
                raise ArchiveError(
                    _("%(name)s is not valid JSON (%(error)s).")
                    % {"name": name, "error": json_problem(error)}
                ) from error


def json_problem(error):
    """The first line of an ``ijson`` error (yajl's message goes on to draw the place)."""
    message = error.args[0] if error.args else ""
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return (str(message).strip().splitlines() or [""])[0]


def list_items(events, lists=None):
    """Build the items of the top-level lists that ``events`` (from ``ijson.parse``) describe:
    the top value itself, or a value under a key of the top object (one of ``lists``)."""
    item_prefix = None
    for prefix, event, value in events:
        if item_prefix is None:
            at_top = prefix == "" or "." not in prefix and (lists is None or prefix in lists)
            if event == "start_array" and at_top:
                item_prefix = f"{prefix}.item" if prefix else "item"
            continue
        if prefix != item_prefix:  # the end of the list
            item_prefix = None
        elif event in ("start_map", "start_array"):
            builder = ObjectBuilder()
            builder.event(event, value)
            for inner_prefix, inner_event, inner_value in events:  # to the item's end
                builder.event(inner_event, inner_value)
                if inner_prefix == item_prefix and inner_event in ("end_map", "end_array"):
                    break
            yield builder.value
        elif event not in ("end_map", "end_array"):
            yield value


def damaged(name, error):
    return ArchiveError(
        _("The archive is damaged: %(name)s cannot be read (%(error)s).")
        % {"name": name, "error": error}
    )


class LimitedReader:
    """A member of an archive, read with ``read(size)``: the bytes read are counted against
    the member's and the archive's limits, so a lying header cannot hide a zip bomb."""

    def __init__(self, archive, name, member, max_bytes, ratio_limit):
        self.archive = archive
        self.name = name
        self.member = member
        self.max_bytes = max_bytes
        self.ratio_limit = ratio_limit
        self.count = 0

    def read(self, size=-1):
        if size is None or size < 0:
            size = CHUNK_SIZE
        try:
            chunk = self.member.read(size)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
            raise damaged(self.name, error) from error
        self.count += len(chunk)
        self.archive.unpacked += len(chunk)
        if self.ratio_limit is not None and self.count > self.ratio_limit:
            raise ArchiveError(
                _(
                    "%(name)s in the archive unpacks to far more than its packed "
                    "size (a zip bomb?): the import stopped."
                )
                % {"name": self.name}
            )
        if self.archive.unpacked > self.archive.limits.max_unpacked:
            raise ArchiveError(
                _(
                    "The archive unpacks to more than %(limit)s bytes, the most "
                    "allowed: the import stopped."
                )
                % {"limit": f"{self.archive.limits.max_unpacked:,}"}
            )
        if self.count > self.max_bytes:
            raise MemberTooLarge(
                _("%(name)s is larger than %(limit)s bytes.")
                % {"name": self.name, "limit": f"{self.max_bytes:,}"}
            )
        return chunk


class ZipArchive(Archive):
    def __init__(self, path, limits, label):
        super().__init__(label, limits)
        try:
            is_zip = zipfile.is_zipfile(path)
        except OSError as error:
            raise ArchiveError(_("%(name)s cannot be read.") % {"name": label}) from error
        if not is_zip:
            raise ArchiveError(_("%(name)s is not a zip file.") % {"name": label})
        try:
            self.zip = zipfile.ZipFile(path)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as error:
            raise ArchiveError(
                _("%(name)s is a damaged zip file (%(error)s).") % {"name": label, "error": error}
            ) from error
        if len(infos) > limits.max_files:
            self.zip.close()
            raise ArchiveError(
                _("The archive has more than %(limit)s files, the most allowed.")
                % {"limit": f"{limits.max_files:,}"}
            )
        self.infos = {}
        for info in infos:
            name = safe_member_name(info.filename)
            if name is None:
                self.zip.close()
                raise ArchiveError(
                    _(
                        "The archive holds a file with an unsafe name (%(name)s): it would be "
                        "written outside its folder. Nothing was imported."
                    )
                    % {"name": info.filename[:200]}
                )
            if not info.is_dir():
                self.infos[name] = info

    def close(self):
        self.zip.close()

    def names(self):
        return list(self.infos)

    def size(self, name):
        info = self.infos.get(name)
        return None if info is None else info.file_size

    def _open_member(self, name):
        return self.zip.open(self.infos[name])

    def _ratio_limit(self, name):
        return max(self.infos[name].compress_size * self.limits.max_ratio, RATIO_FLOOR)


class FolderArchive(Archive):
    """An export unpacked by the user. Links that lead out of the folder are not followed."""

    def __init__(self, path, limits, label):
        super().__init__(label, limits)
        self.root = path.resolve()
        self.files = {}
        for folder, _dirs, files in os.walk(self.root):
            for file in files:
                full = Path(folder) / file
                if not full.resolve().is_relative_to(self.root) or not full.is_file():
                    continue
                self.files[full.relative_to(self.root).as_posix()] = full
                if len(self.files) > limits.max_files:
                    raise ArchiveError(
                        _("The archive has more than %(limit)s files, the most allowed.")
                        % {"limit": f"{limits.max_files:,}"}
                    )

    def names(self):
        return list(self.files)

    def size(self, name):
        path = self.files.get(name)
        return None if path is None else path.stat().st_size

    def _open_member(self, name):
        return self.files[name].open("rb")
