import pytest
from wagtail.models import ModelLogEntry

from wagtail_grantee_sms import verification
from wagtail_grantee_sms.models import Contact

pytestmark = pytest.mark.django_db


def make_contact(status):
    return Contact.objects.create(
        name="Ani",
        phone="+6281234567890",
        status=status,
        consent_source=Contact.ConsentSource.PAPER_FORM,
    )


def test_opting_out_is_logged_with_its_reason():
    contact = make_contact(Contact.Status.VERIFIED)

    assert verification.opt_out(contact, reason="STOP") is True

    contact.refresh_from_db()
    assert contact.status == Contact.Status.OPTED_OUT
    entry = ModelLogEntry.objects.for_instance(contact).get()
    assert entry.action == "wagtail_grantee_sms.opt_out"
    assert entry.data == {
        "from": "verified",
        "to": "opted_out",
        "via": "sms_keyword",
        "reason": "STOP",
    }
    assert entry.message == "Opted out"


def test_opting_out_twice_changes_and_logs_nothing_the_second_time():
    contact = make_contact(Contact.Status.VERIFIED)
    verification.opt_out(contact)

    assert verification.opt_out(contact) is False
    assert ModelLogEntry.objects.for_instance(contact).count() == 1


def test_opting_in_by_keyword_verifies_and_records_consent():
    contact = make_contact(Contact.Status.OPTED_OUT)

    assert verification.opt_in(contact, reason="START") is True

    contact.refresh_from_db()
    assert contact.status == Contact.Status.VERIFIED
    assert contact.consent_source == Contact.ConsentSource.SMS_KEYWORD
    assert contact.consent_given_at is not None


def test_a_blocked_contact_cannot_opt_itself_back_in():
    contact = make_contact(Contact.Status.BLOCKED)

    with pytest.raises(verification.TransitionNotAllowed):
        verification.opt_in(contact)

    contact.refresh_from_db()
    assert contact.status == Contact.Status.BLOCKED
    assert not ModelLogEntry.objects.for_instance(contact).exists()
