from django.core.management.base import BaseCommand, CommandError

from ...aggregator import fetching


class Command(BaseCommand):
    help = (
        "Fetch the aggregator's feed sources that are due, and save their entries. "
        "The same work runs in the background every 15 minutes (a django-q2 schedule)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--source", nargs="+", type=int, metavar="ID", help="Fetch only these sources."
        )
        parser.add_argument(
            "--force", action="store_true", help="Fetch now, whatever the schedule and backoff."
        )
        parser.add_argument(
            "--prune",
            type=int,
            metavar="DAYS",
            help="Then delete the entries published more than DAYS days ago.",
        )

    def handle(self, *args, source=None, force=False, prune=None, **options):
        if prune is not None and prune < 1:
            raise CommandError("--prune takes a number of days of at least 1.")

        def report(outcome):
            line = f"[{outcome.source_id}] {outcome.describe()}"
            self.stdout.write(self.style.ERROR(line) if outcome.error else line)

        summary = fetching.run(source, force=force, on_outcome=report)
        self.stdout.write(self.style.SUCCESS(summary.describe()))
        if prune is not None:
            count = fetching.prune(prune)
            self.stdout.write(f"Pruned {count} entries older than {prune} days.")
