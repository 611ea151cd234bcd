import functools
from datetime import timedelta
from decimal import Decimal

import pytest
import responses
from django.utils import timezone
from django_q.models import Schedule
from wagtail.models import ModelLogEntry

import wagtail_grantee_sms
from tests.concurrency import needs_postgresql, run_concurrently
from tests.sms import pipeline_backends
from tests.sms.factories import ContactFactory, DeliveryFactory
from wagtail_grantee_sms import sending
from wagtail_grantee_sms.backends import SMSBackendError, locmem
from wagtail_grantee_sms.models import Contact, Delivery
from wagtail_grantee_sms.signals import delivery_status_changed

pytestmark = pytest.mark.django_db

LOCMEM = "wagtail_grantee_sms.backends.locmem.SMSBackend"


@pytest.fixture(autouse=True)
def locmem_backend(settings):
    settings.WAGTAIL_GRANTEE_SMS = {"BACKENDS": {"default": {"BACKEND": LOCMEM}}}
    pipeline_backends.opened.clear()
    pipeline_backends.raise_next.clear()


def use_backend(settings, dotted_path, **extra):
    settings.WAGTAIL_GRANTEE_SMS = {
        "BACKENDS": {"default": {"BACKEND": dotted_path, **extra}},
        "RETRY_BACKOFF": 30,
    }


def test_a_queued_message_is_sent_when_the_transaction_commits(
    django_capture_on_commit_callbacks,
):
    contact = ContactFactory(status=Contact.Status.VERIFIED)

    with django_capture_on_commit_callbacks(execute=True):
        delivery = sending.queue_message(contact, "Halo", purpose="broadcast")
        assert wagtail_grantee_sms.outbox == []  # nothing leaves before the commit

    [message] = wagtail_grantee_sms.outbox
    assert (message.to, message.body, message.reference) == (
        contact.phone,
        "Halo",
        str(delivery.uuid),
    )
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.ACCEPTED
    assert delivery.provider_message_id.startswith("locmem-")
    assert delivery.attempts == 1
    assert delivery.segments == 1
    assert delivery.sent_at is not None


@pytest.mark.parametrize(
    ("status", "purpose"),
    [
        (Contact.Status.UNVERIFIED, "broadcast"),
        (Contact.Status.PENDING, "broadcast"),
        (Contact.Status.OPTED_OUT, "verification"),
        (Contact.Status.OPTED_OUT, "opt_in_confirmation"),
        (Contact.Status.BLOCKED, "other"),
        (Contact.Status.INVALID, "verification"),
    ],
)
def test_queue_message_refuses_contacts_that_may_not_get_the_message(status, purpose):
    contact = ContactFactory(status=status)

    with pytest.raises(sending.NotAllowedToSend):
        sending.queue_message(contact, "Halo", purpose=purpose)

    assert not Delivery.objects.exists()


def test_an_opted_out_contact_may_still_get_its_opt_out_confirmation(
    django_capture_on_commit_callbacks,
):
    contact = ContactFactory(status=Contact.Status.OPTED_OUT)

    with django_capture_on_commit_callbacks(execute=True):
        sending.queue_message(contact, "Berhenti", purpose="opt_out_confirmation")

    assert [m.body for m in wagtail_grantee_sms.outbox] == ["Berhenti"]


def test_an_unverified_contact_may_get_a_verification_message():
    contact = ContactFactory(status=Contact.Status.UNVERIFIED)

    delivery = sending.queue_message(contact, "Kode 123456", purpose="verification")

    assert delivery.status == Delivery.Status.QUEUED


def test_sending_the_same_delivery_twice_sends_one_sms():
    delivery = DeliveryFactory()

    sending.send_delivery(delivery.pk)
    sending.send_delivery(delivery.pk)

    assert len(wagtail_grantee_sms.outbox) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def test_a_contact_who_opted_out_after_queueing_gets_nothing():
    delivery = DeliveryFactory()
    Contact.objects.filter(pk=delivery.contact.pk).update(status=Contact.Status.OPTED_OUT)

    sending.send_delivery(delivery.pk)

    assert wagtail_grantee_sms.outbox == []
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.error_code == "not_allowed"
    assert delivery.permanent_error


