"""The contacts snippet in the Wagtail admin: entering, listing, searching, masking, export."""

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from wagtail_grantee_sms.models import Contact

from .factories import ContactFactory, ContactGroupFactory, SuperuserFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST_URL = "wagtailsnippets_wagtail_grantee_sms_contact:list"


def url(name, *args):
    return reverse(f"wagtailsnippets_wagtail_grantee_sms_contact:{name}", args=args)


@pytest.fixture
def admin_client(client):
    client.force_login(SuperuserFactory())
    return client


def add_form(**overrides):
    data = {"name": "Ani Lubis", "phone": "0812-3456-7890", "language": "id",
            "consent_source": "paper_form", "consent_given_at": "", "consent_note": ""}  # fmt: skip
    data.update(overrides)
    return data


@pytest.mark.parametrize("written", ["0812-3456-7890", "+62 812 3456 7890", "62812345678 90"])
def test_numbers_are_stored_in_e164_whatever_way_they_are_written(admin_client, written):
    response = admin_client.post(url("add"), add_form(phone=written))

    assert response.status_code == 302
    assert Contact.objects.get().phone == "+6281234567890"


@pytest.mark.parametrize("written", ["0812 3456 7890", "+62 812-3456-7890", "62812345678 90"])
def test_the_same_number_written_differently_is_refused_as_a_duplicate(admin_client, written):
    ContactFactory(phone="+6281234567890")

    response = admin_client.post(url("add"), add_form(phone=written))

    assert response.status_code == 200
    assert "A contact with this phone number already exists." in response.content.decode()
    assert Contact.objects.count() == 1


def test_a_landline_is_refused_because_it_cannot_receive_sms(admin_client):
    response = admin_client.post(url("add"), add_form(phone="021 3190 1234"))

    assert "is not a mobile number" in response.content.decode()
    assert not Contact.objects.exists()


def test_the_status_is_not_a_field_of_the_form(admin_client):
    contact = ContactFactory(status=Contact.Status.UNVERIFIED)

    response = admin_client.get(url("edit", contact.pk))
    assert 'name="status"' not in response.content.decode()

    admin_client.post(url("edit", contact.pk), add_form(phone=contact.phone, status="verified"))
    contact.refresh_from_db()
    assert contact.status == Contact.Status.UNVERIFIED


def test_changing_the_number_returns_a_verified_contact_to_unverified_and_logs_who(client):
    editor = UserFactory(permissions=["change_contact", "view_full_phone"])
    client.force_login(editor)
    contact = ContactFactory(status=Contact.Status.VERIFIED)

    response = client.post(url("edit", contact.pk), add_form(phone="0813 1111 2222"))

    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.phone == "+6281311112222"
    assert contact.status == Contact.Status.UNVERIFIED
    entry = ModelLogEntry.objects.get(action="wagtail_grantee_sms.number_changed")
    assert entry.user == editor
    assert entry.data["from"] == "verified"


def test_recording_consent_notes_who_recorded_it(client):
    editor = UserFactory(permissions=["add_contact"])
    client.force_login(editor)

    client.post(url("add"), add_form())

    contact = Contact.objects.get()
    assert contact.consent_recorded_by == editor
    assert contact.consent_given_at is not None


def test_search_finds_a_number_written_the_local_way(admin_client):
    ContactFactory(name="Ani", phone="+6281234567890")
    ContactFactory(name="Budi", phone="+6285799998888")

    response = admin_client.get(reverse(LIST_URL), {"q": "0812 3456"})

    content = response.content.decode()
    assert "Ani" in content
    assert "Budi" not in content


def test_search_by_name(admin_client):
    ContactFactory(name="Citra Siregar")
    ContactFactory(name="Dewi Lubis")

    content = admin_client.get(reverse(LIST_URL), {"q": "siregar"}).content.decode()

    assert "Citra Siregar" in content
    assert "Dewi Lubis" not in content


def test_filters_by_status_group_and_language(admin_client):
    volunteers = ContactGroupFactory(name="Relawan")
    ani = ContactFactory(name="Ani", status=Contact.Status.VERIFIED, language="en")
    ani.groups.add(volunteers)
    ContactFactory(name="Budi", status=Contact.Status.VERIFIED, language="id")
    ContactFactory(name="Citra", status=Contact.Status.PENDING, language="en")

    for params in ({"status": "verified", "language": "en"}, {"groups": volunteers.pk}):
        content = admin_client.get(reverse(LIST_URL), params).content.decode()
        assert "Ani" in content
        assert "Budi" not in content
        assert "Citra" not in content


