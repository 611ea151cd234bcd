"""Deleting a contact erases its number from every record that kept it (PDP law)."""

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from wagtail_grantee_sms import verification
from wagtail_grantee_sms.models import Contact, Delivery, InboundMessage

from .factories import (
    ContactFactory,
    DeliveryFactory,
    InboundMessageFactory,
    SuperuserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact_with_history():
    contact = ContactFactory(phone="+6281234567890", status=Contact.Status.VERIFIED)
    DeliveryFactory(contact=contact, phone=contact.phone, body="Halo Ani")
    DeliveryFactory(contact=None, phone=contact.phone, body="Sent before the contact existed")
    InboundMessageFactory(contact=contact, sender=contact.phone, body="Saya Ani, 0812 3456 7890")
    verification.block(contact, None, reason="Called from 0812 3456 7890")
    other = DeliveryFactory(body="Someone else")
    return contact, other


def assert_erased(phone, other):
    assert not Delivery.objects.filter(phone=phone).exists()
    assert not InboundMessage.objects.filter(sender=phone).exists()
    assert not Delivery.objects.filter(body__contains="Ani").exists()
    assert not InboundMessage.objects.filter(body__contains="0812").exists()
    assert Delivery.objects.count() == 3  # still counted, for costs and statistics
    other.refresh_from_db()
    assert other.body == "Someone else"
    assert not any("0812" in str(entry.data) for entry in ModelLogEntry.objects.all())


def test_deleting_from_the_snippet_delete_view_erases_the_number(client, contact_with_history):
    contact, other = contact_with_history
    client.force_login(SuperuserFactory())
    delete_url = reverse("wagtailsnippets_wagtail_grantee_sms_contact:delete", args=[contact.pk])

    assert client.post(delete_url).status_code == 302

    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert_erased("+6281234567890", other)


def test_the_bulk_delete_erases_the_numbers(client, contact_with_history):
    contact, other = contact_with_history
    client.force_login(SuperuserFactory())
    bulk_url = reverse("wagtail_bulk_action", args=("wagtail_grantee_sms", "contact", "delete"))

    client.post(f"{bulk_url}?id={contact.pk}&next=/admin/")

    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert_erased("+6281234567890", other)


def test_deleting_in_python_erases_the_number_too(contact_with_history):
    contact, other = contact_with_history

    contact.delete()

    assert_erased("+6281234567890", other)