def test_a_transient_error_is_retried_later_with_exponential_backoff(settings):
    use_backend(settings, LOCMEM)
    delivery = DeliveryFactory()
    locmem.fail(delivery.phone, code="throttled", message="Slow down", permanent=False)

    before = timezone.now()
    sending.send_delivery(delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.QUEUED
    assert delivery.error_code == "throttled"
    assert delivery.attempts == 1
    assert delivery.next_attempt_at >= before + timedelta(seconds=30)

    sending.send_delivery(delivery.pk)  # too early: a duplicate task does nothing
    delivery.refresh_from_db()
    assert delivery.attempts == 1

    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    before = timezone.now()
    sending.send_delivery(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.next_attempt_at >= before + timedelta(seconds=60)  # 30 s × 2

    locmem.reset()
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    sending.send_delivery(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.ACCEPTED
    assert delivery.attempts == 3
    assert len(wagtail_grantee_sms.outbox) == 1


def test_a_retry_is_scheduled_on_the_queue(settings, django_capture_on_commit_callbacks):
    use_backend(settings, LOCMEM)
    delivery = DeliveryFactory()
    locmem.fail(delivery.phone, code="throttled", permanent=False)

    with django_capture_on_commit_callbacks(execute=True):
        sending.send_delivery(delivery.pk)

    delivery.refresh_from_db()
    task = Schedule.objects.get(func="wagtail_grantee_sms.tasks.send_delivery")
    assert task.schedule_type == Schedule.ONCE
    assert task.next_run == delivery.next_attempt_at
    assert task.args == f"({delivery.pk},)"


def test_transient_errors_stop_after_max_attempts(settings):
    use_backend(settings, LOCMEM, MAX_ATTEMPTS=2)
    delivery = DeliveryFactory()
    locmem.fail(delivery.phone, code="timeout", permanent=False)

    for _attempt in range(3):
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=None)
        sending.send_delivery(delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == 2
    assert not delivery.permanent_error


def test_a_permanent_error_is_not_retried(django_capture_on_commit_callbacks):
    delivery = DeliveryFactory()
    locmem.fail(delivery.phone, code="21211", message="Invalid number", permanent=True)

    with django_capture_on_commit_callbacks(execute=True):
        sending.send_delivery(delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.permanent_error
    assert (delivery.error_code, delivery.error_message) == ("21211", "Invalid number")
    assert delivery.next_attempt_at is None
    assert not Schedule.objects.filter(func="wagtail_grantee_sms.tasks.send_delivery").exists()


def interrupted(**kwargs):
    """A delivery a worker claimed long ago and never finished (it crashed)."""
    return DeliveryFactory(
        status=Delivery.Status.SENDING,
        attempts=1,
        claimed_at=timezone.now() - timedelta(hours=1),
        **kwargs,
    )


def test_an_interrupted_delivery_is_not_resent_but_marked_for_review():
    delivery = interrupted()

    sending.send_delivery(delivery.pk)  # django-q2 delivers the crashed task again

    assert wagtail_grantee_sms.outbox == []
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.REVIEW
    assert delivery.attempts == 1


def test_an_interrupted_delivery_is_resent_with_the_same_reference_when_the_provider_dedupes(
    settings,
):
    use_backend(settings, LOCMEM, OPTIONS={"idempotent_references": True})
    delivery = interrupted()

    sending.recover_deliveries()

    [message] = wagtail_grantee_sms.outbox
    assert message.reference == str(delivery.uuid)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.ACCEPTED
    assert delivery.attempts == 2


def test_a_delivery_another_worker_is_sending_right_now_is_left_alone(settings):
    use_backend(settings, LOCMEM, OPTIONS={"idempotent_references": True})
    delivery = DeliveryFactory(
        status=Delivery.Status.SENDING, attempts=1, claimed_at=timezone.now()
    )

    sending.send_delivery(delivery.pk)
    sending.recover_deliveries()

    assert wagtail_grantee_sms.outbox == []
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENDING


def test_recovery_marks_every_interrupted_delivery_for_review():
    stuck = [interrupted(), interrupted()]
    queued = DeliveryFactory()

    sending.recover_deliveries()

    assert wagtail_grantee_sms.outbox == []
    assert {d.status for d in Delivery.objects.filter(pk__in=[d.pk for d in stuck])} == {
        Delivery.Status.REVIEW
    }
    queued.refresh_from_db()
    assert queued.status == Delivery.Status.QUEUED


def test_a_backend_error_that_may_have_reached_the_provider_is_not_retried_blindly(settings):
    use_backend(settings, "tests.sms.pipeline_backends.CountingBackend")
    pipeline_backends.raise_next.append(SMSBackendError("Read timed out"))
    delivery = DeliveryFactory()

    sending.send_delivery(delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.REVIEW
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=None)
    sending.send_delivery(delivery.pk)
    assert wagtail_grantee_sms.outbox == []


def test_a_backend_error_before_reaching_the_provider_is_retried(settings):
    use_backend(settings, "tests.sms.pipeline_backends.CountingBackend")
    pipeline_backends.raise_next.append(pipeline_backends.unreachable())
    delivery = DeliveryFactory()

    sending.send_delivery(delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.QUEUED
    assert delivery.error_code == "backend_error"
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=None)
    sending.send_delivery(delivery.pk)
    assert len(wagtail_grantee_sms.outbox) == 1


# -- a real HTTP gateway that is down, silent or throttling ---------------------------------

HTTP_GATEWAY = "wagtail_grantee_sms.backends.http.SMSBackend"


def use_gateway(settings, url):
    use_backend(settings, HTTP_GATEWAY, OPTIONS={"url": url, "timeout": 0.3})


def test_a_gateway_that_refuses_the_connection_gets_the_delivery_again_later(
    settings, refusing_url, django_capture_on_commit_callbacks
):
    use_gateway(settings, refusing_url)
    delivery = DeliveryFactory()

    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        sending.send_delivery(delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.QUEUED, 1)
    assert delivery.error_code == "backend_error"
    assert delivery.next_attempt_at >= before + timedelta(seconds=30)  # RETRY_BACKOFF
    retry = Schedule.objects.get(func="wagtail_grantee_sms.tasks.send_delivery")
    assert retry.next_run == delivery.next_attempt_at


@responses.activate
def test_a_gateway_that_throttles_the_request_gets_the_delivery_again_later(settings):
    use_gateway(settings, "https://gateway.example.org/send")
    responses.post("https://gateway.example.org/send", status=429)
    delivery = DeliveryFactory()

    sending.send_delivery(delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.QUEUED, 1)
    assert "too many requests" in delivery.error_message

    responses.replace(responses.POST, "https://gateway.example.org/send", body="OK")
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    sending.send_delivery(delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.ACCEPTED, 2)
    assert len(responses.calls) == 2


def test_a_gateway_that_took_the_request_and_timed_out_is_never_asked_again(
    settings, silent_gateway
):
    use_gateway(settings, silent_gateway.url)
    delivery = DeliveryFactory()

    sending.send_delivery(delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.REVIEW, 1)
    assert "ReadTimeout" in delivery.error_message
    settings.WAGTAIL_GRANTEE_SMS["SENDING_TIMEOUT"] = 0
    sending.send_delivery(delivery.pk)  # the task delivered again
    sending.recover_deliveries()
    assert silent_gateway.requests() == 1
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.REVIEW


def test_a_batch_uses_one_backend_connection(settings):
    use_backend(settings, "tests.sms.pipeline_backends.CountingBackend")
    deliveries = DeliveryFactory.create_batch(3)

    sending.send_deliveries([d.pk for d in deliveries])

    assert len(pipeline_backends.opened) == 1
    assert len(wagtail_grantee_sms.outbox) == 3


def test_the_price_comes_from_the_backend_settings_when_the_provider_gives_none(settings):
    use_backend(settings, LOCMEM, PRICE_PER_SEGMENT="450", CURRENCY="IDR")
    delivery = DeliveryFactory(body="x" * 161)  # two GSM-7 segments

    sending.send_delivery(delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.segments, delivery.price, delivery.currency) == (2, Decimal("900"), "IDR")


def test_status_changes_are_signalled():
    delivery = DeliveryFactory()
    seen = []

    def receiver(delivery, old_status, **kwargs):
        seen.append((old_status, delivery.status))

    delivery_status_changed.connect(receiver)
    try:
        sending.send_delivery(delivery.pk)
    finally:
        delivery_status_changed.disconnect(receiver)

    assert seen == [("sending", "accepted")]


def test_a_worker_that_dies_while_sending_leaves_the_delivery_for_review_not_a_resend(settings):
    use_backend(settings, "tests.sms.pipeline_backends.CountingBackend")
    pipeline_backends.raise_next.append(MemoryError("the worker is killed mid-send"))
    delivery = DeliveryFactory()

    with pytest.raises(MemoryError):
        sending.send_delivery(delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENDING
    sending.send_delivery(delivery.pk)  # django-q2 retries the task at once: left alone
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENDING

    Delivery.objects.filter(pk=delivery.pk).update(
        claimed_at=timezone.now() - timedelta(seconds=601)
    )
    sending.send_delivery(delivery.pk)  # after SENDING_TIMEOUT

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.REVIEW
    assert wagtail_grantee_sms.outbox == []


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_workers_racing_for_the_same_delivery_send_it_once():
    # The race is lost only now and then, so it is run many times: a claim that two workers
    # can both win shows up within a few rounds.
    for _round in range(20):
        wagtail_grantee_sms.outbox.clear()
        delivery = DeliveryFactory()

        run_concurrently(functools.partial(sending.send_delivery, delivery.pk), 6)

        assert len(wagtail_grantee_sms.outbox) == 1
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == (Delivery.Status.ACCEPTED, 1)


def test_a_batch_stops_at_a_provider_that_is_down_and_leaves_the_rest_queued(settings):
    use_backend(settings, "tests.sms.pipeline_backends.CountingBackend")
    pipeline_backends.raise_next.append(pipeline_backends.unreachable())
    first, *rest = DeliveryFactory.create_batch(3)

    sending.send_deliveries([first.pk, *[d.pk for d in rest]])

    first.refresh_from_db()
    assert first.attempts == 1  # tried, and scheduled for a retry
    assert [
        (d.status, d.attempts) for d in Delivery.objects.filter(pk__in=[d.pk for d in rest])
    ] == [(Delivery.Status.QUEUED, 0)] * 2
    assert wagtail_grantee_sms.outbox == []


def test_recovery_queues_again_the_deliveries_whose_task_was_lost():
    lost = DeliveryFactory()
    Delivery.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(hours=1))
    fresh = DeliveryFactory()  # its task is probably still on the queue
    later = DeliveryFactory(next_attempt_at=timezone.now() + timedelta(minutes=5))
    Delivery.objects.filter(pk=later.pk).update(created_at=timezone.now() - timedelta(hours=1))

    sending.recover_deliveries()  # the worker runs tasks at once in these tests

    assert [m.reference for m in wagtail_grantee_sms.outbox] == [str(lost.uuid)]
    fresh.refresh_from_db()
    later.refresh_from_db()
    assert fresh.status == later.status == Delivery.Status.QUEUED


@pytest.mark.parametrize(
    ("code", "status"),
    [("21610", Contact.Status.OPTED_OUT), ("21211", Contact.Status.INVALID)],
)
def test_a_provider_error_about_the_number_marks_the_contact(settings, code, status):
    use_backend(settings, "tests.sms.pipeline_backends.ProviderCodesBackend")
    delivery = DeliveryFactory()
    locmem.fail(delivery.phone, code=code, message="Refused", permanent=True)

    sending.send_delivery(delivery.pk)

    contact = Contact.objects.get(pk=delivery.contact.pk)
    assert contact.status == status
    assert ModelLogEntry.objects.for_instance(contact).get().data["via"] == "provider"
    later = DeliveryFactory(contact=contact, purpose="other")
    sending.send_delivery(later.pk)  # queued before the contact was marked: not sent
    assert wagtail_grantee_sms.outbox == []


def test_an_error_code_without_meaning_for_the_contact_leaves_it_alone(settings):
    use_backend(settings, "tests.sms.pipeline_backends.ProviderCodesBackend")
    delivery = DeliveryFactory()
    locmem.fail(delivery.phone, code="30007", message="Carrier filtered", permanent=True)

    sending.send_delivery(delivery.pk)

    assert Contact.objects.get(pk=delivery.contact.pk).status == Contact.Status.VERIFIED
