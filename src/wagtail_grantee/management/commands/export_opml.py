from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ...aggregator.opml import export_opml


class Command(BaseCommand):
    help = "Write the aggregator's sources as an OPML file (to standard output by default)."

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, metavar="FILE", help="Write to FILE.")

    def handle(self, *args, output=None, **options):
        document = export_opml()
        if output is None:
            self.stdout.write(document.decode())
            return
        try:
            output.write_bytes(document)
        except OSError as error:
            raise CommandError(f"Cannot write {output}: {error.strerror}") from error
        self.stderr.write(f"Wrote {output}.")
