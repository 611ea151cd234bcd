"""Contact import from CSV and XLSX files: read, map columns, plan (per-row errors), import.

The admin's import screens and ``manage.py import_contacts`` both go through
:func:`read_table`, :func:`guess_mapping`, :func:`plan_import` and :func:`run_import`. Planning
reads the existing numbers once; importing writes with ``bulk_create`` in one transaction, so
ten thousand rows take seconds, not minutes.
"""

import csv
import io
import json
import logging
import re
import secrets
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

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
from .models.suppression import suppressed_among

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


class ImportFileError(Exception):
    """The file cannot be read as a table; the message says why."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class ImportNotAllowed(Exception):
    """The import asks for something the user may not do or did not confirm.

    ``option`` names the option concerned: "import_verified", "update_existing" or
    "create_groups" (the fields of the admin's form).
    """

    def __init__(self, message, option):
        super().__init__(message)
        self.message = message
        self.option = option


@dataclass
class RowError:
    row: int  # as the spreadsheet numbers it: the header is row 1
    reason: str
    name: str = ""
    masked_phone: str = ""  # the number as written in the file, all but 3 digits hidden


@dataclass
class ImportPlan:
    new: list = field(default_factory=list)  # dicts: phone, name, language, groups
    updates: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    new_groups: list = field(default_factory=list)  # group names the import would create

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

    Raises ``ImportFileError`` for a file that is not a readable table or is past a limit
    (rows, columns, cell length, unzipped size): such a file is refused as soon as the limit
    shows, before the rest of it is read.
    """
    limits = Limits.from_settings()
    if filename.lower().endswith(".xlsx"):
        table = _read_xlsx(fileobj, limits)
    else:
        table = _read_csv(fileobj, limits)
    table = [row for row in table if any(row)]
    if not table:
        raise ImportFileError(gettext("The file is empty."))
    if len(table) - 1 > limits.rows:
        raise limits.too_many_rows()
    headers, rows = table[0], table[1:]
    if not rows:
        raise ImportFileError(
            gettext("The file has no contacts: only one row, which should name the columns.")
        )
    return headers, rows


@dataclass
class Limits:
    rows: int
    columns: int
    cell_length: int
    unzipped_size: int

    @classmethod
    def from_settings(cls):
        return cls(
            rows=get_setting("IMPORT_MAX_ROWS"),
            columns=get_setting("IMPORT_MAX_COLUMNS"),
            cell_length=get_setting("IMPORT_MAX_CELL_LENGTH"),
            unzipped_size=get_setting("IMPORT_MAX_UNZIPPED_SIZE"),
        )

    def too_many_rows(self):
        return ImportFileError(
            gettext("The file has more than %(max)d rows; split it into smaller files.")
            % {"max": self.rows}
        )

    def too_many_columns(self):
        return ImportFileError(
            gettext(
                "The file has more than %(max)d columns. Keep only the columns to import "
                "(name, number, language, groups) and upload it again."
            )
            % {"max": self.columns}
        )

    def check_row(self, row, row_number):
        if len(row) > self.columns:
            raise self.too_many_columns()
        for cell in row:
            if len(cell) > self.cell_length:
                raise ImportFileError(
                    gettext(
                        "Row %(row)d has a cell longer than %(max)d characters; this is not "
                        "a list of contacts."
                    )
                    % {"row": row_number, "max": self.cell_length}
                )
        return row


def _trimmed(row):
    """``row`` without its empty cells at the end (spreadsheets often save a few)."""
    while row and not row[-1]:
        row.pop()
    return row


# Delimiters a contacts CSV uses; the one of the header line is taken.
CSV_DELIMITERS = ",;\t|"


def _guess_delimiter(text):
    """The delimiter of the first line: the candidate it holds most of (a comma if none).

    Used instead of ``csv.Sniffer``, whose regular expressions a crafted file can keep busy
    for seconds; this looks at one line and counts.
    """
    first_line = text[: text.find("\n")] if "\n" in text else text
    counts = {delimiter: first_line.count(delimiter) for delimiter in CSV_DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _read_csv(fileobj, limits):
    data = fileobj.read()
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            data = data.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows
    data = data.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(data), delimiter=_guess_delimiter(data[:65536]))
    rows = []
    try:
        for row_number, row in enumerate(reader, start=1):
            rows.append(limits.check_row(_trimmed([_cell_text(cell) for cell in row]), row_number))
            if len(rows) > limits.rows + 1:
                raise limits.too_many_rows()
    except csv.Error as error:
        raise ImportFileError(
            gettext("The CSV file cannot be read: %(error)s") % {"error": error}
        ) from error
    return rows


# The declared size of a worksheet: <dimension ref="A1:D120"/>.
DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]+)?\d*:?([A-Z]+)?(\d+)?"')


