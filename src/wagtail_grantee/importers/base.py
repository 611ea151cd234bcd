"""What every importer of posts shares: items read from an archive become ``PostPage``s.

An importer subclass only reads its archive into :class:`SourceItem`s (``read_items``); this
module plans and writes them, with these guarantees:

- Memory that does not grow with the archive: items are kept in a temporary file (only a small
  sort key per item stays in memory), planned and written one at a time, and the report's rows
  go to a temporary file too.

- Idempotent: a page is found again by its ``source_name`` and ``source_id`` under the same
  grantee home. Re-importing creates nothing; an item whose content changed is updated only
  when asked (a new revision; a published page stays published).
- Written as the admin writes pages: ``add_child``, ``save_revision`` and ``publish``, with
  log entries in the user's name. What Wagtail would redo on each of those saves (search
  entry, references) is done once per post, for a batch of posts at a time, and the feeds of
  the section are invalidated once, at the end.
- All or nothing: the whole import runs in one transaction, and the image files it stored
  are deleted if it fails.
- Images by content: Wagtail's own file hash finds a picture already in the library (used by
  two items, or imported before), so each is stored once; new ones go into a collection
  named for the import. A missing, broken or too large image is reported, and its item is
  imported without it.
- Imported text is escaped (plain text) or cleaned with nh3 (HTML): no script, style, event
  handler or ``javascript:`` URL survives.
"""

import csv
import gc
import hashlib
import json
import logging
import os
import re
import tempfile
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from itertools import islice

import nh3
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import F
from django.utils.html import escape, urlize
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from modelcluster.models import get_all_child_relations
from modelsearch.backends import get_search_backends_with_name
from wagtail.images import get_image_model
from wagtail.images.fields import WagtailImageField
from wagtail.log_actions import log
from wagtail.models import Collection, ReferenceIndex
from wagtail.signal_handlers import disable_reference_index_auto_update

from .. import signal_handlers
from ..models import ImportedItem, PostPage, SectionPage
from ..models.pages import post_search_index_deferred
from .archives import ArchiveError, MemberMissing, MemberTooLarge

logger = logging.getLogger(__name__)

# Actions in a report.
CREATED, UPDATED, UNCHANGED, SKIPPED = "created", "updated", "unchanged", "skipped"
ACTIONS = (CREATED, UPDATED, UNCHANGED, SKIPPED)
# Items whose pages are looked up in one query while planning.
PLAN_BATCH = 500
# Written posts whose references, search entries and fingerprints are saved in one go.
WRITE_BATCH = 50

ALLOWED_TAGS = {"a", "b", "strong", "i", "em", "br", "ul", "ol", "li"}
HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def batched(iterable, size):
    """Lists of ``size`` items of ``iterable`` (the last one shorter)."""
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch


@dataclass
class SourceMedia:
    path: str  # the file's path in the archive
    title: str = ""
    description: str = ""


@dataclass
class SourceItem:
    """One post as an archive tells it, already decoded and repaired."""

    key: str  # stable across exports of the same account: becomes ``source_id``
    title: str
    text: str
    date: datetime | None = None
    tags: list[str] = field(default_factory=list)
    media: list[SourceMedia] = field(default_factory=list)
    url: str = ""

    @property
    def is_empty(self):
        return not (self.title.strip() or self.text.strip())

    def fingerprint(self, archive):
        """What the page is made of: two archives that give the same fingerprint would give
        the same page. Media count by name and size, so a changed picture is a change."""
        data = [
            self.title,
            self.text,
            self.date.isoformat() if self.date else None,
            sorted(self.tags),
            [(m.path, archive.size(m.path), m.title, m.description) for m in self.media],
            self.url,
        ]
        return hashlib.sha256(json.dumps(data).encode()).hexdigest()

    def to_json(self):
        return json.dumps({**asdict(self), "date": self.date.isoformat() if self.date else None})

    @classmethod
    def from_json(cls, text):
        data = json.loads(text)
        return cls(
            **data
            | {
                "date": datetime.fromisoformat(data["date"]) if data["date"] else None,
                "media": [SourceMedia(**media) for media in data["media"]],
            }
        )


