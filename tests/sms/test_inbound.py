import pytest
from wagtail.models import ModelLogEntry

import wagtail_grantee_sms
from tests.sms.factories import ContactFactory
from tests.sms.pipeline_backends import configure
from wagtail_grantee_sms import inbound
from wagtail_grantee_sms.backends import InboundSMS
from wagtail_grantee_sms.models import Contact, Delivery, InboundMessage, VerificationMessages
from wagtail_grantee_sms.signals import inbound_message_received

pytestmark = pytest.mark.django_db

Status = Contact.Status


@pytest.fixture(autouse=True)
def locmem_backend(settings):
    configure(settings)
    settings.WAGTAIL_SITE_NAME = "Yayasan Bhinneka"


@pytest.fixture
def announced():
    """Messages passed on through ``inbound_message_received``."""
    seen = []

    def receiver(message, **kwargs):
        seen.append(message)

    inbound_message_received.connect(receiver)
    yield seen
    inbound_message_received.disconnect(receiver)


def receive(contact_or_number, body, message_id="SM1"):
    number = getattr(contact_or_number, "phone", contact_or_number)
    return inbound.receive("default", InboundSMS(sender=number, body=body, message_id=message_id))


def sent_bodies():
    return [message.body for message in wagtail_grantee_sms.outbox]


@pytest.mark.parametrize(
    "text",
    ["STOP", "stop", "  Stop!  ", "S.T.O.P", "s t o p", "Bérhenti", "ＳＴＯＰ", "opt-out", "Quit."],
)
def test_opt_out_keywords_match_without_case_accents_spaces_or_punctuation(text):
    assert inbound.is_keyword(text, "OPT_OUT_KEYWORDS")


@pytest.mark.parametrize("text", ["stop sending me this", "stopp", "tidak", "", "ya stop"])
def test_a_message_with_more_than_the_keyword_is_no_keyword(text):
    assert not inbound.is_keyword(text, "OPT_OUT_KEYWORDS")


def test_stop_opts_the_contact_out_and_sends_one_confirmation_in_its_language(
    django_capture_on_commit_callbacks, announced
):
    contact = ContactFactory(status=Status.VERIFIED, language="id")

    with django_capture_on_commit_callbacks(execute=True):
        message = receive(contact, "Stop")

    contact.refresh_from_db()
    assert contact.status == Status.OPTED_OUT
    assert (message.contact, message.action) == (contact, InboundMessage.Action.OPT_OUT)
    assert sent_bodies() == [
        "Yayasan Bhinneka: Anda tidak akan menerima SMS lagi dari kami. Balas START untuk "
        "berlangganan kembali."
    ]
    assert Delivery.objects.get().purpose == "opt_out_confirmation"
    entry = ModelLogEntry.objects.for_instance(contact).get()
    assert entry.data["via"] == "sms_keyword"
    assert announced == []  # keywords are not passed on


def test_a_repeated_stop_gets_no_second_confirmation(django_capture_on_commit_callbacks):
    contact = ContactFactory(status=Status.VERIFIED, language="en")

    with django_capture_on_commit_callbacks(execute=True):
        receive(contact, "STOP", message_id="SM1")
        second = receive(contact, "berhenti", message_id="SM2")

    assert sent_bodies() == [
        "Yayasan Bhinneka: you will get no more SMS from us. Reply START to subscribe again."
    ]
    assert second.action == InboundMessage.Action.OPT_OUT
    assert InboundMessage.objects.count() == 2


def test_start_brings_an_opted_out_contact_back_with_a_confirmation(
    django_capture_on_commit_callbacks,
):
    contact = ContactFactory(status=Status.OPTED_OUT, language="en")

    with django_capture_on_commit_callbacks(execute=True):
        message = receive(contact, "start")

    contact.refresh_from_db()
    assert contact.status == Status.VERIFIED
    assert contact.consent_source == Contact.ConsentSource.SMS_KEYWORD
    assert message.action == InboundMessage.Action.OPT_IN
    assert sent_bodies() == ["Yayasan Bhinneka: you will get our SMS again. Reply STOP to stop."]
    assert Delivery.objects.get().purpose == "opt_in_confirmation"


def test_a_blocked_contact_stays_blocked_and_gets_nothing(
    django_capture_on_commit_callbacks, announced
):
    contact = ContactFactory(status=Status.BLOCKED)

    with django_capture_on_commit_callbacks(execute=True):
        message = receive(contact, "DAFTAR")

    contact.refresh_from_db()
    assert contact.status == Status.BLOCKED
    assert message.action == InboundMessage.Action.NONE
    assert sent_bodies() == []
    assert announced == []


def test_ya_from_a_pending_contact_is_passed_on_as_a_reply(announced):
    contact = ContactFactory(status=Status.PENDING)

    message = receive(contact, "Ya")

    assert announced == [message]
    # Not an opt-in: the verification reply verified the contact, and the inbox says so.
    assert message.action == InboundMessage.Action.VERIFIED
    assert not Delivery.objects.filter(purpose="opt_in_confirmation").exists()


def test_other_messages_go_to_the_inbox_and_the_signal_matched_to_their_contact(announced):
    contact = ContactFactory(status=Status.VERIFIED)

    message = receive(contact, "Jam berapa rapatnya?")

    assert announced == [message]
    stored = InboundMessage.objects.get()
    assert (stored.sender, stored.body, stored.contact) == (
        contact.phone,
        "Jam berapa rapatnya?",
        contact,
    )
    contact.refresh_from_db()
    assert contact.last_message_received_at == stored.received_at


def test_a_message_from_an_unknown_number_is_stored_without_a_contact(announced):
    message = receive("+6281399990000", "STOP")

    assert message.contact is None
    assert InboundMessage.objects.get().sender == "+6281399990000"
    assert announced == []
    assert not Delivery.objects.exists()


def test_a_message_the_provider_delivers_twice_is_stored_and_acted_on_once(
    django_capture_on_commit_callbacks, announced
):
    contact = ContactFactory(status=Status.VERIFIED)

    with django_capture_on_commit_callbacks(execute=True):
        first = receive(contact, "Halo", message_id="SM9")
        again = receive(contact, "Halo", message_id="SM9")

    assert first is not None and again is None
    assert InboundMessage.objects.count() == 1
    assert announced == [first]


def test_the_keyword_lists_are_settings(settings):
    configure(settings, OPT_OUT_KEYWORDS=["BASTA"])
    contact = ContactFactory(status=Status.VERIFIED)

    receive(contact, "stop", message_id="SM1")
    contact.refresh_from_db()
    assert contact.status == Status.VERIFIED

    receive(contact, "Basta!", message_id="SM2")
    contact.refresh_from_db()
    assert contact.status == Status.OPTED_OUT


def test_the_confirmation_names_the_organisation_of_the_verification_messages(
    django_capture_on_commit_callbacks,
):
    VerificationMessages.objects.create(organisation="YB Sumba")
    contact = ContactFactory(status=Status.VERIFIED, language="en")

    with django_capture_on_commit_callbacks(execute=True):
        receive(contact, "STOP")

    assert sent_bodies()[0].startswith("YB Sumba: you will get no more SMS from us.")
