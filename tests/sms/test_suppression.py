"""The suppression list and the consent guard: nobody becomes verified without proof."""

import pytest
from django.urls import reverse

import wagtail_grantee_sms
from tests.sms.factories import ContactFactory, SuperuserFactory
from tests.sms.pipeline_backends import configure
from wagtail_grantee_sms import inbound, sending, suppression, verification
from wagtail_grantee_sms.backends import InboundSMS
from wagtail_grantee_sms.models import (
    ConsentMissing,
    Contact,
    NumberSuppressed,
    SuppressedNumber,
)

pytestmark = pytest.mark.django_db

Status = Contact.Status
NUMBER = "+6281234567890"


@pytest.fixture(autouse=True)
def locmem_backend(settings):
    configure(settings)


def receive(number, body, message_id):
    return inbound.receive("default", InboundSMS(sender=number, body=body, message_id=message_id))


def test_the_list_keeps_a_keyed_hash_not_the_number(settings):
    suppression.suppress("0812 3456 7890")

    entry = SuppressedNumber.objects.get()
    assert "81234567890" not in entry.digest
    assert suppression.is_suppressed(NUMBER)  # any spelling: one hash
    settings.WAGTAIL_GRANTEE_SMS = {**settings.WAGTAIL_GRANTEE_SMS, "SUPPRESSION_KEY": "other"}
    assert not suppression.is_suppressed(NUMBER)  # the hash depends on the key


def test_an_opt_out_survives_the_deletion_of_the_contact():
    contact = ContactFactory(phone=NUMBER, status=Status.VERIFIED)
    verification.opt_out(contact)

    contact.delete()

    assert suppression.is_suppressed(NUMBER)
    again = ContactFactory(phone=NUMBER)
    with pytest.raises(NumberSuppressed):
        again.status = Status.VERIFIED
        again.save()
    again.refresh_from_db()
    assert again.status == Status.UNVERIFIED


def test_a_stop_from_an_unknown_number_is_remembered():
    receive(NUMBER, "STOP", "1")

    assert suppression.is_suppressed(NUMBER)
    contact = ContactFactory(phone=NUMBER)
    with pytest.raises(NumberSuppressed):
        verification.mark_verified(contact, SuperuserFactory(), "Signed paper form")


def test_a_suppressed_number_gets_no_verification_sms(sms_outbox):
    suppression.suppress(NUMBER)
    contact = ContactFactory(phone=NUMBER)

    with pytest.raises(verification.VerificationError):
        verification.start_verification(contact, "code")

    contact.refresh_from_db()
    assert contact.status == Status.UNVERIFIED
    assert sms_outbox == []


def test_a_suppressed_number_gets_nothing_queued_but_the_answer_to_its_keyword():
    contact = ContactFactory(phone=NUMBER, status=Status.UNVERIFIED)
    suppression.suppress(NUMBER)

    with pytest.raises(sending.NotAllowedToSend):
        sending.check_allowed(contact, sending.Purpose.OTHER)
    sending.check_allowed(contact, sending.Purpose.OPT_IN_CONFIRMATION)


def test_the_persons_own_opt_in_keyword_lifts_the_suppression(
    django_capture_on_commit_callbacks,
):
    contact = ContactFactory(phone=NUMBER, status=Status.VERIFIED)
    receive(NUMBER, "STOP", "1")
    assert suppression.is_suppressed(NUMBER)

    with django_capture_on_commit_callbacks(execute=True):
        receive(NUMBER, "START", "2")

    contact.refresh_from_db()
    assert contact.status == Status.VERIFIED
    assert contact.consent_source == Contact.ConsentSource.SMS_KEYWORD
    assert not suppression.is_suppressed(NUMBER)
    assert "kembali" in wagtail_grantee_sms.outbox[-1].body  # the opt-in confirmation


def test_an_opt_in_keyword_from_an_unknown_number_lifts_its_suppression():
    receive(NUMBER, "STOP", "1")
    receive(NUMBER, "START", "2")

    assert not suppression.is_suppressed(NUMBER)


def test_a_contact_without_consent_cannot_become_verified():
    contact = ContactFactory(consent_source="", consent_given_at=None, status=Status.PENDING)

    with pytest.raises(verification.VerificationError, match="No consent is recorded"):
        verification.mark_verified(contact, SuperuserFactory(), "Called her")
    with pytest.raises(ConsentMissing):
        Contact.objects.create(name="Budi", phone="+6285711112222", status=Status.VERIFIED)

    contact.refresh_from_db()
    assert contact.status == Status.PENDING


def test_a_contact_without_consent_gets_no_verification_sms(sms_outbox):
    contact = ContactFactory(consent_source="", consent_given_at=None)

    with pytest.raises(verification.VerificationError):
        verification.start_verification(contact, "code")
    assert sms_outbox == []


def test_recording_consent_makes_the_contact_verifiable():
    user = SuperuserFactory()
    contact = ContactFactory(consent_source="", consent_given_at=None)

    contact.record_consent(Contact.ConsentSource.PAPER_FORM, note="Form 12", by=user)
    verification.mark_verified(contact, user, "Signed paper form")

    contact.refresh_from_db()
    assert contact.status == Status.VERIFIED
    assert contact.consent_recorded_by == user
    assert contact.consent_given_at is not None


def test_the_admin_shows_why_a_suppressed_contact_cannot_be_marked_verified(client):
    user = SuperuserFactory()
    client.force_login(user)
    contact = ContactFactory(phone=NUMBER)
    suppression.suppress(NUMBER)

    response = client.post(
        reverse("wagtailsnippets_wagtail_grantee_sms_contact:mark_verified", args=[contact.pk]),
        {"note": "Signed paper form"},
    )

    assert response.status_code == 200
    assert "asked not to receive SMS" in response.content.decode()
    contact.refresh_from_db()
    assert contact.status == Status.UNVERIFIED


def test_a_suppressed_number_signing_up_gets_no_sms_and_is_not_verified(
    sms_outbox, django_capture_on_commit_callbacks
):
    from wagtail_grantee_sms import signup

    suppression.suppress(NUMBER)

    with django_capture_on_commit_callbacks(execute=True):  # the worker acts on the sign-up
        signup.sign_up(name="Ani", phone=NUMBER, language="id", consent_note="Saya setuju")

    contact = Contact.objects.get(phone=NUMBER)
    assert contact.status == Status.UNVERIFIED
    assert sms_outbox == []
    assert not signup.confirm(NUMBER, "123456")


def test_an_opt_out_reported_by_the_provider_is_remembered():
    contact = ContactFactory(phone=NUMBER, status=Status.VERIFIED)

    sending.mark_contact(contact, "opted_out", "provider says STOP")

    contact.refresh_from_db()
    assert contact.status == Status.OPTED_OUT
    assert suppression.is_suppressed(NUMBER)
