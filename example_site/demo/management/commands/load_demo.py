from django.core.management.base import BaseCommand
from django.db import transaction

from demo.content import aggregator, broadcasts, load_all


class Command(BaseCommand):
    help = "Load the demo content. Safe to run again: nothing is created twice."

    def handle(self, *args, **options):
        with transaction.atomic():
            load_all(lambda line: self.stdout.write(line))
            aggregator.load(lambda line: self.stdout.write(line))
            broadcasts.load(lambda line: self.stdout.write(line))
        self.stdout.write(self.style.SUCCESS("Demo content is loaded."))