class ItemSpool:
    """The items of an archive, each key once (the first one read wins), oldest first.

    The items wait in a temporary file; memory holds only a sort key per item (its date, key
    and place in the file), so reading an archive of any size takes about the memory of its
    largest item. ``len()`` is the number of items; iterating reads them back one at a time.
    """

    def __init__(self, items):
        self.file = tempfile.TemporaryFile()  # noqa: SIM115  closed by close()
        places = {}
        try:
            for item in items:
                if item.key in places:
                    continue
                data = item.to_json().encode()
                places[item.key] = (item.date, self.file.tell(), len(data))
                self.file.write(data)
        except BaseException:
            self.close()
            raise
        self.entries = sorted(
            (date is None, date.timestamp() if date else 0, key, offset, length)
            for key, (date, offset, length) in places.items()
        )

    def __len__(self):
        return len(self.entries)

    def __iter__(self):
        return self.read(self.entries)

    def read(self, entries):
        """The items of ``entries`` (some of :attr:`entries`), one at a time."""
        for *_sort_key, offset, length in entries:
            self.file.seek(offset)
            yield SourceItem.from_json(self.file.read(length))

    def close(self):
        self.file.close()


@dataclass
class ReportRow:
    key: str
    title: str
    action: str
    reason: str = ""
    page_id: int | None = None
    url: str = ""


class ReportRows:
    """The rows of a report in a temporary file, a JSON line each, so that a report of any
    size takes little memory. Read them by iterating, or by slicing from the start."""

    def __init__(self):
        self.file = tempfile.TemporaryFile()  # noqa: SIM115  deleted with the report
        self.count = 0

    def append(self, row):
        self.file.seek(0, os.SEEK_END)
        self.file.write(json.dumps(row.__dict__).encode() + b"\n")
        self.count += 1

    def __len__(self):
        return self.count

    def __iter__(self):
        offset = 0  # its own place in the file, so that two readers do not disturb each other
        while True:
            self.file.seek(offset)
            line = self.file.readline()
            if not line:
                return
            offset = self.file.tell()
            yield ReportRow(**json.loads(line))

    def __getitem__(self, index):
        if isinstance(index, slice):
            return list(islice(self, index.start, index.stop, index.step))
        return next(islice(self, index, None))


@dataclass
class ImportReport:
    rows: list[ReportRow] | ReportRows = field(default_factory=ReportRows)
    images_added: int = 0
    dry_run: bool = False
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACTIONS, 0))

    def add(self, row):
        self.rows.append(row)
        self.counts[row.action] += 1

    def count(self, action):
        return self.counts[action]

    @property
    def row_count(self):
        """The number of rows, also those that were not kept (see :meth:`as_dict`)."""
        return sum(self.counts.values())

    def summary(self):
        return _(
            "%(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
            "%(skipped)d skipped, %(images)d images added."
        ) % {**self.counts, "images": self.images_added}

    def as_dict(self, max_rows=None):
        """The report as JSON data; with ``max_rows``, only the first rows (the counts are
        always complete)."""
        return {
            "rows": [row.__dict__ for row in islice(self.rows, max_rows)],
            "counts": dict(self.counts),
            "images_added": self.images_added,
            "dry_run": self.dry_run,
        }

    @classmethod
    def from_dict(cls, data):
        rows = [ReportRow(**row) for row in data.get("rows", [])]
        counts = data.get("counts") or {
            action: sum(1 for row in rows if row.action == action) for action in ACTIONS
        }
        return cls(
            rows=rows,
            images_added=data.get("images_added", 0),
            dry_run=data.get("dry_run", False),
            counts=counts,
        )

    def write_csv(self, file):
        writer = csv.writer(file)
        writer.writerow(["key", "title", "action", "reason", "page_id", "url"])
        for row in self.rows:
            writer.writerow(
                [row.key, row.title, row.action, row.reason, row.page_id or "", row.url]
            )


