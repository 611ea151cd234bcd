"""The verification workflow in the admin: buttons on a contact, and bulk actions."""

import pytest
from django.urls import reverse

import wagtail_grantee_sms
from wagtail_grantee_sms import verification
from wagtail_grantee_sms.models import Contact

from .factories import ContactFactory, ContactGroupFactory, SuperuserFactory, UserFactory
from .pipeline_backends import configure
from .test_verification import code_in

pytestmark = pytest.mark.django_db

Status = Contact.Status


@pytest.fixture(autouse=True)
def locmem_backend(settings):
    configure(settings)


def url(name, pk):
    return reverse(f"wagtailsnippets_wagtail_grantee_sms_contact:{name}", args=[pk])


def bulk_url(action, contacts):
    ids = "&".join(f"id={contact.pk}" for contact in contacts)
    return reverse("wagtail_bulk_action", args=("wagtail_grantee_sms", "contact", action)) + (
        f"?{ids}&next=/admin/"
    )


@pytest.fixture
def editor(client):
    client.force_login(UserFactory(permissions=["change_contact"]))
    return client


def test_an_editor_sends_a_code_and_enters_what_the_contact_read_out(
    editor, django_capture_on_commit_callbacks
):
    contact = ContactFactory()

    page = editor.get(url("inspect", contact.pk)).content.decode()
    assert url("send_verification", contact.pk) in page
    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(url("send_verification", contact.pk), {"method": "code"})
    assert response.status_code == 302
    code = code_in(wagtail_grantee_sms.outbox[0].body)

    wrong = editor.post(
        url("enter_code", contact.pk), {"code": "000000" if code != "000000" else "111111"}
    )
    assert "This is not the code that was sent." in wrong.content.decode()

    editor.post(url("enter_code", contact.pk), {"code": code})
    contact.refresh_from_db()
    assert contact.status == Status.VERIFIED


def test_the_rate_limit_is_shown_as_a_message(editor, settings):
    configure(settings, VERIFICATION_SENDS_PER_HOUR=0)
    contact = ContactFactory()

    response = editor.post(url("send_verification", contact.pk), {"method": "code"})

    assert response.status_code == 200
    assert "Try again later" in response.content.decode()


def test_marking_verified_needs_the_verify_permission(editor, client):
    contact = ContactFactory()

    response = editor.post(url("mark_verified", contact.pk), {"note": "Signed form"})
    assert response.status_code == 302 and response["Location"] != url("inspect", contact.pk)
    contact.refresh_from_db()
    assert contact.status == Status.UNVERIFIED

    client.force_login(UserFactory(permissions=["change_contact", "verify_contact"]))
    missing_note = client.post(url("mark_verified", contact.pk), {"note": ""})
    assert missing_note.status_code == 200
    client.post(url("mark_verified", contact.pk), {"note": "Signed form, file 12"})
    contact.refresh_from_db()
    assert contact.status == Status.VERIFIED


def test_the_admin_has_no_way_back_from_opted_out(client):
    contact = ContactFactory(status=Status.OPTED_OUT)
    client.force_login(SuperuserFactory())

    page = client.get(url("inspect", contact.pk)).content.decode()
    for name in ("send_verification", "mark_verified", "block", "unblock"):
        assert url(name, contact.pk) not in page
    for name, data in [
        ("send_verification", {"method": "code"}),
        ("mark_verified", {"note": "paper form"}),
        ("block", {"reason": ""}),
        ("unblock", {"reason": ""}),
    ]:
        response = client.post(url(name, contact.pk), data)
        assert "not possible while the contact is" in response.content.decode()
    contact.refresh_from_db()
    assert contact.status == Status.OPTED_OUT


def test_block_then_unblock_from_the_contact_page(editor):
    contact = ContactFactory(status=Status.VERIFIED)

    editor.post(url("block", contact.pk), {"reason": "Wrong person"})
    contact.refresh_from_db()
    assert contact.status == Status.BLOCKED

    editor.post(url("unblock", contact.pk), {"reason": ""})
    contact.refresh_from_db()
    assert contact.status == Status.UNVERIFIED


def test_users_without_change_permission_cannot_act(client):
    contact = ContactFactory()
    client.force_login(UserFactory(permissions=["view_contact"]))

    client.post(url("block", contact.pk), {"reason": ""})

    contact.refresh_from_db()
    assert contact.status == Status.UNVERIFIED


# Bulk actions


def test_bulk_add_to_and_remove_from_a_group(editor):
    group = ContactGroupFactory(name="Relawan")
    contacts = ContactFactory.create_batch(3)

    editor.post(bulk_url("add_to_group", contacts[:2]), {"group": group.pk})
    assert set(group.contacts.all()) == set(contacts[:2])

    editor.post(bulk_url("remove_from_group", contacts[:1]), {"group": group.pk})
    assert set(group.contacts.all()) == {contacts[1]}


def test_bulk_send_verification_skips_contacts_that_cannot_be_asked(
    editor, django_capture_on_commit_callbacks
):
    waiting = ContactFactory.create_batch(2)
    opted_out = ContactFactory(status=Status.OPTED_OUT)

    with django_capture_on_commit_callbacks(execute=True):
        editor.post(bulk_url("send_verification", [*waiting, opted_out]), {"method": "reply"})

    assert sorted(sms.to for sms in wagtail_grantee_sms.outbox) == sorted(c.phone for c in waiting)
    assert set(Contact.objects.values_list("status", flat=True)) == {
        Status.PENDING,
        Status.OPTED_OUT,
    }


def test_bulk_block_leaves_opted_out_contacts_opted_out(editor):
    verified = ContactFactory(status=Status.VERIFIED)
    opted_out = ContactFactory(status=Status.OPTED_OUT)

    response = editor.post(
        bulk_url("block", [verified, opted_out]), {"reason": "spam"}, follow=True
    )

    verified.refresh_from_db()
    opted_out.refresh_from_db()
    assert (verified.status, opted_out.status) == (Status.BLOCKED, Status.OPTED_OUT)
    assert "1 contact was left as it was" in response.content.decode()


def test_the_bulk_actions_are_offered_on_the_contacts_listing(editor):
    ContactFactory()

    page = editor.get(reverse("wagtailsnippets_wagtail_grantee_sms_contact:list")).content.decode()

    for action in ("add_to_group", "remove_from_group", "send_verification", "block", "delete"):
        assert f"/contact/{action}/" in page


def test_verify_code_api_from_the_docs(django_capture_on_commit_callbacks):
    contact = ContactFactory()
    with django_capture_on_commit_callbacks(execute=True):
        verification.start_verification(contact, method="code")

    assert verification.verify_code(contact, code_in(wagtail_grantee_sms.outbox[0].body))
