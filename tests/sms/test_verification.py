"""The verification workflow: codes, replies, manual proof, blocking, and its audit trail."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from wagtail.models import ModelLogEntry

import wagtail_grantee_sms
from tests.concurrency import needs_postgresql, run_concurrently
from wagtail_grantee_sms import inbound, verification
from wagtail_grantee_sms.backends import InboundSMS
from wagtail_grantee_sms.models import Contact, Delivery, VerificationCode, VerificationMessages

from .factories import ContactFactory, UserFactory
from .pipeline_backends import configure

pytestmark = pytest.mark.django_db

Status = Contact.Status


@pytest.fixture(autouse=True)
def locmem_backend(settings):
    configure(settings)
    return settings


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """Run ``func`` and send what it queued; return the bodies of the SMS that went out."""

    def run(func, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            func(*args, **kwargs)
        return [message.body for message in wagtail_grantee_sms.outbox]

    return run


def code_in(body):
    return re.search(r"\b(\d{6})\b", body).group(1)


def reply(contact, text):
    """The contact sends ``text`` by SMS, as the inbound webhook would hand it over."""
    return inbound.receive("default", InboundSMS(sender=contact.phone, body=text))


def actions(contact):
    return list(
        ModelLogEntry.objects.for_instance(contact)
        .order_by("timestamp")
        .values_list("action", flat=True)
    )


# Codes


def test_a_code_sms_makes_the_contact_pending_in_its_language(sent):
    contact = ContactFactory(language=Contact.Language.ENGLISH)

    bodies = sent(verification.start_verification, contact)

    assert len(bodies) == 1
    assert "your verification code is" in bodies[0]
    contact.refresh_from_db()
    assert contact.status == Status.PENDING
    assert actions(contact) == ["wagtail_grantee_sms.verification_sent"]


def test_an_indonesian_contact_gets_the_indonesian_text(sent):
    contact = ContactFactory(language=Contact.Language.INDONESIAN)

    bodies = sent(verification.start_verification, contact)

    assert "kode verifikasi Anda" in bodies[0]


def test_the_code_is_stored_only_as_a_hash(sent):
    contact = ContactFactory()

    code = code_in(sent(verification.start_verification, contact)[0])

    stored = VerificationCode.objects.get(contact=contact)
    assert code not in stored.code_hash
    assert stored.expires_at - timezone.now() > timedelta(hours=23)


def test_the_right_code_verifies_and_is_logged_with_who_entered_it(sent):
    contact = ContactFactory()
    code = code_in(sent(verification.start_verification, contact)[0])
    editor = UserFactory()

    assert verification.verify_code(contact, code, user=editor) is True

    contact.refresh_from_db()
    assert contact.status == Status.VERIFIED
    entry = (
        ModelLogEntry.objects.for_instance(contact)
        .filter(action="wagtail_grantee_sms.verified")
        .get()
    )
    assert entry.user == editor
    assert entry.data["reason"] == "code"


def test_a_code_cannot_be_used_twice(sent):
    contact = ContactFactory()
    code = code_in(sent(verification.start_verification, contact)[0])
    verification.verify_code(contact, code)

    with pytest.raises(verification.VerificationError):
        verification.verify_code(contact, code)


def test_a_wrong_code_does_not_verify_and_counts_as_an_attempt(sent):
    contact = ContactFactory()
    code = code_in(sent(verification.start_verification, contact)[0])
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    assert verification.verify_code(contact, wrong) is False

    contact.refresh_from_db()
    assert contact.status == Status.PENDING
    assert VerificationCode.objects.get(contact=contact).attempts == 1


def test_after_five_wrong_codes_even_the_right_one_is_refused(sent):
    contact = ContactFactory()
    code = code_in(sent(verification.start_verification, contact)[0])
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _attempt in range(5):
        verification.verify_code(contact, wrong)

    with pytest.raises(verification.VerificationError, match="Too many wrong codes"):
        verification.verify_code(contact, code)


def test_an_expired_code_is_refused(sent):
    contact = ContactFactory()
    code = code_in(sent(verification.start_verification, contact)[0])
    VerificationCode.objects.update(expires_at=timezone.now() - timedelta(minutes=1))

    with pytest.raises(verification.VerificationError, match="no valid code"):
        verification.verify_code(contact, code)


def test_a_new_code_replaces_the_old_one(sent):
    contact = ContactFactory()
    first = code_in(sent(verification.start_verification, contact)[0])
    second = code_in(sent(verification.start_verification, contact)[-1])

    if first != second:
        assert verification.verify_code(contact, first) is False
    assert verification.verify_code(contact, second) is True


def test_sends_to_one_number_are_limited_per_hour(sent, settings):
    configure(settings, VERIFICATION_SENDS_PER_HOUR=2)
    contact = ContactFactory()
    sent(verification.start_verification, contact)
    sent(verification.start_verification, contact)

    with pytest.raises(verification.VerificationError, match="already sent"):
        verification.start_verification(contact)
    assert len(wagtail_grantee_sms.outbox) == 2


def test_the_contact_replying_its_code_by_sms_verifies_it(sent):
    contact = ContactFactory()
    code = code_in(sent(verification.start_verification, contact)[0])

    reply(contact, f" {code[:3]} {code[3:]} ")

    contact.refresh_from_db()
    assert contact.status == Status.VERIFIED
    entry = ModelLogEntry.objects.for_instance(contact).get(action="wagtail_grantee_sms.verified")
    assert entry.data["via"] == "sms_reply"


# Replies YA / YES


@pytest.mark.parametrize("answer", ["YA", "ya", "Yes", "YES!"])
def test_a_pending_contact_replying_ya_or_yes_is_verified(sent, answer):
    contact = ContactFactory(language=Contact.Language.INDONESIAN)
    bodies = sent(verification.start_verification, contact, "reply")
    assert "balas YA" in bodies[0]

    reply(contact, answer)

    contact.refresh_from_db()
    assert contact.status == Status.VERIFIED


def test_a_reply_from_a_contact_that_was_not_asked_changes_nothing():
    contact = ContactFactory(status=Status.UNVERIFIED)

    reply(contact, "YES")

    contact.refresh_from_db()
    assert contact.status == Status.UNVERIFIED


# Methods allowed by the site


def test_a_method_the_site_does_not_allow_is_refused(settings):
    configure(settings, VERIFICATION_METHODS=["manual"])
    contact = ContactFactory()

    with pytest.raises(verification.VerificationError, match="does not allow"):
        verification.start_verification(contact, "code")
    contact.refresh_from_db()
    assert contact.status == Status.UNVERIFIED


def test_replies_are_ignored_when_the_reply_method_is_off(sent, settings):
    contact = ContactFactory()
    sent(verification.start_verification, contact, "reply")
    configure(settings, VERIFICATION_METHODS=["code"])

    reply(contact, "YES")

    contact.refresh_from_db()
    assert contact.status == Status.PENDING


# Manual verification


def test_manual_verification_needs_the_permission_and_a_note():
    contact = ContactFactory()
    verifier = UserFactory(permissions=["verify_contact"])

    with pytest.raises(PermissionDenied):
        verification.mark_verified(contact, UserFactory(), "Signed form")
    with pytest.raises(verification.VerificationError):
        verification.mark_verified(contact, verifier, "  ")

    assert verification.mark_verified(contact, verifier, "Signed paper form, file 12") is True
    entry = ModelLogEntry.objects.for_instance(contact).get()
    assert (entry.user, entry.data["via"], entry.data["reason"]) == (
        verifier,
        "manual",
        "Signed paper form, file 12",
    )


# Opted out is final for admins


@pytest.mark.parametrize(
    "admin_action",
    [
        lambda contact, user: verification.mark_verified(contact, user, "paper form"),
        lambda contact, user: verification.start_verification(contact, user=user),
        lambda contact, user: verification.block(contact, user),
        lambda contact, user: verification.unblock(contact, user),
    ],
    ids=["mark_verified", "start_verification", "block", "unblock"],
)
def test_no_admin_action_moves_an_opted_out_contact(admin_action):
    contact = ContactFactory(status=Status.OPTED_OUT)
    admin = UserFactory(permissions=["verify_contact", "change_contact"])

    with pytest.raises(verification.TransitionNotAllowed):
        admin_action(contact, admin)

    contact.refresh_from_db()
    assert contact.status == Status.OPTED_OUT


def test_changing_an_opted_out_contacts_number_keeps_it_opted_out():
    contact = ContactFactory(status=Status.OPTED_OUT)

    contact.phone = "+6285711112222"
    contact.save()

    contact.refresh_from_db()
    assert contact.status == Status.OPTED_OUT


def test_an_opted_out_contact_comes_back_only_by_its_own_keyword():
    contact = ContactFactory(status=Status.OPTED_OUT)

    reply(contact, "START")

    contact.refresh_from_db()
    assert contact.status == Status.VERIFIED


# Blocking and number changes


def test_blocking_and_unblocking_are_logged_and_unblocking_needs_a_new_verification():
    contact = ContactFactory(status=Status.VERIFIED)
    admin = UserFactory()

    verification.block(contact, admin, reason="Asked by phone")
    verification.unblock(contact, admin)

    contact.refresh_from_db()
    assert contact.status == Status.UNVERIFIED
    assert actions(contact) == ["wagtail_grantee_sms.block", "wagtail_grantee_sms.unblock"]


@pytest.mark.parametrize("status", [Status.PENDING, Status.VERIFIED, Status.INVALID])
def test_a_new_number_returns_the_contact_to_unverified_and_kills_its_codes(sent, status):
    contact = ContactFactory()
    sent(verification.start_verification, contact)
    Contact.objects.filter(pk=contact.pk).update(status=status)
    contact = Contact.objects.get(pk=contact.pk)

    contact.phone = "+6285711112222"
    contact.save()

    contact.refresh_from_db()
    assert contact.status == Status.UNVERIFIED
    assert not VerificationCode.objects.filter(contact=contact).exists()
    assert actions(contact)[-1] == "wagtail_grantee_sms.number_changed"


# Editable messages


def test_the_messages_are_editable_per_language(sent):
    messages = VerificationMessages.load()
    messages.organisation = "Lembaga Bhinneka"
    messages.code_message_en = "{organisation} code: {code}"
    messages.save()
    contact = ContactFactory(language=Contact.Language.ENGLISH)

    body = sent(verification.start_verification, contact)[0]

    assert re.fullmatch(r"Lembaga Bhinneka code: \d{6}", body)


def test_a_code_message_without_the_code_is_refused():
    from django.core.exceptions import ValidationError

    messages = VerificationMessages(code_message_id="Halo dari {organisation}")

    with pytest.raises(ValidationError):
        messages.full_clean()


# The code is a secret: rendered only when the SMS is handed to the backend


def queued_verification(contact, django_capture_on_commit_callbacks, method="code"):
    """Queue a verification SMS without sending it; returns its delivery."""
    with django_capture_on_commit_callbacks(execute=False) as queued:
        delivery = verification.start_verification(contact, method)
    return delivery, queued


def test_a_queued_code_sms_does_not_hold_the_code(django_capture_on_commit_callbacks):
    contact = ContactFactory(language=Contact.Language.ENGLISH)

    delivery, queued = queued_verification(contact, django_capture_on_commit_callbacks)

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.QUEUED
    assert "your verification code is ******." in delivery.body
    assert not re.search(r"\d{6}", delivery.body)
    for callback in queued:
        callback()  # the worker sends it now
    code = code_in(wagtail_grantee_sms.outbox[0].body)
    delivery.refresh_from_db()
    assert code not in delivery.body
    assert verification.verify_code(contact, code) is True


def test_a_retry_after_a_transient_error_sends_the_right_code(sent):
    from wagtail_grantee_sms import sending
    from wagtail_grantee_sms.backends import locmem

    contact = ContactFactory()
    locmem.fail(contact.phone, code="busy", message="Try later", permanent=False)
    sent(verification.start_verification, contact)
    delivery = Delivery.objects.get(contact=contact)
    assert (delivery.status, delivery.attempts) == (Delivery.Status.QUEUED, 1)
    assert not re.search(r"\d{6}", delivery.body)

    locmem.reset()
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=None)
    sending.send_delivery(delivery.pk)

    assert verification.verify_code(contact, code_in(wagtail_grantee_sms.outbox[0].body)) is True


def test_a_resend_after_review_sends_the_right_code(django_capture_on_commit_callbacks):
    from wagtail_grantee_sms import sending

    contact = ContactFactory()
    delivery, _queued = queued_verification(contact, django_capture_on_commit_callbacks)
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.REVIEW)
    delivery.refresh_from_db()
    assert not re.search(r"\d{6}", delivery.body)  # what the reviewer sees

    with django_capture_on_commit_callbacks(execute=True):
        sending.resolve_review(delivery, resend=True)

    assert verification.verify_code(contact, code_in(wagtail_grantee_sms.outbox[0].body)) is True


def test_a_queued_code_sms_whose_code_was_replaced_carries_the_new_one(sent, settings):
    contact = ContactFactory()
    configure(settings, VERIFICATION_SENDS_PER_HOUR=5)
    with pytest.MonkeyPatch.context() as patch:  # the first SMS waits in the queue
        patch.setattr("wagtail_grantee_sms.tasks.enqueue_delivery", lambda pk, at=None: None)
        sent(verification.start_verification, contact)
    first = Delivery.objects.get(contact=contact)
    sent(verification.start_verification, contact)

    from wagtail_grantee_sms import sending

    sending.send_delivery(first.pk)

    codes = {code_in(message.body) for message in wagtail_grantee_sms.outbox}
    assert len(codes) == 1  # both SMS carry the one valid code
    assert verification.verify_code(contact, codes.pop()) is True


def test_a_queued_code_sms_is_not_sent_once_its_code_was_used(sent):
    from wagtail_grantee_sms import sending

    contact = ContactFactory()
    code = code_in(sent(verification.start_verification, contact)[0])
    verification.verify_code(contact, code)
    delivery = Delivery.objects.get(contact=contact)
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.QUEUED)

    sending.send_delivery(delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.error_code) == (Delivery.Status.FAILED, "not_allowed")
    assert len(wagtail_grantee_sms.outbox) == 1


def test_a_user_who_may_not_verify_cannot_read_the_code_in_the_admin(
    client, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    contact = ContactFactory()
    delivery, queued = queued_verification(contact, django_capture_on_commit_callbacks)
    client.force_login(UserFactory(permissions=["change_contact", "view_delivery"]))

    page = client.get(
        reverse("wagtailsnippets_wagtail_grantee_sms_delivery:inspect", args=[delivery.pk])
    ).content.decode()
    for callback in queued:
        callback()  # sent after the user looked
    code = code_in(wagtail_grantee_sms.outbox[0].body)

    assert "******" in page
    assert code not in page


# Consent


def without_consent(**kwargs):
    return ContactFactory(consent_source="", consent_given_at=None, **kwargs)


def test_no_code_is_sent_to_a_contact_without_recorded_consent(sent):
    contact = without_consent()

    with pytest.raises(verification.VerificationError) as refused:
        sent(verification.start_verification, contact)

    assert "No consent is recorded for this contact" in refused.value.message
    assert wagtail_grantee_sms.outbox == []
    assert not Delivery.objects.exists()


def test_a_code_does_not_verify_a_contact_whose_consent_is_not_recorded(sent):
    contact = ContactFactory()
    code = code_in(sent(verification.start_verification, contact)[0])
    Contact.objects.filter(pk=contact.pk).update(consent_source="", consent_given_at=None)
    contact.refresh_from_db()

    with pytest.raises(verification.VerificationError):
        verification.verify_code(contact, code)
    reply(contact, code)

    contact.refresh_from_db()
    assert contact.status == Status.PENDING


def test_replying_yes_records_what_the_contact_agreed_to(sent):
    contact = without_consent()
    asked = sent(verification.start_verification, contact, "reply")[0]

    reply(contact, "Yes")

    contact.refresh_from_db()
    assert contact.status == Status.VERIFIED
    assert contact.consent_source == Contact.ConsentSource.SMS_KEYWORD
    assert contact.consent_given_at is not None
    assert contact.consent_note == f"Replied “Yes” by SMS to: “{asked}”"


def test_the_admin_says_why_a_code_cannot_be_sent(client):
    from django.urls import reverse

    contact = without_consent()
    client.force_login(UserFactory(permissions=["change_contact"]))

    response = client.post(
        reverse("wagtailsnippets_wagtail_grantee_sms_contact:send_verification", args=[contact.pk]),
        {"method": "code"},
    )

    assert "No consent is recorded for this contact" in response.content.decode()
    assert not Delivery.objects.exists()


def test_manual_verification_needs_a_recorded_consent(settings):
    contact = without_consent()
    admin = UserFactory(permissions=["verify_contact"])

    with pytest.raises(verification.VerificationError) as refused:
        verification.mark_verified(contact, admin, "Called her, she said yes")

    assert "No consent is recorded for this contact" in refused.value.message
    contact.refresh_from_db()
    assert contact.status == Status.UNVERIFIED


# Concurrency


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_to_one_contact_keep_its_hourly_limit():
    contact = ContactFactory()

    def admin_send():
        try:
            verification.start_verification(Contact.objects.get(pk=contact.pk))
        except verification.VerificationError:
            return "refused"
        return "sent"

    results = run_concurrently(admin_send, 8)

    assert Delivery.objects.filter(contact=contact).count() == 3
    assert results.count("refused") == 5
