"""Contact import from CSV and XLSX files: read, map columns, plan (per-row errors), import.

The admin's import screens and ``manage.py import_contacts`` both go through
:func:`read_table`, :func:`guess_mapping`, :func:`plan_import` and :func:`run_import`. Planning
reads the existing numbers once; importing writes with ``bulk_create`` in one transaction, so
ten thousand rows take seconds, not minutes.
"""

import csv
import io
import logging
import re
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.models import ModelLogEntry

from . import phones
from .conf import get_setting
from .models import Contact, ContactGroup

logger = logging.getLogger(__name__)

# The fields a column can be mapped to: (name, label, required).
FIELDS = [
    ("name", _("Name"), True),
    ("phone", _("Phone number"), True),
    ("language", _("Language"), False),
    ("groups", _("Groups"), False),
]

# Column names people use for each field, compared without case, spaces or punctuation.
HEADER_WORDS = {
    "name": {"nama", "name", "namalengkap", "fullname", "nama_lengkap"},
    "phone": {
        "nomor", "nohp", "hp", "phone", "phonenumber", "telepon", "telp", "notelp", "notelepon",
        "nomorhp", "nomortelepon", "mobile", "handphone", "ponsel", "wa", "whatsapp", "number",
    },
    "language": {"bahasa", "language", "lang"},
    "groups": {"grup", "group", "groups", "kelompok", "kategori"},
}  # fmt: skip

LANGUAGE_WORDS = {
    Contact.Language.ENGLISH: {"en", "eng", "english", "inggris", "bahasainggris"},
    Contact.Language.INDONESIAN: {"id", "ind", "indonesia", "indonesian", "bahasaindonesia"},
}

# Consent sources that prove the number too: such contacts arrive verified.
VERIFYING_CONSENT_SOURCES = {Contact.ConsentSource.SMS_KEYWORD}


