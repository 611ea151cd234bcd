"""A small file cannot bring the import down: each crafted file is refused with a message.

How long each refusal takes is printed by ``bench/bench_import_limits.py`` (under a second
each); these tests check the refusal and its message.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from wagtail_grantee_sms import importing

from . import hostile_files
from .factories import UserFactory


def read(content, name):
    return importing.read_table(io.BytesIO(content), name)


def test_an_xlsx_declaring_a_huge_sheet_is_refused_before_it_is_read():
    with pytest.raises(importing.ImportFileError, match="more than 50 columns"):
        read(hostile_files.wide_dimension_xlsx(), "kontak.xlsx")


def test_a_shared_strings_bomb_is_refused_by_its_unpacked_size():
    content = hostile_files.shared_strings_bomb_xlsx()
    assert len(content) < 200_000

    with pytest.raises(importing.ImportFileError, match="larger than 25 MB once unpacked"):
        read(content, "kontak.xlsx")


def test_a_csv_with_50000_columns_is_refused():
    with pytest.raises(importing.ImportFileError, match="more than 50 columns"):
        read(hostile_files.many_columns_csv(), "kontak.csv")


def test_a_csv_built_against_the_dialect_sniffer_is_refused():
    with pytest.raises(importing.ImportFileError, match="no contacts"):
        read(hostile_files.sniffer_bomb_csv(), "kontak.csv")


def test_a_cell_longer_than_the_limit_is_refused():
    content = ("nama,no hp\n" + "A" * 1001 + ",081234567890\n").encode()

    with pytest.raises(importing.ImportFileError, match="Row 2 has a cell longer than 1000"):
        read(content, "kontak.csv")


def test_limits_are_settings(settings):
    settings.WAGTAIL_GRANTEE_SMS = {"IMPORT_MAX_COLUMNS": 2}

    with pytest.raises(importing.ImportFileError, match="more than 2 columns"):
        read(b"nama,no hp,grup\nAni,081234567890,Relawan\n", "kontak.csv")


def test_a_wide_sheet_that_declares_no_size_is_read_only_up_to_the_limit(settings):
    settings.WAGTAIL_GRANTEE_SMS = {"IMPORT_MAX_COLUMNS": 3}
    content = hostile_files._xlsx([["Nama", "No HP", "", "", "x"], ["Ani", "081234567890"]])

    with pytest.raises(importing.ImportFileError, match="more than 3 columns"):
        read(content, "kontak.xlsx")


@pytest.mark.django_db
def test_the_admin_shows_the_refusal_on_the_upload_form(client):
    client.force_login(UserFactory(permissions=["add_contact"]))

    response = client.post(
        reverse("wagtailsnippets_wagtail_grantee_sms_contact:import"),
        {"file": SimpleUploadedFile("kontak.xlsx", hostile_files.wide_dimension_xlsx())},
    )

    assert response.status_code == 200
    assert "more than 50 columns" in response.content.decode()


def test_a_shared_strings_bomb_within_the_unpacked_size_is_refused_too():
    content = hostile_files.shared_strings_bomb_xlsx(strings=1_000_000)  # 17 MB unpacked

    with pytest.raises(importing.ImportFileError, match="more text than its sheet"):
        read(content, "kontak.xlsx")


def test_an_ordinary_workbook_with_shared_strings_is_read():
    content = hostile_files.shared_strings_bomb_xlsx(strings=3)

    headers, rows = read(content, "kontak.xlsx")

    assert headers == ["Nama", "No HP"]
    assert rows == [["Ani", "081234567890"]]


def test_empty_cells_at_the_end_of_a_row_do_not_count_as_columns():
    content = ("nama,no hp" + "," * 80 + "\nAni,081234567890" + "," * 80 + "\n").encode()

    headers, rows = read(content, "kontak.csv")

    assert headers == ["nama", "no hp"]
    assert rows == [["Ani", "081234567890"]]
