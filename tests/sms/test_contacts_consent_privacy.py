"""Consent and privacy on the contacts screens: import permissions, what previews and errors
reveal, phone search, erasure of names and uploads (issue 8)."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from wagtail.models import ModelLogEntry

from wagtail_grantee_sms import importing, suppression, verification
from wagtail_grantee_sms.models import Contact

from .factories import ContactFactory, ContactGroupFactory, SuperuserFactory, UserFactory

pytestmark = pytest.mark.django_db

Status = Contact.Status


def url(name, *args, **kwargs):
    return reverse(f"wagtailsnippets_wagtail_grantee_sms_contact:{name}", args=args, kwargs=kwargs)


def start_import(client, content):
    response = client.post(url("import"), {"file": SimpleUploadedFile("kontak.csv", content)})
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


def mapping_form(**overrides):
    data = {"column_name": "0", "column_phone": "1", "column_language": "",
            "column_groups": "", "consent_source": "sms_keyword", "group": ""}  # fmt: skip
    data.update(overrides)
    return data


def login(client, *permissions):
    user = UserFactory(permissions=["add_contact", *permissions])
    client.force_login(user)
    return user


# -- consent on import --------------------------------------------------------------------


def test_a_user_with_only_add_contact_cannot_import_verified_contacts(client):
    login(client)
    mapping_url = start_import(client, b"nama,no hp\nAni,0812 3456 7890\n")

    page = client.get(mapping_url).content.decode()
    assert 'name="import_verified"' not in page
    assert 'name="update_existing"' not in page
    # A crafted request asking for it anyway.
    client.post(mapping_url, mapping_form(action="import", import_verified="on"))

    contact = Contact.objects.get()
    assert contact.status == Status.UNVERIFIED
    assert contact.consent_source == Contact.ConsentSource.SMS_KEYWORD
    assert contact.consent_given_at is not None


def test_a_user_with_verify_contact_imports_verified_only_when_confirming(client):
    user = login(client, "verify_contact")
    mapping_url = start_import(client, b"nama,no hp\nAni,0812 3456 7890\nBudi,0857 1111 2222\n")

    client.post(mapping_url, mapping_form(action="import"))
    assert set(Contact.objects.values_list("status", flat=True)) == {Status.UNVERIFIED}

    Contact.objects.all().delete()
    mapping_url = start_import(client, b"nama,no hp\nAni,0812 3456 7890\n")
    client.post(mapping_url, mapping_form(action="import", import_verified="on"))
    contact = Contact.objects.get()
    assert contact.status == Status.VERIFIED
    assert ModelLogEntry.objects.for_instance(contact).get().user == user


def test_updating_existing_contacts_needs_change_contact(client):
    fitri = ContactFactory(name="Fitri Old", phone="+6281399990000")
    login(client, "view_full_phone")
    mapping_url = start_import(client, b"nama,no hp\nFitri New,0813 9999 0000\n")

    client.post(mapping_url, mapping_form(action="import", update_existing="on"))

    fitri.refresh_from_db()
    assert fitri.name == "Fitri Old"


def test_the_import_screen_says_what_happens_to_consent_and_verification(client):
    login(client, "verify_contact")
    page = client.get(start_import(client, b"nama,no hp\nAni,0812 3456 7890\n")).content.decode()

    assert "New contacts arrive unverified, whatever you choose here" in page
    assert "Import the new contacts as verified" in page


def test_an_opted_out_contact_deleted_and_imported_again_does_not_come_back(client):
    contact = ContactFactory(phone="+6281234567890", status=Status.VERIFIED)
    verification.opt_out(contact)
    contact.delete()
    login(client, "verify_contact", "view_full_phone")
    mapping_url = start_import(client, b"nama,no hp\nAni,0812 3456 7890\n")

    preview = client.post(mapping_url, mapping_form(action="preview")).content.decode()
    client.post(mapping_url, mapping_form(action="import", import_verified="on"))

    assert "asked not to receive SMS" in preview
    assert not Contact.objects.exists()


# -- what the import preview reveals ----------------------------------------------------------


def test_the_preview_does_not_confirm_an_existing_number_to_a_user_who_cannot_see_numbers(
    client,
):
    ContactFactory(name="Fitri", phone="+6281399990000")
    suppression.suppress("+6285711112222")
    login(client)
    mapping_url = start_import(
        client, b"nama,no hp\nFitri,0813 9999 0000\nEko,0857 1111 2222\nAni,0812 3456 7890\n"
    )

    preview = client.post(mapping_url, mapping_form(action="preview")).content.decode()

    assert "Already a contact" not in preview
    # The same reason for a known number and a suppressed one.
    assert preview.count("it is already a contact, or it asked not to receive SMS") == 2


def test_problem_rows_show_the_name_and_the_masked_number(client):
    login(client, "view_full_phone")
    mapping_url = start_import(
        client, b"nama,no hp,bahasa\nBudi,0812 34,\nCitra,0857 1111 2222,bahasa\n"
    )

    preview = client.post(
        mapping_url, mapping_form(action="preview", column_language="2")
    ).content.decode()

    errors = preview.split("data-import-errors", 1)[1]
    assert re.search(r"<td>2</td><td>Budi</td><td>\*\*\*2 34</td>", errors)
    assert "Citra" in errors and "**** **** *222" in errors
    assert "Unknown language “bahasa”" in errors
    assert "0857 1111 2222" not in errors


def test_an_unknown_group_is_created_only_when_confirmed(client):
    login(client)
    ContactGroupFactory(name="Relawan")
    mapping_url = start_import(client, b"nama,no hp,grup\nAni,0812 3456 7890,Relawan; Donatur\n")
    form = mapping_form(column_groups="2")

    preview = client.post(mapping_url, {**form, "action": "preview"}).content.decode()
    assert re.search(r"data-import-new-groups.*?<strong>Donatur</strong>", preview, re.S)
    client.post(mapping_url, {**form, "action": "import"})
    assert not Contact.objects.exists()

    client.post(mapping_url, {**form, "action": "import", "create_groups": "on"})
    assert sorted(Contact.objects.get().groups.values_list("name", flat=True)) == [
        "Donatur",
        "Relawan",
    ]


# -- uploads do not linger ----------------------------------------------------------------


def test_the_uploaded_file_is_deleted_once_imported_or_cancelled(client):
    login(client)
    for action in ("import", "cancel"):
        mapping_url = start_import(client, b"nama,no hp\nAni,0812 3456 7890\n")
        assert len(list(importing.UPLOADS_DIR.glob(f"{client.session['_auth_user_id']}-*"))) == 1

        client.post(mapping_url, mapping_form(action=action))

        assert not list(importing.UPLOADS_DIR.glob(f"{client.session['_auth_user_id']}-*"))
        assert client.get(mapping_url).status_code == 302  # "no longer available"
        Contact.objects.all().delete()


def test_erasing_a_contact_deletes_pending_uploads_and_its_name_from_the_audit_log(client):
    login(client)
    start_import(client, b"nama,no hp\nAni Lubis,0812 3456 7890\n")
    contact = ContactFactory(name="Ani Lubis", status=Status.VERIFIED)
    verification.block(contact, None, reason="asked by phone")
    admin = SuperuserFactory()
    client.force_login(admin)

    client.post(url("delete", contact.pk))

    assert not list(importing.UPLOADS_DIR.glob("*.json"))
    entries = ModelLogEntry.objects.filter(object_id=str(contact.pk))
    assert {entry.action for entry in entries} >= {"wagtail_grantee_sms.block", "wagtail.delete"}
    assert not any("Ani" in entry.label for entry in entries)


# -- search and duplicate errors --------------------------------------------------------------


def test_without_view_full_phone_search_matches_only_a_complete_number(client):
    ContactFactory(name="Ani", phone="+6281234567890")
    client.force_login(UserFactory(permissions=["change_contact"]))

    def found(query):
        return "Ani" in client.get(reverse(url_list()), {"q": query}).content.decode()

    assert not found("0812 3456")
    assert not found("890")
    assert found("0812-3456-7890")
    assert found("+62 812 3456 7890")


def url_list():
    return "wagtailsnippets_wagtail_grantee_sms_contact:list"


def test_with_view_full_phone_search_matches_part_of_a_number(client):
    ContactFactory(name="Ani", phone="+6281234567890")
    client.force_login(UserFactory(permissions=["change_contact", "view_full_phone"]))

    assert "Ani" in client.get(reverse(url_list()), {"q": "3456 78"}).content.decode()


def add_form(**overrides):
    data = {"name": "Budi", "phone": "0812-3456-7890", "language": "id",
            "consent_source": "paper_form", "consent_given_at": "", "consent_note": ""}  # fmt: skip
    data.update(overrides)
    return data


def test_the_duplicate_error_does_not_confirm_the_number_to_a_user_who_cannot_see_it(client):
    ContactFactory(name="Ani", phone="+6281234567890")
    suppression.suppress("+6285711112222")
    client.force_login(UserFactory(permissions=["add_contact"]))

    taken = client.post(url("add"), add_form()).content.decode()
    suppressed = client.post(url("add"), add_form(phone="0857 1111 2222")).content.decode()

    message = "This number cannot be used: it belongs to another contact, or it asked not to"
    assert message in taken
    assert message in suppressed
    assert "already exists" not in taken
    assert Contact.objects.count() == 1


def test_the_import_preview_speaks_indonesian(client):
    from wagtail.users.models import UserProfile

    user = login(client)
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "id"
    profile.save()
    mapping_url = start_import(client, b"nama,no hp,grup\nAni,0812 3456 7890,Relawan\nBudi,12,\n")

    preview = client.post(
        mapping_url, mapping_form(action="preview", column_groups="2")
    ).content.decode()

    assert "Berkas ini menyebut 1 grup yang belum ada" in preview
    assert "Nomor telepon kosong atau tidak valid." in preview
    assert "Buat grup yang disebut dalam berkas dan belum ada" in preview