class ImportFileError(Exception):
    """The file cannot be read as a table; the message says why."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass
class RowError:
    row: int  # as the spreadsheet numbers it: the header is row 1
    reason: str


@dataclass
class ImportPlan:
    new: list = field(default_factory=list)  # dicts: phone, name, language, groups
    updates: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    @property
    def valid_count(self):
        return len(self.new) + len(self.updates)


def _squash(text):
    return re.sub(r"[\W_]+", "", str(text or "").lower())


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        # Excel stores 6281234567890 typed in a cell as a float.
        value = int(value)
    return str(value).strip()


def read_table(fileobj, filename):
    """Return ``(headers, rows)`` of the CSV or XLSX file, rows as lists of text.

    Raises ``ImportFileError`` for a file that is not a readable table or has too many rows.
    """
    max_rows = get_setting("IMPORT_MAX_ROWS")
    if filename.lower().endswith(".xlsx"):
        table = _read_xlsx(fileobj, max_rows)
    else:
        table = _read_csv(fileobj, max_rows)
    table = [row for row in table if any(row)]
    if not table:
        raise ImportFileError(gettext("The file is empty."))
    if len(table) - 1 > max_rows:
        raise ImportFileError(
            gettext("The file has more than %(max)d rows; split it into smaller files.")
            % {"max": max_rows}
        )
    headers, rows = table[0], table[1:]
    return headers, rows


def _read_csv(fileobj, max_rows):
    data = fileobj.read()
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            data = data.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows
    data = data.lstrip("\ufeff")
    try:
        dialect = csv.Sniffer().sniff(data[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        return [
            [_cell_text(cell) for cell in row] for row in csv.reader(io.StringIO(data), dialect)
        ]
    except csv.Error as error:
        raise ImportFileError(
            gettext("The CSV file cannot be read: %(error)s") % {"error": error}
        ) from error


def _read_xlsx(fileobj, max_rows):
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(fileobj, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not XLSX
        raise ImportFileError(gettext("The file is not a readable XLSX workbook.")) from error
    try:
        rows = []
        for values in workbook.active.iter_rows(values_only=True):
            rows.append([_cell_text(value) for value in values])
            if len(rows) > max_rows + 1:
                break
        return rows
    finally:
        workbook.close()


def guess_mapping(headers):
    """Guess which column holds each field from the header row: ``{field: column index}``."""
    mapping = {}
    for index, header in enumerate(headers):
        word = _squash(header)
        for name, words in HEADER_WORDS.items():
            if name not in mapping and word in words:
                mapping[name] = index
    return mapping


def _language(text):
    word = _squash(text)
    for language, words in LANGUAGE_WORDS.items():
        if word in words:
            return language
    return Contact.Language.INDONESIAN


def _cell(row, mapping, name):
    index = mapping.get(name)
    if index is None or index >= len(row):
        return ""
    return row[index]


def plan_import(rows, mapping, *, update_existing=False, region=None):
    """Check every row and sort it into new contacts, updates and errors (with row numbers)."""
    existing = set(Contact.objects.values_list("phone", flat=True))
    plan = ImportPlan()
    first_row_of = {}
    for row_number, row in enumerate(rows, start=2):
        name = _cell(row, mapping, "name")
        raw_phone = _cell(row, mapping, "phone")
        if not name:
            plan.errors.append(RowError(row_number, gettext("The name is missing.")))
            continue
        try:
            phone = phones.normalise(raw_phone, region, mobile_only=True)
        except ValidationError as error:
            plan.errors.append(RowError(row_number, error.messages[0]))
            continue
        if phone in first_row_of:
            plan.errors.append(
                RowError(
                    row_number,
                    gettext("Same number as row %(row)d of the file.")
                    % {"row": first_row_of[phone]},
                )
            )
            continue
        first_row_of[phone] = row_number
        record = {
            "row": row_number,
            "phone": phone,
            "name": name[:255],
            "language": _language(_cell(row, mapping, "language")),
            "groups": [
                group.strip()[:100]
                for group in re.split(r"[,;]", _cell(row, mapping, "groups"))
                if group.strip()
            ],
        }
        if phone not in existing:
            plan.new.append(record)
        elif update_existing:
            plan.updates.append(record)
        else:
            plan.errors.append(RowError(row_number, gettext("Already a contact.")))
    return plan


@dataclass
class ImportResult:
    created: int
    updated: int


def _groups_by_name(plan, extra_group):
    names = {name for record in plan.new + plan.updates for name in record["groups"]}
    groups = {group.name: group for group in ContactGroup.objects.filter(name__in=names)}
    missing = [ContactGroup(name=name) for name in sorted(names - set(groups))]
    ContactGroup.objects.bulk_create(missing)
    groups.update(
        (group.name, group)
        for group in ContactGroup.objects.filter(name__in=[g.name for g in missing])
    )
    return lambda record: (
        {groups[name].pk for name in record["groups"]}
        | ({extra_group.pk} if extra_group else set())
    )


def run_import(plan, *, consent_source=Contact.ConsentSource.IMPORT, group=None, user=None,
               note=""):  # fmt: skip
    """Write the plan's contacts in one transaction; returns how many were created and updated.

    New contacts are unverified unless ``consent_source`` proves the number too (an SMS
    keyword); those get an "imported" entry in the audit log, as every move to verified does.
    (Unverified contacts record the import in their consent fields, which keeps a 10,000-row
    import fast.)
    """
    status = (
        Contact.Status.VERIFIED
        if consent_source in VERIFYING_CONSENT_SOURCES
        else Contact.Status.UNVERIFIED
    )
    now = timezone.now()
    through = Contact.groups.through
    with transaction.atomic():
        group_ids_for = _groups_by_name(plan, group)
        created = Contact.objects.bulk_create(
            [
                Contact(
                    name=record["name"],
                    phone=record["phone"],
                    language=record["language"],
                    status=status,
                    consent_source=consent_source,
                    consent_recorded_by=user,
                    consent_note=note,
                )
                for record in plan.new
            ],
            batch_size=1000,
        )
        if created and created[0].pk is None:  # a database that returns no ids
            by_phone = dict(
                Contact.objects.filter(phone__in=[c.phone for c in created]).values_list(
                    "phone", "pk"
                )
            )
            for contact in created:
                contact.pk = by_phone[contact.phone]
        links = [
            through(contact_id=contact.pk, contactgroup_id=group_id)
            for contact, record in zip(created, plan.new, strict=True)
            for group_id in group_ids_for(record)
        ]

        updated = _apply_updates(plan.updates, group_ids_for, links)
        through.objects.bulk_create(links, batch_size=1000, ignore_conflicts=True)
        if status == Contact.Status.VERIFIED:
            _log_imported(created, status, consent_source, user, now)
    logger.info("Imported %d contacts, updated %d", len(created), updated)
    return ImportResult(created=len(created), updated=updated)


def _apply_updates(records, group_ids_for, links):
    """Update name and language where they differ; add groups. Returns the contacts matched."""
    if not records:
        return 0
    through = Contact.groups.through
    by_phone = {record["phone"]: record for record in records}
    contacts = list(Contact.objects.filter(phone__in=list(by_phone)))
    changed = []
    for contact in contacts:
        record = by_phone[contact.phone]
        if (contact.name, contact.language) != (record["name"], record["language"]):
            contact.name = record["name"]
            contact.language = record["language"]
            changed.append(contact)
        links.extend(
            through(contact_id=contact.pk, contactgroup_id=group_id)
            for group_id in group_ids_for(record)
        )
    _update_names_and_languages(changed)
    return len(contacts)


def _update_names_and_languages(contacts):
    """One prepared UPDATE run for all ``contacts``: bulk_update's CASE per row is far slower."""
    if not contacts:
        return
    quote = connection.ops.quote_name
    meta = Contact._meta
    columns = [meta.get_field(name).column for name in ("name", "language", "updated_at")]
    # Only quoted identifiers from the model go into the text; the values are parameters.
    sql = "UPDATE {} SET {} = %s, {} = %s, {} = %s WHERE {} = %s".format(  # noqa: S608
        quote(meta.db_table), *map(quote, columns), quote(meta.pk.column)
    )
    updated_at = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(c.name, c.language, updated_at, c.pk) for c in contacts])


def _log_imported(contacts, status, consent_source, user, when):
    content_type = ContentType.objects.get_for_model(Contact)
    ModelLogEntry.objects.bulk_create(
        [
            ModelLogEntry(
                content_type=content_type,
                object_id=str(contact.pk),
                label=contact.name[:255],
                action="wagtail_grantee_sms.imported",
                data={"from": "", "to": status, "via": "import", "reason": consent_source},
                timestamp=when,
                user=user,
            )
            for contact in contacts
        ],
        batch_size=1000,
    )
