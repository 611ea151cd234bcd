from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ...aggregator.opml import OPMLError, import_opml


class Command(BaseCommand):
    help = "Add the feeds of an OPML file to the aggregator's sources (known ones are skipped)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="An OPML file (as feed readers export).")

    def handle(self, *args, file, **options):
        try:
            result = import_opml(file.read_bytes())
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from error
        except OPMLError as error:
            raise CommandError(str(error)) from error
        for source in result.added:
            self.stdout.write(f"Added [{source.pk}] {source.name}")
        for title, reason in result.skipped:
            self.stdout.write(f"Skipped {title}: {reason}")
        self.stdout.write(self.style.SUCCESS(result.describe()))
