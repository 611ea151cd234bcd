"""The inbox says what each incoming SMS did, in words, in the editor's language."""

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from wagtail_grantee_sms import inbound, verification
from wagtail_grantee_sms.backends import InboundSMS
from wagtail_grantee_sms.models import Contact, InboundMessage

from .factories import ContactFactory, InboundMessageFactory, UserFactory

pytestmark = pytest.mark.django_db

INBOX = "wagtailsnippets_wagtail_grantee_sms_inboundmessage"


def reply(contact, text):
    return inbound.receive("default", InboundSMS(sender=contact.phone, body=text))


@pytest.fixture
def pending_contact(django_capture_on_commit_callbacks):
    contact = ContactFactory(
        consent_source=Contact.ConsentSource.PAPER_FORM, consent_given_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        verification.start_verification(contact, "reply")
    return contact


def test_the_ya_that_verified_a_contact_shows_the_verification_in_the_inbox(
    client, pending_contact
):
    message = reply(pending_contact, "ya")
    client.force_login(UserFactory(permissions=["view_inboundmessage"]))

    listing = client.get(reverse(f"{INBOX}:list")).content.decode()
    details = client.get(reverse(f"{INBOX}:inspect", args=[message.pk])).content.decode()

    pending_contact.refresh_from_db()
    assert pending_contact.status == Contact.Status.VERIFIED
    assert message.action == InboundMessage.Action.VERIFIED
    assert "Verified the contact" in listing
    assert "Verified the contact" in details
    assert ">None<" not in details


def test_a_message_that_did_nothing_shows_a_dash_not_none():
    message = InboundMessageFactory(body="Terima kasih")

    assert message.get_action_display() == "—"


def test_a_second_ya_from_a_verified_contact_is_not_a_verification(pending_contact):
    reply(pending_contact, "ya")

    again = reply(pending_contact, "ya")

    assert again.action == InboundMessage.Action.NONE


def test_the_action_is_shown_in_indonesian():
    message = InboundMessageFactory(action=InboundMessage.Action.OPT_OUT)

    with translation.override("id"):
        assert message.get_action_display() == "Berhenti berlangganan"
