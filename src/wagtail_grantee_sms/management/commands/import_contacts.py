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
            "--create-groups",
            action="store_true",
            help="Create the groups that the file names and that do not exist yet.",
        )
        parser.add_argument(
            "--verified",
            action="store_true",
            help="Import the new contacts as verified: only when each of them proved the number "
            "and agreed to receive SMS (for example by sending a keyword from it).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the rows, import nothing."
        )

    def handle(self, *args, file, group, consent, update, create_groups, verified, dry_run,
               **options):  # fmt: skip
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
            self.stdout.write(
                f"Row {error.row} ({error.name}, {error.masked_phone}): {error.reason}"
            )
        summary = (
            f"{len(plan.new)} new, {len(plan.updates)} to update, {len(plan.errors)} rows skipped"
        )
        if plan.new_groups:
            summary += f"; groups to create: {', '.join(plan.new_groups)}"
        if dry_run:
            self.stdout.write(f"Dry run: {summary}. Nothing imported.")
            return
        target_group = ContactGroup.objects.get_or_create(name=group)[0] if group else None
        try:
            result = importing.run_import(
                plan,
                consent_source=consent,
                verified=verified,
                create_groups=create_groups,
                group=target_group,
                note=f"Imported from {file.name}",
            )
        except importing.ImportNotAllowed as error:
            raise CommandError(f"{error.message} (--create-groups)") from error
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.created} contacts imported, {result.updated} updated, "
                f"{len(plan.errors)} rows skipped."
            )
        )
