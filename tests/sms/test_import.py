"""Importing contacts from CSV and XLSX, in the admin and with ``manage.py import_contacts``."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl import Workbook
from wagtail.models import ModelLogEntry

from wagtail_grantee_sms import importing
from wagtail_grantee_sms.models import Contact, ContactGroup

from .factories import ContactFactory, ContactGroupFactory, UserFactory

pytestmark = pytest.mark.django_db

CSV_WITH_PROBLEMS = (
    "Nama;No HP;Bahasa;Grup\n"
    "Ani Lubis;0812-3456-7890;Indonesia;Relawan\n"  # row 2: fine
    "Budi;12345;;\n"  # row 3: not a number
    "Citra;021 3190 1234;;\n"  # row 4: a landline
    "Dewi;+62 812 3456 7890;English;\n"  # row 5: same number as row 2
    "Eko;0857 1111 2222;inggris;Relawan, Donatur\n"  # row 6: fine
    "Fitri;0813 9999 0000;;\n"  # row 7: already a contact (see the tests)
    ";0813 5555 6666;;\n"  # row 8: no name
)


def upload(name, content):
    return SimpleUploadedFile(name, content)


def xlsx_bytes(rows):
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def plan_for(content, name="contacts.csv", **options):
    headers, rows = importing.read_table(io.BytesIO(content), name)
    return importing.plan_import(rows, importing.guess_mapping(headers), **options)


def test_each_bad_row_is_reported_with_its_row_number_and_reason():
    ContactFactory(name="Fitri", phone="+6281399990000")

    plan = plan_for(CSV_WITH_PROBLEMS.encode())

    reasons = {error.row: error.reason for error in plan.errors}
    assert sorted(reasons) == [3, 4, 5, 7, 8]
    assert reasons[3] == "Missing or not a valid phone number."
    assert reasons[4] == "Not a mobile number: it cannot receive SMS."
    assert reasons[5] == "Same number as row 2 of the file."
    assert reasons[7] == "Already a contact."
    assert reasons[8] == "The name is missing."
    assert [record["phone"] for record in plan.new] == ["+6281234567890", "+6285711112222"]


def test_valid_rows_are_imported_unverified_with_their_groups_and_language():
    ContactFactory(name="Fitri", phone="+6281399990000")

    result = importing.run_import(plan_for(CSV_WITH_PROBLEMS.encode()), create_groups=True)

    assert (result.created, result.updated) == (2, 0)
    eko = Contact.objects.get(phone="+6285711112222")
    assert eko.status == Contact.Status.UNVERIFIED
    assert eko.language == Contact.Language.ENGLISH
    assert eko.consent_source == Contact.ConsentSource.IMPORT
    assert sorted(eko.groups.values_list("name", flat=True)) == ["Donatur", "Relawan"]


def test_existing_contacts_are_updated_only_when_asked():
    fitri = ContactFactory(name="Fitri Old", phone="+6281399990000")

    importing.run_import(plan_for(CSV_WITH_PROBLEMS.encode()), create_groups=True)
    fitri.refresh_from_db()
    assert fitri.name == "Fitri Old"

    before = fitri.updated_at
    result = importing.run_import(
        plan_for(CSV_WITH_PROBLEMS.encode(), update_existing=True), create_groups=True
    )
    fitri.refresh_from_db()
    assert fitri.name == "Fitri"
    assert fitri.updated_at > before
    assert result.updated == 3  # Fitri, and Ani and Eko from the first import


def test_consent_by_sms_keyword_alone_does_not_make_contacts_verified():
    importing.run_import(
        plan_for(b"name,phone\nAni,081234567890\n"),
        consent_source=Contact.ConsentSource.SMS_KEYWORD,
        user=UserFactory(permissions=["add_contact"]),
    )

    contact = Contact.objects.get()
    assert contact.status == Contact.Status.UNVERIFIED
    assert contact.consent_source == Contact.ConsentSource.SMS_KEYWORD
    assert contact.consent_given_at is not None


def test_importing_as_verified_needs_the_verify_contact_permission():
    with pytest.raises(importing.ImportNotAllowed):
        importing.run_import(
            plan_for(b"name,phone\nAni,081234567890\n"),
            verified=True,
            user=UserFactory(permissions=["add_contact"]),
        )
    assert not Contact.objects.exists()

    verifier = UserFactory(permissions=["add_contact", "verify_contact"])
    importing.run_import(
        plan_for(b"name,phone\nAni,081234567890\n"),
        consent_source=Contact.ConsentSource.SMS_KEYWORD,
        verified=True,
        user=verifier,
    )

    contact = Contact.objects.get()
    assert contact.status == Contact.Status.VERIFIED
    entry = ModelLogEntry.objects.for_instance(contact).get()
    assert entry.action == "wagtail_grantee_sms.imported"
    assert entry.user == verifier
    assert entry.data["reason"] == "sms_keyword"


def test_paper_form_consent_still_leaves_the_number_unverified():
    importing.run_import(
        plan_for(b"name,phone\nAni,081234567890\n"),
        consent_source=Contact.ConsentSource.PAPER_FORM,
    )

    assert Contact.objects.get().status == Contact.Status.UNVERIFIED


def test_csv_with_a_utf8_bom_and_tabs_is_read():
    content = "\ufeffnama\tnomor\nÄni Śari\t0812 3456 7890\n".encode()

    plan = plan_for(content)

    assert plan.new[0]["name"] == "Äni Śari"
    assert plan.new[0]["phone"] == "+6281234567890"


def test_xlsx_with_numbers_typed_as_numbers_is_read():
    content = xlsx_bytes([["Name", "Phone"], ["Ani", 6281234567890], ["Budi", "0857-1111-2222"]])

    plan = plan_for(content, name="contacts.xlsx")

    assert [r["phone"] for r in plan.new] == ["+6281234567890", "+6285711112222"]


def test_a_file_that_is_not_xlsx_is_refused_with_a_message():
    with pytest.raises(importing.ImportFileError, match="not a readable XLSX"):
        importing.read_table(io.BytesIO(b"not a zip"), "contacts.xlsx")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["Nama", "No HP"], {"name": 0, "phone": 1}),
        (["no. hp", "nama lengkap", "kelompok"], {"phone": 0, "name": 1, "groups": 2}),
        (["Full name", "Phone number", "Language"], {"name": 0, "phone": 1, "language": 2}),
    ],
)
def test_columns_are_guessed_from_indonesian_and_english_headers(headers, expected):
    assert importing.guess_mapping(headers) == expected


def test_a_file_with_too_many_rows_is_refused(settings):
    settings.WAGTAIL_GRANTEE_SMS = {"IMPORT_MAX_ROWS": 2}
    content = b"name,phone\n" + b"".join(f"A,08123456{n:04d}\n".encode() for n in range(3))

    with pytest.raises(importing.ImportFileError, match="more than 2 rows"):
        importing.read_table(io.BytesIO(content), "big.csv")


# The admin flow: upload, map columns, check, import.


def admin_url(name, **kwargs):
    return reverse(f"wagtailsnippets_wagtail_grantee_sms_contact:{name}", kwargs=kwargs)


@pytest.fixture
def importer(client):
    user = UserFactory(permissions=["add_contact", "change_contact", "view_full_phone"])
    client.force_login(user)
    return client


def mapping_form(**overrides):
    data = {"column_name": "0", "column_phone": "1", "column_language": "2",
            "column_groups": "3", "consent_source": "paper_form", "group": ""}  # fmt: skip
    data.update(overrides)
    return data


def test_upload_guesses_the_columns_then_preview_lists_errors_then_import(importer):
    ContactFactory(name="Fitri", phone="+6281399990000")
    group = ContactGroupFactory(name="Pelatihan 2012")

    response = importer.post(
        admin_url("import"), {"file": upload("kontak.csv", CSV_WITH_PROBLEMS.encode())}
    )
    assert response.status_code == 302
    mapping_url = response["Location"]
    page = importer.get(mapping_url).content.decode()
    assert re.search(r'<option value="1" selected>\s*No HP', page)

    preview = importer.post(mapping_url, mapping_form(action="preview", group=group.pk))
    content = preview.content.decode()
    assert "2 new contacts" in content
    assert "5 rows with a problem" in content
    assert "Same number as row 2 of the file." in content
    assert not Contact.objects.filter(name="Ani Lubis").exists()  # nothing written yet

    assert "Donatur, Relawan" in content  # the groups the import would create
    refused = importer.post(mapping_url, mapping_form(action="import", group=group.pk))
    assert refused.status_code == 200
    assert "Confirm to create them" in refused.content.decode()
    assert not Contact.objects.filter(name="Ani Lubis").exists()

    done = importer.post(
        mapping_url, mapping_form(action="import", group=group.pk, create_groups="on")
    )
    assert done.status_code == 302
    assert set(group.contacts.values_list("name", flat=True)) == {"Ani Lubis", "Eko"}
    ani = Contact.objects.get(name="Ani Lubis")
    assert ani.consent_source == Contact.ConsentSource.PAPER_FORM
    assert ani.consent_note == "Imported from kontak.csv"


def test_an_unreadable_upload_gets_a_message_not_an_error_page(importer):
    response = importer.post(admin_url("import"), {"file": upload("kontak.xlsx", b"garbage")})

    assert response.status_code == 200
    assert "not a readable XLSX" in response.content.decode()


def test_another_user_cannot_use_an_upload(importer, client):
    response = importer.post(admin_url("import"), {"file": upload("k.csv", b"name,phone\nA,0812")})
    mapping_url = response["Location"]

    client.force_login(UserFactory(permissions=["add_contact"]))
    assert client.get(mapping_url).status_code == 404


def test_importing_needs_the_add_contact_permission(client):
    client.force_login(UserFactory(permissions=["change_contact"]))

    response = client.post(admin_url("import"), {"file": upload("k.csv", b"name,phone\n")})

    assert response.status_code == 302  # Wagtail's "permission denied" redirect
    assert response["Location"] != admin_url("import")
    assert not Contact.objects.exists()


# The management command.


def test_command_dry_run_reports_rows_and_imports_nothing(tmp_path):
    path = tmp_path / "kontak.csv"
    path.write_text(CSV_WITH_PROBLEMS)
    out = io.StringIO()

    call_command("import_contacts", path, "--dry-run", stdout=out)

    assert "Row 3 (Budi, **345): Missing or not a valid phone number." in out.getvalue()
    assert "Dry run: 3 new, 0 to update, 4 rows skipped" in out.getvalue()
    assert not Contact.objects.exists()


def test_command_imports_into_a_group_with_a_consent_source(tmp_path):
    path = tmp_path / "kontak.csv"
    path.write_text(CSV_WITH_PROBLEMS)

    call_command("import_contacts", path, "--group", "Relawan 2012", "--consent", "in_person",
                 "--create-groups", stdout=io.StringIO())  # fmt: skip

    group = ContactGroup.objects.get(name="Relawan 2012")
    assert group.contacts.count() == 3
    assert set(Contact.objects.values_list("consent_source", flat=True)) == {"in_person"}


def test_command_refuses_to_create_unknown_groups_unless_asked(tmp_path):
    from django.core.management.base import CommandError

    path = tmp_path / "kontak.csv"
    path.write_text("nama,no hp,grup\nAni,0812 3456 7890,Relawan\n")

    with pytest.raises(CommandError, match="groups that do not exist yet: Relawan"):
        call_command("import_contacts", path, stdout=io.StringIO())
    assert not Contact.objects.exists()


def test_command_imports_verified_only_with_the_verified_flag(tmp_path):
    path = tmp_path / "kontak.csv"
    path.write_text("nama,no hp\nAni,0812 3456 7890\n")

    call_command("import_contacts", path, "--consent", "sms_keyword", stdout=io.StringIO())
    assert Contact.objects.get().status == Contact.Status.UNVERIFIED

    Contact.objects.all().delete()
    call_command("import_contacts", path, "--consent", "sms_keyword", "--verified",
                 stdout=io.StringIO())  # fmt: skip
    assert Contact.objects.get().status == Contact.Status.VERIFIED


def test_an_import_without_a_consent_source_is_refused():
    with pytest.raises(importing.ImportNotAllowed, match="consent"):
        importing.run_import(plan_for(b"name,phone\nAni,081234567890\n"), consent_source="")
    assert not Contact.objects.exists()