# ---------------------------------------------------------------------------------------------
# Text


def clean_html(html):
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
    )


def paragraphs(text):
    """Paragraphs of ``text`` as safe HTML: plain text is escaped (addresses become links),
    text with HTML tags is cleaned by nh3."""
    result = []
    for chunk in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        chunk = chunk.strip()
        if not chunk:
            continue
        if HTML_TAG.search(chunk):
            html = clean_html(chunk).strip()
        else:
            html = urlize(escape(chunk), autoescape=False)
            html = clean_html(html)  # urlize keeps odd schemes out, nh3 makes sure
        html = html.replace("\n", "<br>")
        if html:
            result.append(f"<p>{html}</p>")
    return result


def plain_text(text):
    return " ".join(nh3.clean(text, tags=set()).split()) if HTML_TAG.search(text) else text


def make_title(title, text, words=8):
    title = " ".join(title.split())
    if title:
        return Truncator(title).chars(255)
    first_line = plain_text(text).strip().split("\n", 1)[0]
    return Truncator(" ".join(first_line.split())).words(words)[:255] or _("Untitled note")


def make_summary(text, max_chars=300):
    """The first sentences of ``text`` that fit in ``max_chars``."""
    flat = " ".join(plain_text(text).split())
    summary = ""
    for sentence in SENTENCE_END.split(flat):
        if summary and len(summary) + len(sentence) + 1 > max_chars:
            break
        summary = f"{summary} {sentence}".strip()
    return Truncator(summary).chars(max_chars)


# ---------------------------------------------------------------------------------------------
# Images


@dataclass(frozen=True, slots=True)
class ImageRef:
    """What a post needs of an image: kept instead of the image, so that memory does not
    grow with the pictures of an archive."""

    pk: int
    title: str
    description: str

    @classmethod
    def of(cls, image):
        return cls(image.pk, image.title, image.description)

    @property
    def alt_text(self):
        return self.description or self.title


class ImageStore:
    """Images of one import, by content: each picture is stored once in the library."""

    def __init__(self, archive, collection_name, max_bytes, user=None):
        self.archive = archive
        self.collection_name = collection_name
        self.max_bytes = max_bytes
        self.user = user
        self.by_path = {}  # archive path -> (ImageRef or None, problem)
        self.collection = None
        self.stored_files = []  # names in the storage, to delete if the import fails
        self.added = 0

    def get(self, media):
        """``(image, problem)`` for one media entry, the image an :class:`ImageRef`, or
        ``None`` on a problem."""
        if media.path not in self.by_path:
            self.by_path[media.path] = self._load(media)
        return self.by_path[media.path]

    def _load(self, media):
        try:
            data = self.archive.read(media.path, self.max_bytes)
        except MemberMissing:
            return None, _("image %(name)s is missing from the archive") % {"name": media.path}
        except MemberTooLarge:
            return None, _("image %(name)s is too large") % {"name": media.path}
        Image = get_image_model()
        file_hash = hashlib.sha1(data).hexdigest()  # noqa: S324  Wagtail's own file_hash
        if existing := Image.objects.filter(file_hash=file_hash).first():
            return ImageRef.of(existing), ""
        name = media.path.rsplit("/", 1)[-1]
        try:
            # The admin's own upload field: format, size and pixel limits of the site.
            upload = WagtailImageField().clean(SimpleUploadedFile(name, data))
        except ValidationError as error:
            return None, _("%(name)s is not a usable image (%(error)s)") % {
                "name": media.path,
                "error": " ".join(error.messages),
            }
        title = Truncator(" ".join((media.title or media.description or name).split())).chars(255)
        image = Image(
            title=title,
            description=Truncator(media.description or media.title).chars(255),
            file=upload,
            collection=self._collection(),
            uploaded_by_user=self.user,
        )
        image._set_image_file_metadata()
        image.save()
        self.stored_files.append(image.file.name)
        self.added += 1
        return ImageRef.of(image), ""

    def _collection(self):
        if self.collection is None:
            root = Collection.get_first_root_node()
            self.collection = root.get_children().filter(
                name=self.collection_name
            ).first() or root.add_child(name=self.collection_name)
        return self.collection

    def delete_stored_files(self):
        storage = get_image_model()._meta.get_field("file").storage
        for name in self.stored_files:
            storage.delete(name)
        self.stored_files = []


