"""What every importer of posts shares: items read from an archive become ``PostPage``s.

An importer subclass only reads its archive into :class:`SourceItem`s (``read_items``); this
module plans and writes them, with these guarantees:

- Idempotent: a page is found again by its ``source_name`` and ``source_id`` under the same
  grantee home. Re-importing creates nothing; an item whose content changed is updated only
  when asked (a new revision; a published page stays published).
- Written as the admin writes pages: ``add_child``, ``save_revision`` and ``publish``, with
  log entries in the user's name.
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
import hashlib
import json
import re
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

import nh3
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils.html import escape, urlize
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from wagtail.images import get_image_model
from wagtail.images.fields import WagtailImageField
from wagtail.log_actions import log
from wagtail.models import Collection, ReferenceIndex
from wagtail.search import index
from wagtail.signal_handlers import disable_reference_index_auto_update

from ..models import ImportedItem, PostPage, SectionPage
from ..models.pages import post_search_index_deferred
from .archives import ArchiveError, MemberMissing, MemberTooLarge

# Actions in a report.
CREATED, UPDATED, UNCHANGED, SKIPPED = "created", "updated", "unchanged", "skipped"

ALLOWED_TAGS = {"a", "b", "strong", "i", "em", "br", "ul", "ol", "li"}
HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


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


@dataclass
class ReportRow:
    key: str
    title: str
    action: str
    reason: str = ""
    page_id: int | None = None
    url: str = ""


@dataclass
class ImportReport:
    rows: list[ReportRow] = field(default_factory=list)
    images_added: int = 0
    dry_run: bool = False

    def count(self, action):
        return sum(1 for row in self.rows if row.action == action)

    @property
    def counts(self):
        return {action: self.count(action) for action in (CREATED, UPDATED, UNCHANGED, SKIPPED)}

    def summary(self):
        counts = self.counts
        return _(
            "%(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
            "%(skipped)d skipped, %(images)d images added."
        ) % {**counts, "images": self.images_added}

    def as_dict(self):
        return {
            "rows": [row.__dict__ for row in self.rows],
            "images_added": self.images_added,
            "dry_run": self.dry_run,
        }

    @classmethod
    def from_dict(cls, data):
        return cls(
            rows=[ReportRow(**row) for row in data.get("rows", [])],
            images_added=data.get("images_added", 0),
            dry_run=data.get("dry_run", False),
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


class ImageStore:
    """Images of one import, by content: each picture is stored once in the library."""

    def __init__(self, archive, collection_name, max_bytes, user=None):
        self.archive = archive
        self.collection_name = collection_name
        self.max_bytes = max_bytes
        self.user = user
        self.by_path = {}  # archive path -> (image or None, problem)
        self.collection = None
        self.stored_files = []  # names in the storage, to delete if the import fails
        self.added = 0

    def get(self, media):
        """``(image, problem)`` for one media entry; the image is ``None`` on a problem."""
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
            return existing, ""
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
        return image, ""

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


@dataclass
class PlannedItem:
    item: SourceItem
    action: str
    reason: str = ""
    page_id: int | None = None
    fingerprint: str = ""


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

    # To fill in -------------------------------------------------------------------------

    def read_items(self):
        """The archive's items, each key once; raise ``ArchiveError`` on an unusable archive."""
        raise NotImplementedError

    def max_image_bytes(self):
        raise NotImplementedError

    def collection_name(self):
        return f"{self.source_name}: {self.archive.label}"[:255]

    # Planning ---------------------------------------------------------------------------

    def existing_pages(self, keys):
        """``{source_id: (page id, fingerprint)}`` of this source's posts under the same home."""
        home = self.parent.get_parent() or self.parent
        pages = PostPage.objects.descendant_of(home).filter(
            source_name=self.source_name, source_id__in=keys
        )
        return {
            key: (pk, fingerprint or "")
            for key, pk, fingerprint in pages.values_list(
                "source_id", "pk", "import_item__fingerprint"
            )
        }

    def plan(self):
        """What an import would do, item by item, without writing anything."""
        items = list(self.read_items())
        if not items:
            raise ArchiveError(_("The archive holds nothing to import."))
        existing = self.existing_pages([item.key for item in items])
        planned = []
        for item in items:
            fingerprint = item.fingerprint(self.archive)
            if item.is_empty:
                planned.append(PlannedItem(item, SKIPPED, _("The note has no title and no text.")))
                continue
            missing = [m.path for m in item.media if self.archive.size(m.path) is None]
            reason = (
                _("missing images: %(names)s") % {"names": ", ".join(missing)} if missing else ""
            )
            if item.key not in existing:
                planned.append(PlannedItem(item, CREATED, reason, fingerprint=fingerprint))
                continue
            page_id, old_fingerprint = existing[item.key]
            if old_fingerprint == fingerprint:
                planned.append(PlannedItem(item, UNCHANGED, "", page_id, fingerprint))
            elif self.update:
                planned.append(PlannedItem(item, UPDATED, reason, page_id, fingerprint))
            else:
                planned.append(
                    PlannedItem(
                        item,
                        SKIPPED,
                        _("Changed since it was imported; import with “update” to update it."),
                        page_id,
                        fingerprint,
                    )
                )
        return planned

    def dry_run(self):
        report = ImportReport(dry_run=True)
        for planned in self.plan():
            report.rows.append(self._row(planned))
        self._fill_urls(report)
        return report

    # Writing ----------------------------------------------------------------------------

    def run(self, progress=None):
        """Import everything in one transaction; ``progress(done, total)`` is called as it goes."""
        # A deque let go of item by item: a written note's text is not kept to the end.
        planned_items = deque(self.plan())
        total = len(planned_items)
        report = ImportReport()
        images = ImageStore(
            self.archive, self.collection_name(), self.max_image_bytes(), user=self.user
        )
        try:
            with transaction.atomic():
                done = 0
                while planned_items:
                    planned = planned_items.popleft()
                    if planned.action in (CREATED, UPDATED):
                        self._write(planned, images)
                    report.rows.append(self._row(planned))
                    done += 1
                    if progress:
                        progress(done, total)
                report.images_added = images.added
                self._fill_urls(report)
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
        return report

    def _row(self, planned):
        return ReportRow(
            key=planned.item.key,
            title=make_title(planned.item.title, planned.item.text),
            action=planned.action,
            reason=str(planned.reason),
            page_id=planned.page_id,
        )

    def _fill_urls(self, report):
        ids = [row.page_id for row in report.rows if row.page_id]
        pages = PostPage.objects.filter(pk__in=ids).in_bulk()
        for row in report.rows:
            if page := pages.get(row.page_id):
                row.url = page.full_url or ""

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
                            "alt_text": image.description or image.title,
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
            "lead_image": found[0][0] if found else None,
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
            # would rebuild its references and its search entry; both are written once, when
            # the page is written.
            page = self._write_page(planned, item, fields)
        # As the signal handlers' tasks do: from the row as saved (live, published content).
        saved = PostPage.objects.get(pk=page.pk)
        ReferenceIndex.create_or_update_for_object(saved)
        index.insert_or_update_object(saved)
        if planned.action == CREATED:
            ImportedItem.objects.create(page_id=page.pk, fingerprint=planned.fingerprint)
        else:
            ImportedItem.objects.update_or_create(
                page_id=page.pk, defaults={"fingerprint": planned.fingerprint}
            )
        planned.page_id = page.pk

    def _write_page(self, planned, item, fields):
        if planned.action == CREATED:
            page = PostPage(**fields, live=False, owner=self.user)
            page.tags.set(item.tags)
            if self.publish and item.date:
                # Publishing keeps an original first-publication date.
                page.first_published_at = item.date
            self.parent.add_child(instance=page)
            log(instance=page, action="wagtail.create", user=self.user)
            revision = page.save_revision(user=self.user, log_action=False)
            publish = self.publish
        else:
            page = PostPage.objects.get(pk=planned.page_id)
            was_live = page.live
            page = page.get_latest_revision_as_object()
            for name, value in fields.items():
                setattr(page, name, value)
            page.tags.set(item.tags)
            revision = page.save_revision(user=self.user, log_action=True)
            publish = was_live or self.publish
        if publish:
            revision.publish(user=self.user)
        return page