def test_numbers_are_masked_for_users_without_view_full_phone(client):
    ContactFactory(name="Ani", phone="+6281234567890")
    client.force_login(UserFactory(permissions=["change_contact"]))

    content = client.get(reverse(LIST_URL)).content.decode()

    assert "+**********890" in content
    assert "812" not in content.split("Ani", 1)[1][:400]


def test_numbers_are_shown_to_users_with_view_full_phone(client):
    ContactFactory(name="Ani", phone="+6281234567890")
    client.force_login(UserFactory(permissions=["change_contact", "view_full_phone"]))

    content = client.get(reverse(LIST_URL)).content.decode()

    assert "+62 812-3456-7890" in content


def test_the_edit_form_hides_the_number_and_keeps_it_when_left_as_shown(client):
    contact = ContactFactory(phone="+6281234567890", status=Contact.Status.VERIFIED)
    client.force_login(UserFactory(permissions=["change_contact"]))

    form = client.get(url("edit", contact.pk)).content.decode()
    assert "+6281234567890" not in form

    client.post(url("edit", contact.pk), add_form(name="Ani B", phone="+**********890"))
    contact.refresh_from_db()
    assert contact.name == "Ani B"
    assert contact.phone == "+6281234567890"
    assert contact.status == Contact.Status.VERIFIED


def test_export_needs_the_export_permission(client):
    ContactFactory(name="Ani", phone="+6281234567890")
    client.force_login(UserFactory(permissions=["change_contact", "view_full_phone"]))

    listing = client.get(reverse(LIST_URL)).content.decode()
    assert "Download CSV" not in listing
    response = client.get(reverse(LIST_URL), {"export": "csv"})
    assert response.status_code == 302  # Wagtail's "permission denied" redirect
    assert "Content-Disposition" not in response


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_users_with_the_export_permission_download_csv_and_xlsx(client, export_format):
    ContactFactory(name="Ani", phone="+6281234567890")
    client.force_login(UserFactory(permissions=["change_contact", "export_contact"]))

    assert "Download CSV" in client.get(reverse(LIST_URL)).content.decode()
    response = client.get(reverse(LIST_URL), {"export": export_format})

    assert response.status_code == 200
    if export_format == "csv":
        body = (
            b"".join(response.streaming_content).decode()
            if response.streaming
            else response.content.decode()
        )
        assert "Ani" in body
        assert "+**********890" in body  # no view_full_phone: masked in the file too


def test_the_inspect_view_shows_the_verification_history(admin_client):
    from wagtail_grantee_sms import verification

    contact = ContactFactory(status=Contact.Status.VERIFIED)
    verification.opt_out(contact, reason="STOP")

    content = admin_client.get(url("inspect", contact.pk)).content.decode()

    assert "Verification history" in content
    assert "Opted out" in content
    assert "STOP" in content


def test_the_inspect_view_lists_the_messages_sent_and_received(admin_client):
    from .factories import DeliveryFactory, InboundMessageFactory

    contact = ContactFactory(status=Contact.Status.VERIFIED)
    DeliveryFactory(contact=contact, body="Rapat relawan hari Sabtu")
    InboundMessageFactory(contact=contact, sender=contact.phone, body="Saya datang")

    content = admin_client.get(url("inspect", contact.pk)).content.decode()

    assert "Rapat relawan hari Sabtu" in content
    assert "Saya datang" in content


def test_the_verification_messages_are_edited_in_the_settings(admin_client):
    from wagtail_grantee_sms.models import VerificationMessages

    edit_url = reverse("wagtailsettings:edit", args=["wagtail_grantee_sms", "verificationmessages"])
    data = {"organisation": "Lembaga Bhinneka", "code_message_id": "Kode {code}",
            "code_message_en": "", "reply_message_id": "", "reply_message_en": ""}  # fmt: skip

    edit_url = admin_client.get(edit_url, follow=True).redirect_chain[-1][0]
    assert admin_client.post(edit_url, data).status_code == 302

    assert VerificationMessages.load().render("code", "id", code="123456") == "Kode 123456"
