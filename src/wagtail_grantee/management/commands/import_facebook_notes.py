"""``manage.py import_facebook_notes ARCHIVE --parent PAGE``: the admin's Facebook import,
from the command line."""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from wagtail_grantee.importers.archives import ArchiveError
from wagtail_grantee.importers.base import SKIPPED, find_section
from wagtail_grantee.importers.facebook import import_archive


class Command(BaseCommand):
    help = (
        "Import the notes of a Facebook archive (Download Your Information, JSON format) "
        "as posts of a section: drafts, unless --publish."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="The .zip Facebook gives, or the folder it unpacks to.")
        parser.add_argument(
            "--parent",
            required=True,
            help="The section: its page id or its URL path (e.g. /berita/).",
        )
        parser.add_argument(
            "--publish", action="store_true", help="Publish the posts, at their original dates."
        )
        parser.add_argument(
            "--update", action="store_true", help="Update posts whose note changed."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would happen; write nothing."
        )
        parser.add_argument("--report", help="Write a CSV report, one row per note, to this file.")

    def handle(self, *args, archive, parent, publish, update, dry_run, report, **options):
        try:
            section = find_section(parent)
            with self.progress_bar() as bar:
                result = import_archive(
                    archive,
                    section,
                    publish=publish,
                    update=update,
                    dry_run=dry_run,
                    progress=bar.progress if bar else None,
                )
        except ArchiveError as error:
            raise CommandError(error.message) from None
        except DatabaseError as error:
            raise CommandError(f"The import failed and was undone: {error}") from None
        for row in result.rows:
            if row.action == SKIPPED or row.reason:
                self.stdout.write(f"{row.action}: {row.title} ({row.key}): {row.reason}")
        prefix = "Dry run, nothing written: " if dry_run else ""
        self.stdout.write(self.style.SUCCESS(prefix + result.summary()))
        if report:
            try:
                with open(report, "w", newline="", encoding="utf-8") as file:
                    result.write_csv(file)
            except OSError as error:
                raise CommandError(f"Cannot write the report {report}: {error.strerror}") from None

    def progress_bar(self):
        return ProgressBar(enabled=self.stdout.isatty() and sys.stderr.isatty())


class ProgressBar:
    """tqdm's bar on a terminal; nothing when the output goes to a file or a pipe."""

    def __init__(self, enabled):
        self.enabled = enabled
        self.bar = None

    def __enter__(self):
        return self if self.enabled else None

    def __exit__(self, *exc_info):
        if self.bar is not None:
            self.bar.close()

    def progress(self, done, total):
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="note")
        self.bar.update(done - self.bar.n)
