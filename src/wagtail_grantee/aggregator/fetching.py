"""A run of the aggregator: fetch the due sources, save their entries, record how it went.

Guarantees:

- A failure of one source (network, timeout, HTTP error, refused address, malformed feed) is
  recorded on that source and never stops the run or delays the others; the source backs off
  (its next fetch waits ``AGGREGATOR_INTERVAL`` minutes, doubled with each failure in a row,
  at most a day), and the next success resets it.
- Sources are fetched by a pool of at most ``AGGREGATOR_CONCURRENCY`` threads that do the
  network and parsing only; every database write happens in the calling thread, one source
  per transaction, as results arrive. So writes are serialised (SQLite is happy), a worker
  thread opens no database connection, and a source is never half saved.
- A 304 changes no entry; the validators (ETag, Last-Modified) are replaced only by a 200.
  A permanent redirect (301, 308) replaces the stored feed address; a 410 deactivates the
  source.
- Entries are de-duplicated by (source, guid): a changed entry is updated in place (its
  ``changed_at`` moves, which is what the river's feeds see), a new one added. Running twice
  does no harm.
"""

import logging
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..conf import get_setting
from . import http, parsing
from .models import FeedEntry, FeedSource
from .safety import UnsafeURL

logger = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(days=1)
ENTRY_FIELDS = [
    "link", "title", "summary", "content", "author", "published_at", "updated_at", "image_url",
    "image_width", "image_height",
]  # fmt: skip


@dataclass
class Outcome:
    """What happened to one source in a run."""

    source_id: int
    name: str
    status: int | None = None
    entries: list | None = None  # None: not modified (or failed)
    feed_url: str | None = None  # a new address to store (discovered, moved permanently)
    etag: str = ""
    last_modified: str = ""
    error: str = ""
    gone: bool = False
    new: int = 0
    updated: int = 0
    network_seconds: float = 0.0
    parse_seconds: float = 0.0
    save_seconds: float = 0.0

    @property
    def not_modified(self):
        return self.status == 304

    def describe(self):
        """One line for the command's output and the admin's message."""
        if self.error:
            return _("%(name)s: error: %(error)s") % {"name": self.name, "error": self.error}
        if self.not_modified:
            return _("%(name)s: not modified") % {"name": self.name}
        return _("%(name)s: fetched, %(new)s new, %(updated)s updated") % {
            "name": self.name,
            "new": self.new,
            "updated": self.updated,
        }


@dataclass
class RunSummary:
    outcomes: list = field(default_factory=list)
    seconds: float = 0.0

    def count(self, predicate):
        return sum(1 for outcome in self.outcomes if predicate(outcome))

    @property
    def errors(self):
        return self.count(lambda o: o.error)

    def describe(self):
        return _(
            "%(sources)s sources: %(fetched)s fetched (%(new)s new, %(updated)s updated "
            "entries), %(not_modified)s not modified, %(errors)s errors, in %(seconds).1f s."
        ) % {
            "sources": len(self.outcomes),
            "fetched": self.count(lambda o: not o.error and not o.not_modified),
            "new": sum(o.new for o in self.outcomes),
            "updated": sum(o.updated for o in self.outcomes),
            "not_modified": self.count(lambda o: o.not_modified),
            "errors": self.errors,
            "seconds": self.seconds,
        }


@dataclass(frozen=True)
class SourceSnapshot:
    """What a worker thread needs of a source: plain values, no database access."""

    pk: int
    name: str
    site_url: str
    feed_url: str
    etag: str
    last_modified: str


def sources_to_fetch(source_ids=None, force=False, now=None):
    """The sources a run fetches: the due active ones, or with ``force`` all active ones;
    ``source_ids`` limits the run to those (even inactive ones, when forced)."""
    now = now or timezone.now()
    sources = FeedSource.objects.all()
    if source_ids:
        sources = sources.filter(pk__in=source_ids)
    if not force:
        sources = sources.due(now)
    elif not source_ids:
        sources = sources.filter(active=True)
    return sources


def run(source_ids=None, *, force=False, on_outcome=None):
    """Fetch the sources (see :func:`sources_to_fetch`) and save what they carry.

    ``on_outcome`` is called with each :class:`Outcome` as it is saved. Returns a
    :class:`RunSummary`.
    """
    started = time.monotonic()
    now = timezone.now()
    with transaction.atomic():
        snapshots = [
            SourceSnapshot(s.pk, s.name, s.site_url, s.feed_url, s.etag, s.last_modified)
            for s in sources_to_fetch(source_ids, force, now).select_for_update(skip_locked=True)
        ]
        # Claimed for this run: a run that starts meanwhile (the schedule, "fetch now") does
        # not take them too; were this process to die, they are due again after the interval.
        FeedSource.objects.filter(pk__in=[s.pk for s in snapshots]).update(
            next_fetch_at=now + interval()
        )
    summary = RunSummary()
    if snapshots:
        workers = max(1, min(get_setting("AGGREGATOR_CONCURRENCY"), len(snapshots)))
        with http.session(pool_size=workers) as session, ThreadPoolExecutor(workers) as pool:
            futures = [pool.submit(fetch, session, snapshot) for snapshot in snapshots]
            for future in as_completed(futures):
                outcome = save(future.result())
                summary.outcomes.append(outcome)
                if on_outcome:
                    on_outcome(outcome)
    summary.seconds = time.monotonic() - started
    return summary


