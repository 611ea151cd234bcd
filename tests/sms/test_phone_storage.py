"""The stored number is always E.164, whichever way a contact is written."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests.sms.factories import ContactFactory
from tests.sms.pipeline_backends import configure
from wagtail_grantee_sms import inbound
from wagtail_grantee_sms.backends import InboundSMS
from wagtail_grantee_sms.models import Contact

pytestmark = pytest.mark.django_db


def test_the_python_api_stores_a_local_spelling_in_e164():
    contact = Contact.objects.create(name="Ani", phone="0812-3456-7890")

    assert contact.phone == "+6281234567890"
    assert Contact.objects.values_list("phone", flat=True).get() == "+6281234567890"


def test_a_second_spelling_of_the_same_number_is_not_a_second_contact():
    Contact.objects.create(name="Ani", phone="0812-3456-7890")

    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(name="Ani again", phone="+62 812 3456 7890")
    assert Contact.objects.count() == 1


def test_bulk_create_and_update_store_e164_too():
    created = Contact.objects.bulk_create(
        [Contact(name="Ani", phone="0812 3456 7890"), Contact(name="Budi", phone="62857-1111-2222")]
    )

    assert [contact.phone for contact in created] == ["+6281234567890", "+6285711112222"]
    assert set(Contact.objects.values_list("phone", flat=True)) == {
        "+6281234567890",
        "+6285711112222",
    }
    Contact.objects.filter(name="Ani").update(phone="0813 1111 2222")
    assert Contact.objects.get(name="Ani").phone == "+6281311112222"


def test_lookups_find_a_contact_by_any_spelling():
    contact = ContactFactory(phone="+6281234567890")

    assert Contact.objects.get(phone="0812-3456-7890") == contact
    assert Contact.objects.filter(phone__in=["(0812) 3456 7890"]).get() == contact


@pytest.mark.parametrize("written", ["12345", "not a number", "+62 21"])
def test_an_invalid_number_is_refused_by_the_model(written):
    with pytest.raises(ValidationError):
        Contact.objects.create(name="Ani", phone=written)
    assert not Contact.objects.exists()


def test_a_stop_from_the_e164_number_finds_a_contact_created_with_a_local_spelling(settings):
    configure(settings)
    contact = Contact.objects.create(
        name="Ani",
        phone="0812-3456-7890",
        status=Contact.Status.VERIFIED,
        consent_source=Contact.ConsentSource.PAPER_FORM,
    )

    inbound.receive("default", InboundSMS(sender="+6281234567890", body="STOP", message_id="1"))

    contact.refresh_from_db()
    assert contact.status == Contact.Status.OPTED_OUT


def test_changing_the_number_to_another_spelling_of_itself_is_no_change():
    contact = ContactFactory(phone="+6281234567890", status=Contact.Status.VERIFIED)

    contact.phone = "0812 3456 7890"
    contact.save()

    contact.refresh_from_db()
    assert contact.status == Contact.Status.VERIFIED
