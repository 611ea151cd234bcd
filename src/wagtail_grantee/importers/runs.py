"""Imports started in the admin: recorded as an :class:`ImportRun`, run in the background.

The uploaded archive waits in a private temporary folder (the worker must share it with the
web server) and is deleted when its import has run. Progress goes through Django's cache,
because the import's own transaction hides its writes until it ends; a site whose cache is
not shared with its workers sees the bar jump from waiting to done.
"""

import logging
import secrets
import tempfile
import time
from pathlib import Path

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import tasks
from ..models import ImportRun
from .archives import ArchiveError
from .base import ImportReport
from .facebook import import_archive

logger = logging.getLogger(__name__)

UPLOADS_DIR = Path(tempfile.gettempdir()) / "wagtail_grantee_imports"
UPLOAD_MAX_AGE = 24 * 3600
# The rows of a report kept with its import: those its page lists (the counts are complete).
REPORT_ROWS_KEPT = 1000
SOURCE_FACEBOOK = "facebook"


def store_upload(upload):
    """Copy an uploaded archive to the private uploads folder; return its path."""
    UPLOADS_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    expired = time.time() - UPLOAD_MAX_AGE
    for old in UPLOADS_DIR.glob("*.zip"):  # uploads nobody went on to import
        if old.stat().st_mtime < expired:
            old.unlink(missing_ok=True)
    path = UPLOADS_DIR / f"{secrets.token_hex(16)}.zip"
    with path.open("wb") as file:
        for chunk in upload.chunks():
            file.write(chunk)
    return path


def upload_path(name):
    """The path of a stored upload from its file name, or ``None`` (never outside the folder)."""
    if not name or "/" in name or "\\" in name or not name.endswith(".zip"):
        return None
    path = UPLOADS_DIR / name
    return path if path.is_file() else None


def start_import(path, archive_name, section, user, *, publish, update):
    """Record an import of the stored upload at ``path`` and queue it."""
    run = ImportRun.objects.create(
        source=SOURCE_FACEBOOK,
        archive_name=archive_name[:255],
        archive_path=str(path),
        parent=section,
        user=user,
        publish=publish,
        update=update,
    )
    tasks.enqueue_import(run.pk)
    return run


def progress_key(pk):
    return f"wagtail_grantee:import-progress:{pk}"


def progress(run):
    done, total = cache.get(progress_key(run.pk)) or (0, 0)
    if run.status == ImportRun.Status.DONE:
        done = total = run.created + run.updated + run.unchanged + run.skipped
    return {"status": run.status, "done": done, "total": total}


def run_import(pk):
    """Run the queued import ``pk``; running it again does nothing."""
    claimed = ImportRun.objects.filter(pk=pk, status=ImportRun.Status.QUEUED).update(
        status=ImportRun.Status.RUNNING
    )
    if not claimed:
        return None
    run = ImportRun.objects.select_related("parent", "user").get(pk=pk)

    def on_progress(done, total):
        if done == total or done % 10 == 0:
            cache.set(progress_key(pk), (done, total), 3600)

    try:
        if run.parent is None:
            raise ArchiveError(_("The section was deleted before the import ran."))
        report = import_archive(
            run.archive_path,
            run.parent,
            user=run.user,
            publish=run.publish,
            update=run.update,
            label=run.archive_name,
            progress=on_progress,
        )
    except ArchiveError as error:
        finish(run, ImportRun.Status.FAILED, error=error.message)
    except Exception:
        logger.exception("Import %s failed", pk)
        finish(
            run,
            ImportRun.Status.FAILED,
            error=_("The import failed unexpectedly and was undone; nothing was imported."),
        )
    else:
        finish(run, ImportRun.Status.DONE, report=report)
    return run.status


def finish(run, status, error="", report=None):
    Path(run.archive_path).unlink(missing_ok=True)
    run.archive_path = ""
    run.status = status
    run.error = error
    run.finished_at = timezone.now()
    if report is not None:
        counts = report.counts
        run.created, run.updated = counts["created"], counts["updated"]
        run.unchanged, run.skipped = counts["unchanged"], counts["skipped"]
        run.images_added = report.images_added
        run.report = report.as_dict(max_rows=REPORT_ROWS_KEPT)
    with transaction.atomic():
        run.save()


def report_of(run):
    return ImportReport.from_dict(run.report or {})
