from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Prepare the demo in one process (Django starts once): migrate, load the demo "
        "content, create the admin account. Safe to run again."
    )

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        call_command("migrate", interactive=False, verbosity=verbosity, stdout=self.stdout)
        call_command("load_demo", verbosity=verbosity, stdout=self.stdout)
        call_command("ensure_demo_admin", verbosity=verbosity, stdout=self.stdout)