# ---------------------------------------------------------------------------------------------
# The importer


def find_section(value):
    """The section a page id or URL path (public ``/berita/`` or Wagtail's ``url_path``)
    names; ``ArchiveError`` when there is none."""
    value = str(value).strip()
    sections = SectionPage.objects.all()
    if value.isdigit():
        section = sections.filter(pk=int(value)).first()
    else:
        path = "/" + value.strip("/") + "/" if value.strip("/") else "/"
        section = sections.filter(url_path=path).first()
        if section is None:
            matches = [
                page for page in sections if page.url == path or page.url_path.endswith(path)
            ]
            section = next((page for page in matches if page.url == path), None)
            if section is None and len(matches) == 1:
                section = matches[0]
    if section is None:
        raise ArchiveError(
            _("%(page)s is not a section: choose the section the posts go into.") % {"page": value}
        )
    return section


def index_posts(pages):
    """Search entries for ``pages`` (posts as saved), as Wagtail's signal handler writes them
    for one post, in one go for all of them: a database backend recomputes its statistics
    once per call, not once per post."""
    for name, backend in get_search_backends_with_name(with_auto_update=True):
        try:
            backend.add_bulk(PostPage, pages)
        except Exception:
            logger.exception("Indexing imported posts in the '%s' search backend failed", name)
            # As Wagtail's handler: an external index that is down does not undo the import.
            if not backend.catch_indexing_errors:
                raise


