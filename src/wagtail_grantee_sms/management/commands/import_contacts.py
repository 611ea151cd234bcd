"""``manage.py import_contacts FILE``: the admin's contact import, from the command line."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from wagtail_grantee_sms import importing
from wagtail_grantee_sms.models import Contact, ContactGroup


class Command(BaseCommand):
    help = (
        "Import contacts from a CSV or XLSX file whose first row names the columns "
        "(nama/name, nomor/no hp/phone, bahasa/language, grup/group)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--group", help="Add every imported contact to this group.")
        parser.add_argument(
            "--consent",
            default=Contact.ConsentSource.IMPORT,
            choices=Contact.ConsentSource.values,
            help="How the contacts gave their consent (default: import).",
        )
        parser.add_argument(
            "--update", action="store_true", help="Update contacts that already exist."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the rows, import nothing."
        )

    def handle(self, *args, file, group, consent, update, dry_run, **options):
        try:
            with file.open("rb") as handle:
                headers, rows = importing.read_table(handle, file.name)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from error
        except importing.ImportFileError as error:
            raise CommandError(error.message) from error
        mapping = importing.guess_mapping(headers)
        missing = [name for name in ("name", "phone") if name not in mapping]
        if missing:
            raise CommandError(
                f"No column for {', '.join(missing)} in the header row: {', '.join(headers)}"
            )
        plan = importing.plan_import(rows, mapping, update_existing=update)
        for error in plan.errors:
            self.stdout.write(f"Row {error.row}: {error.reason}")
        summary = (
            f"{len(plan.new)} new, {len(plan.updates)} to update, {len(plan.errors)} rows skipped"
        )
        if dry_run:
            self.stdout.write(f"Dry run: {summary}. Nothing imported.")
            return
        target_group = ContactGroup.objects.get_or_create(name=group)[0] if group else None
        result = importing.run_import(
            plan, consent_source=consent, group=target_group, note=f"Imported from {file.name}"
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.created} contacts imported, {result.updated} updated, "
                f"{len(plan.errors)} rows skipped."
            )
        )