def fetch(session, source):
    """Fetch and parse one source (a :class:`SourceSnapshot`); never raises, never touches
    the database. Runs in a worker thread."""
    outcome = Outcome(source.pk, source.name)
    try:
        _fetch_into(outcome, session, source)
    except UnsafeURL as error:
        outcome.error = str(error)
    except http.FetchError as error:
        outcome.status = error.status
        outcome.error = str(error)
        outcome.gone = error.status == 410
    except parsing.ParseError as error:
        outcome.error = str(error)
    except Exception as error:  # a bug or an odd feed must not stop the other sources
        logger.exception("Fetching feed source %s failed", source.pk)
        outcome.error = _("Unexpected error (%(error)s).") % {"error": type(error).__name__}
    return outcome


def _fetch_into(outcome, session, source):
    if source.feed_url:
        response = http.get(
            session, source.feed_url, etag=source.etag, last_modified=source.last_modified
        )
        outcome.feed_url = response.permanent_url
    else:
        response = http.get(session, source.site_url)
        content_type = response.headers.get("Content-Type", "")
        if parsing.is_html(response.body, content_type):
            found = parsing.discover_feed_url(response.body, response.url)
            if not found:
                outcome.status = response.status
                raise parsing.ParseError(_("The website names no feed (no feed link found)."))
            outcome.network_seconds += response.network_seconds
            response = http.get(session, found)
            outcome.feed_url = response.permanent_url or found
        else:  # the site address is itself a feed
            outcome.feed_url = response.permanent_url or source.site_url
    outcome.status = response.status
    outcome.network_seconds += response.network_seconds
    if response.status == 304:
        return
    outcome.etag = response.headers.get("ETag", "")[:255]
    outcome.last_modified = response.headers.get("Last-Modified", "")[:64]
    parse_started = time.monotonic()
    outcome.entries = parsing.parse(
        response.body, response.url, response.headers.get("Content-Type", "")
    )
    outcome.parse_seconds = time.monotonic() - parse_started


def interval():
    return timedelta(minutes=get_setting("AGGREGATOR_INTERVAL"))


def backoff(error_count):
    """How long a source that failed ``error_count`` times in a row waits for its next try."""
    return min(interval() * 2 ** max(error_count - 1, 0), MAX_BACKOFF)


def save(outcome):
    """Record ``outcome`` on its source and save its entries, in one transaction.

    The source is written with one UPDATE of its fetch state (no ``save()``: nothing the
    search index or an editor's form holds changes), so a 304 costs three queries."""
    started = time.monotonic()
    now = timezone.now()
    with transaction.atomic():
        source = FeedSource.objects.select_for_update().filter(pk=outcome.source_id)
        state = source.values("error_count").first()
        if state is None:  # deleted during the run
            return outcome
        fields = {"last_fetched_at": now, "last_status": outcome.status}
        if outcome.error:
            error_count = state["error_count"] + 1
            fields |= {
                "error_count": error_count,
                "next_fetch_at": now + backoff(error_count),
                "last_error": outcome.error,
            }
            if outcome.gone:
                fields |= {
                    "active": False,
                    "last_error": _(
                        "The feed is gone (HTTP 410): the source was deactivated. Check its "
                        "address with the grantee, then activate it again."
                    ),
                }
        else:
            fields |= {"error_count": 0, "last_error": "", "next_fetch_at": now + interval()}
            if outcome.feed_url:
                fields["feed_url"] = outcome.feed_url
            if outcome.entries is not None:
                fields |= {"etag": outcome.etag, "last_modified": outcome.last_modified}
                outcome.new, outcome.updated = save_entries(outcome.source_id, outcome.entries, now)
        source.update(**fields)
    outcome.save_seconds = time.monotonic() - started
    return outcome


def save_entries(source_id, entries, now):
    """Add the new ``entries`` (:class:`~.parsing.ParsedEntry`) of a source and update the
    changed ones; returns ``(new, updated)``. Two queries and two writes, whatever the count."""
    existing = {
        entry.guid: entry for entry in FeedEntry.objects.filter(
            source_id=source_id, guid__in=[e.guid for e in entries]
        )
    }  # fmt: skip
    new, changed = [], []
    for parsed in entries:
        values = {name: getattr(parsed, name) for name in ENTRY_FIELDS}
        entry = existing.get(parsed.guid)
        if entry is None:
            values["published_at"] = values["published_at"] or now
            new.append(
                FeedEntry(source_id=source_id, guid=parsed.guid, fetched_at=now, changed_at=now,
                          **values)
            )  # fmt: skip
            continue
        if values["published_at"] is None:  # keeps its place in the river
            values["published_at"] = entry.published_at
        if any(getattr(entry, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(entry, name, value)
            entry.changed_at = now
            changed.append(entry)
    # A concurrent run may have added the same entry a moment ago: keep its row.
    FeedEntry.objects.bulk_create(new, ignore_conflicts=True)
    FeedEntry.objects.bulk_update(changed, [*ENTRY_FIELDS, "changed_at"])
    return len(new), len(changed)


def prune(days):
    """Delete the entries published more than ``days`` days ago; returns how many."""
    deleted, _per_model = FeedEntry.objects.filter(
        published_at__lt=timezone.now() - timedelta(days=days)
    ).delete()
    return deleted