@contextmanager
def garbage_collected_young():
    """Within it, ``gc.collect()`` looks only at the objects made since the block began.

    Pages, revisions and querysets hold reference cycles, so what an import lets go of post by
    post waits for Python's full collection, which a process as large as Django's runs rarely:
    the import's memory would grow with the archive. The objects that existed before are frozen
    out of the collector's sight (``gc.freeze()``) for the block, so the collection after each
    batch of posts costs about a hundredth of a second instead of a fifth."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@dataclass
class PlannedItem:
    item: SourceItem
    action: str
    reason: str = ""
    page_id: int | None = None
    fingerprint: str = ""
    url: str = ""


@dataclass(frozen=True)
class ExistingPage:
    pk: int
    fingerprint: str
    url: str


class PageImporter:
    """Turns the items of an archive into posts under ``parent``; subclasses read archives."""

    source_name = ""  # stored in PostPage.source_name, e.g. "Facebook note"
    log_action = ""  # the audit log action recorded on the section

    def __init__(self, archive, parent, *, user=None, publish=False, update=False):
        self.archive = archive
        self.parent = parent
        self.user = user
        self.publish = publish
        self.update = update
        self.tags = {}  # name -> Tag, of the tags this import has given
        self.written = []  # (page id, fingerprint) waiting for write_batch()

    # To fill in -------------------------------------------------------------------------

    def read_items(self):
        """The archive's items (an iterable: a generator reads the archive as it goes); the
        first of several with the same key counts. Raise ``ArchiveError`` on an unusable
        archive."""
        raise NotImplementedError

    def max_image_bytes(self):
        raise NotImplementedError

    def collection_name(self):
        return f"{self.source_name}: {self.archive.label}"[:255]

    # Planning ---------------------------------------------------------------------------

    def spool_items(self):
        spool = ItemSpool(self.read_items())
        if not spool:
            spool.close()
            raise ArchiveError(_("The archive holds nothing to import."))
        return spool

    def existing_pages(self, keys):
        """``{source_id: ExistingPage}`` of this source's posts under the same home."""
        home = self.parent.get_parent() or self.parent
        pages = (
            PostPage.objects.descendant_of(home)
            .filter(source_name=self.source_name, source_id__in=keys)
            .annotate(fingerprint=F("import_item__fingerprint"))
            .only("pk", "source_id", "url_path", "translation_key", "locale_id")
        )
        return {
            page.source_id: ExistingPage(page.pk, page.fingerprint or "", page.full_url or "")
            for page in pages
        }

    def plan(self, items):
        """What an import of ``items`` (an :class:`ItemSpool`) would do, item by item, without
        writing anything; looked up a batch at a time, read one at a time."""
        for batch in batched(items.entries, PLAN_BATCH):
            existing = self.existing_pages([key for _d, _t, key, _o, _l in batch])
            for item in items.read(batch):
                yield self.plan_item(item, existing.get(item.key))

    def plan_item(self, item, existing):
        if item.is_empty:
            return PlannedItem(item, SKIPPED, _("The note has no title and no text."))
        fingerprint = item.fingerprint(self.archive)
        missing = [m.path for m in item.media if self.archive.size(m.path) is None]
        reason = _("missing images: %(names)s") % {"names": ", ".join(missing)} if missing else ""
        if existing is None:
            return PlannedItem(item, CREATED, reason, fingerprint=fingerprint)
        known = {"page_id": existing.pk, "fingerprint": fingerprint, "url": existing.url}
        if existing.fingerprint == fingerprint:
            return PlannedItem(item, UNCHANGED, **known)
        if self.update:
            return PlannedItem(item, UPDATED, reason, **known)
        return PlannedItem(
            item,
            SKIPPED,
            _("Changed since it was imported; import with “update” to update it."),
            **known,
        )

    def dry_run(self):
        report = ImportReport(dry_run=True)
        items = self.spool_items()
        try:
            for planned in self.plan(items):
                report.add(self._row(planned))
        finally:
            items.close()
        return report

    # Writing ----------------------------------------------------------------------------

    def run(self, progress=None):
        """Import everything in one transaction; ``progress(done, total)`` is called as it goes."""
        items = self.spool_items()
        total = len(items)
        report = ImportReport()
        images = ImageStore(
            self.archive, self.collection_name(), self.max_image_bytes(), user=self.user
        )
        try:
            # The feeds are invalidated once the transaction is over, and not if it fails.
            with (
                garbage_collected_young(),
                signal_handlers.feed_invalidation_deferred(),
                transaction.atomic(),
            ):
                for done, planned in enumerate(self.plan(items), 1):
                    if planned.action in (CREATED, UPDATED):
                        self._write(planned, images)
                    report.add(self._row(planned))
                    if progress:
                        progress(done, total)
                self.write_batch()
                report.images_added = images.added
                if self.log_action:
                    log(
                        instance=self.parent,
                        action=self.log_action,
                        user=self.user,
                        data={"archive": self.archive.label, **report.counts,
                              "images_added": images.added},
                    )  # fmt: skip
        except BaseException:
            images.delete_stored_files()
            raise
        finally:
            items.close()
        return report

    def _row(self, planned):
        return ReportRow(
            key=planned.item.key,
            title=make_title(planned.item.title, planned.item.text),
            action=planned.action,
            reason=str(planned.reason),
            page_id=planned.page_id,
            url=planned.url,
        )

    def _content(self, item, images):
        """The page fields of ``item``; media problems are returned as a list."""
        problems = []
        found = []
        for media in item.media:
            image, problem = images.get(media)
            if problem:
                problems.append(problem)
            elif image and all(image.pk != other.pk for other, _media in found):
                found.append((image, media))
        body = [{"type": "paragraph", "value": html} for html in paragraphs(item.text)]
        for image, media in found[1:]:  # the first one is the lead image, shown on top
            body.append(
                {
                    "type": "image",
                    "value": {
                        "image": {
                            "image": image.pk,
                            "alt_text": image.alt_text,
                            "decorative": False,
                        },
                        "caption": Truncator(media.description).chars(255),
                    },
                }
            )
        fields = {
            "title": make_title(item.title, item.text),
            "date": item.date,
            "summary": make_summary(item.text),
            "body": json.dumps(body),
            "lead_image_id": found[0][0].pk if found else None,
            "source_name": self.source_name,
            "source_id": item.key,
            "source_url": item.url,
        }
        return fields, problems

    def _write(self, planned, images):
        item = planned.item
        fields, problems = self._content(item, images)
        if problems:
            planned.reason = "; ".join([str(planned.reason), *problems]).strip("; ")
        with disable_reference_index_auto_update(), post_search_index_deferred():
            # Each page is saved three times (add_child, save_revision, publish) and each save
            # would rebuild its references and its search entry; write_batch() writes both
            # once per page.
            page = self._write_page(planned, item, fields)
        planned.page_id = page.pk
        planned.url = page.full_url or ""
        self.written.append((page.pk, planned.fingerprint))
        if len(self.written) >= WRITE_BATCH:
            self.write_batch()
            gc.collect()  # cheap within garbage_collected_young() (see there)

    def write_batch(self):
        """References, search entries and fingerprints of the pages written since the last
        batch, as the signal handlers' tasks would write them: from the rows as saved (live,
        published content)."""
        if not self.written:
            return
        fingerprints = dict(self.written)
        self.written = []
        # The posts' child relations (tags, comments) in a query each for the whole batch.
        relations = [relation.get_accessor_name() for relation in get_all_child_relations(PostPage)]
        pages = list(PostPage.objects.filter(pk__in=fingerprints).prefetch_related(*relations))
        for page in pages:
            ReferenceIndex.create_or_update_for_object(page)
        index_posts(pages)
        # New and updated posts alike, in one statement (INSERT … ON CONFLICT DO UPDATE).
        ImportedItem.objects.bulk_create(
            [ImportedItem(page_id=pk, fingerprint=fp) for pk, fp in fingerprints.items()],
            update_conflicts=True,
            unique_fields=["page"],
            update_fields=["fingerprint"],
        )

    def _tags(self, names):
        """The tags named ``names``: those this import gave before as tags (no query), the
        others as names for taggit to find or create."""
        return [self.tags.get(name, name) for name in names]

    def _remember_tags(self, page):
        for tag in page.tags.all():  # in memory: the page's tags are not saved yet
            self.tags.setdefault(tag.name, tag)

    def _write_page(self, planned, item, fields):
        # Revisions are saved as the admin saves a draft, without a full validation (title and
        # slug are checked when the page is saved); publishing validates the page in full.
        if planned.action == CREATED:
            page = PostPage(**fields, live=False, owner=self.user, locale_id=self.parent.locale_id)
            # A page that does not exist yet is no site's root: spares a query on each save.
            page._is_site_root = False
            page.tags.set(self._tags(item.tags))
            self._remember_tags(page)
            if self.publish and item.date:
                # Publishing keeps an original first-publication date.
                page.first_published_at = item.date
            self.parent.add_child(instance=page)  # logs its creation in the owner's name
            revision = page.save_revision(user=self.user, log_action=False, clean=False)
            publish = self.publish
        else:
            page = PostPage.objects.get(pk=planned.page_id)
            was_live = page.live
            page = page.get_latest_revision_as_object()
            for name, value in fields.items():
                setattr(page, name, value)
            page.tags.set(self._tags(item.tags))
            self._remember_tags(page)
            revision = page.save_revision(user=self.user, log_action=True, clean=False)
            publish = was_live or self.publish
        if publish:
            revision.publish(user=self.user)
        return page