def _column_number(letters):
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _check_xlsx_archive(fileobj, limits):
    """Refuse a workbook whose unzipped parts or declared sheet size are past the limits.

    Looks at the zip directory and the first bytes of each sheet only, so a workbook built to
    blow up (a huge declared width, a "zip bomb" of shared strings) is refused before openpyxl
    reads it. The sizes checked are the ones the zip declares, which is all ``zipfile`` will
    ever unpack.
    """
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ImportFileError(gettext("The file is not a readable XLSX workbook.")) from error
    with archive:
        infos = archive.infolist()
        if sum(info.file_size for info in infos) > limits.unzipped_size:
            raise ImportFileError(
                gettext(
                    "The workbook is larger than %(size)d MB once unpacked; save only the "
                    "contacts in a new file, or as CSV."
                )
                % {"size": limits.unzipped_size // 2**20}
            )
        declared_cells = 0
        for info in infos:
            if not info.filename.startswith("xl/worksheets/") or info.is_dir():
                continue
            try:
                with archive.open(info) as sheet:
                    head = sheet.read(4096)
            except (zipfile.BadZipFile, OSError, RuntimeError) as error:
                raise ImportFileError(
                    gettext("The file is not a readable XLSX workbook.")
                ) from error
            match = DIMENSION.search(head)
            if not match:
                continue
            last_column = match.group(2) or match.group(1) or "A"
            columns = _column_number(last_column.decode())
            if columns > limits.columns:
                raise limits.too_many_columns()
            rows = int(match.group(3) or 1)
            if rows > limits.rows + 1:
                raise limits.too_many_rows()
            declared_cells += rows * columns
        # openpyxl reads every shared string before the first row (about 30 µs each), so
        # there may be no more of them than the sheets have cells, nor than a table within
        # the limits of rows and of STRINGS_PER_ROW columns of text would need.
        max_strings = (limits.rows + 1) * STRINGS_PER_ROW
        if declared_cells:
            max_strings = min(max_strings, declared_cells)
        if _count_shared_strings(archive, infos, max_strings) > max_strings:
            raise ImportFileError(
                gettext("The workbook holds more text than its sheet can show; it is refused.")
            )
    fileobj.seek(0)


# See _check_xlsx_archive: a 20,000-row table of 10 text columns is the most shared strings
# a workbook may hold.
STRINGS_PER_ROW = 10
SHARED_STRING = re.compile(rb"<(?:\w+:)?si[\s>/]")


def _count_shared_strings(archive, infos, stop_after):
    """How many shared strings the workbook holds (counting stops past ``stop_after``)."""
    count = 0
    for info in infos:
        if not info.filename.lower().endswith("sharedstrings.xml"):
            continue
        tail = b""
        with archive.open(info) as part:
            while chunk := part.read(1 << 20):
                data = tail + chunk
                # A tag that starts in the last bytes is counted with the next chunk.
                end = max(len(data) - 8, 0)
                count += sum(1 for match in SHARED_STRING.finditer(data) if match.start() < end)
                tail = data[end:]
                if count > stop_after:
                    return count
        count += len(SHARED_STRING.findall(tail))
    return count


def _read_xlsx(fileobj, limits):
    from openpyxl import load_workbook

    _check_xlsx_archive(fileobj, limits)
    try:
        workbook = load_workbook(fileobj, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not XLSX
        raise ImportFileError(gettext("The file is not a readable XLSX workbook.")) from error
    try:
        rows = []
        # One column past the limit is read, to tell a sheet that is too wide.
        for row_number, values in enumerate(
            workbook.active.iter_rows(values_only=True, max_col=limits.columns + 1), start=1
        ):
            row = _trimmed([_cell_text(value) for value in values])
            rows.append(limits.check_row(row, row_number))
            if len(rows) > limits.rows + 1:
                raise limits.too_many_rows()
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
    """The language a cell names, "" for an empty cell, ``None`` for a word not understood."""
    word = _squash(text)
    if not word:
        return ""
    for language, words in LANGUAGE_WORDS.items():
        if word in words:
            return language
    return None


def _cell(row, mapping, name):
    index = mapping.get(name)
    if index is None or index >= len(row):
        return ""
    return row[index]


def plan_import(rows, mapping, *, update_existing=False, region=None, reveal_existing=True):
    """Check every row and sort it into new contacts, updates and errors (with row numbers).

    Numbers on the suppression list are refused. With ``reveal_existing=False`` (a user who
    may not see full numbers) a number that is already a contact and a suppressed number get
    the same reason, so the preview does not confirm that someone else's number is known.
    """
    existing = set(Contact.objects.values_list("phone", flat=True))
    plan = ImportPlan()
    first_row_of = {}
    records = []
    for row_number, row in enumerate(rows, start=2):
        name = _cell(row, mapping, "name")
        raw_phone = _cell(row, mapping, "phone")

        def error(reason, row_number=row_number, name=name, raw_phone=raw_phone):
            plan.errors.append(RowError(row_number, reason, name[:255], phones.mask(raw_phone)))

        if not name:
            error(gettext("The name is missing."))
            continue
        try:
            phone = phones.normalise(raw_phone, region, mobile_only=True)
        except ValidationError as invalid:
            # Not the message of phones.normalise, which repeats the number in full.
            error(
                gettext("Not a mobile number: it cannot receive SMS.")
                if invalid.code == "not_mobile"
                else gettext("Missing or not a valid phone number.")
            )
            continue
        language = _language(_cell(row, mapping, "language"))
        if language is None:
            error(
                gettext("Unknown language “%(value)s”: write Indonesian or English.")
                % {"value": _cell(row, mapping, "language")[:50]}
            )
            continue
        if phone in first_row_of:
            error(gettext("Same number as row %(row)d of the file.") % {"row": first_row_of[phone]})
            continue
        first_row_of[phone] = row_number
        records.append(
            {
                "row": row_number,
                "phone": phone,
                "name": name[:255],
                "language": language or Contact.Language.INDONESIAN,
                "groups": [
                    group.strip()[:100]
                    for group in re.split(r"[,;]", _cell(row, mapping, "groups"))
                    if group.strip()
                ],
            }
        )
    suppressed = suppressed_among([r["phone"] for r in records if r["phone"] not in existing])
    hidden_reason = gettext(
        "This number cannot be imported: it is already a contact, or it asked not to receive SMS."
    )
    for record in records:
        reason = None
        if record["phone"] in suppressed:
            reason = (
                gettext(
                    "This number asked not to receive SMS. Only the person can undo that, by "
                    "sending an opt-in keyword such as START."
                )
                if reveal_existing
                else hidden_reason
            )
        elif record["phone"] not in existing:
            plan.new.append(record)
        elif update_existing:
            plan.updates.append(record)
        else:
            reason = gettext("Already a contact.") if reveal_existing else hidden_reason
        if reason:
            plan.errors.append(
                RowError(record["row"], reason, record["name"], phones.mask(record["phone"]))
            )
    plan.errors.sort(key=lambda row_error: row_error.row)
    names = {name for record in plan.new + plan.updates for name in record["groups"]}
    known = set(ContactGroup.objects.filter(name__in=names).values_list("name", flat=True))
    plan.new_groups = sorted(names - known)
    return plan


@dataclass
class ImportResult:
    created: int
    updated: int


def _groups_by_name(plan, extra_group):
    names = {name for record in plan.new + plan.updates for name in record["groups"]}
    ContactGroup.objects.bulk_create(
        [ContactGroup(name=name) for name in plan.new_groups], ignore_conflicts=True
    )
    groups = {group.name: group for group in ContactGroup.objects.filter(name__in=names)}
    return lambda record: (
        {groups[name].pk for name in record["groups"]}
        | ({extra_group.pk} if extra_group else set())
    )


def check_allowed(plan, *, user, verified=False, create_groups=False):
    """Raise ``ImportNotAllowed`` unless ``user`` may run ``plan`` as asked.

    Arriving verified needs the ``verify_contact`` permission, updating contacts needs
    ``change_contact``, and groups the file names that do not exist yet are created only when
    ``create_groups`` confirms it. ``user=None`` is the management command (the operator).
    """
    if user is not None and verified and not user.has_perm("wagtail_grantee_sms.verify_contact"):
        raise ImportNotAllowed(
            gettext("You may not import contacts as verified."), "import_verified"
        )
    if (
        user is not None
        and plan.updates
        and not user.has_perm("wagtail_grantee_sms.change_contact")
    ):
        raise ImportNotAllowed(gettext("You may not update existing contacts."), "update_existing")
    if plan.new_groups and not create_groups:
        raise ImportNotAllowed(
            gettext(
                "The file names groups that do not exist yet: %(groups)s. Confirm to create them."
            )
            % {"groups": ", ".join(plan.new_groups)},
            "create_groups",
        )


def run_import(plan, *, consent_source=Contact.ConsentSource.IMPORT, verified=False,
               create_groups=False, group=None, user=None, note=""):  # fmt: skip
    """Write the plan's contacts in one transaction; returns how many were created and updated.

    New contacts are unverified, with their consent (how, when, recorded by whom) on record.
    They arrive verified only when ``verified`` says so and ``user`` has ``verify_contact``
    (see :func:`check_allowed`); each of those gets an "imported" entry in the audit log, as
    every move to verified does. (Unverified contacts record the import in their consent
    fields, which keeps a 10,000-row import fast.)
    """
    check_allowed(plan, user=user, verified=verified, create_groups=create_groups)
    if not consent_source:
        # bulk_create skips Contact.save(), whose guard would refuse this.
        raise ImportNotAllowed(
            gettext("Say how these people gave their consent."), "consent_source"
        )
    status = Contact.Status.VERIFIED if verified else Contact.Status.UNVERIFIED
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
                    consent_given_at=now,
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


# -- uploads kept between the admin's steps (upload, map and check, import) ----------------

UPLOADS_DIR = Path(tempfile.gettempdir()) / "wagtail_grantee_sms_imports"
# An upload nobody finished importing is removed after this many seconds, when the same user
# uploads again or cancels, and whenever a contact is erased.
UPLOAD_MAX_AGE = 3600


def store_upload(table, user_id):
    """Keep the parsed ``table`` for ``user_id``'s next steps; returns its name.

    A user has one upload at a time: storing a new one removes the previous one.
    """
    UPLOADS_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    expired = time.time() - UPLOAD_MAX_AGE
    for old in UPLOADS_DIR.glob("*.json"):
        if old.name.startswith(f"{user_id}-") or old.stat().st_mtime < expired:
            old.unlink(missing_ok=True)
    name = f"{user_id}-{secrets.token_hex(16)}"
    path = UPLOADS_DIR / f"{name}.json"
    path.write_text(json.dumps(table))
    path.chmod(0o600)
    return name


def upload_path(name):
    if not re.fullmatch(r"\d+-[0-9a-f]{32}", name or ""):
        raise FileNotFoundError(name)
    return UPLOADS_DIR / f"{name}.json"


def load_upload(name):
    """The table stored as ``name``; ``FileNotFoundError`` once it was imported or removed."""
    path = upload_path(name)
    if path.stat().st_mtime < time.time() - UPLOAD_MAX_AGE:
        path.unlink(missing_ok=True)
        raise FileNotFoundError(name)
    return json.loads(path.read_text())


def discard_upload(name):
    upload_path(name).unlink(missing_ok=True)


def discard_all_uploads():
    """Remove every pending upload (they may hold the number of a contact being erased)."""
    for path in UPLOADS_DIR.glob("*.json"):
        path.unlink(missing_ok=True)
