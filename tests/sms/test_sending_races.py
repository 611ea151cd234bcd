"""Answers that arrive in an unexpected order: a status report faster than the send result,
and a provider's acceptance slower than ``SENDING_TIMEOUT``."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

import wagtail_grantee_sms
from tests.sms import pipeline_backends
from tests.sms.factories import DeliveryFactory, UserFactory
from wagtail_grantee_sms import sending
from wagtail_grantee_sms.backends import OPTED_OUT, DeliveryReport, DeliveryStatus
from wagtail_grantee_sms.models import Contact, Delivery

pytestmark = pytest.mark.django_db

SECRET = "s3cret-token"
Status = Delivery.Status


@pytest.fixture(autouse=True)
def slow_provider(settings):
    pipeline_backends.configure(
        settings,
        "tests.sms.pipeline_backends.SlowAnswerBackend",
        options={"webhook_secret": SECRET},
    )
    pipeline_backends.meanwhile.clear()
    yield
    pipeline_backends.meanwhile.clear()


def post_report(message_id, status, **extra):
    """The provider's status report, through the real webhook view."""
    url = reverse("wagtail_grantee_sms:status-webhook", args=["default"]) + f"?token={SECRET}"
    payload = {"reports": [{"id": message_id, "status": status, **extra}]}
    response = Client().post(url, json.dumps(payload), content_type="application/json")
    assert response.status_code == 200


# -- a report before the send result --------------------------------------------------------


def test_a_delivery_report_faster_than_the_send_result_is_applied():
    delivery = DeliveryFactory()
    pipeline_backends.meanwhile.append(lambda result: post_report(result.message_id, "delivered"))

    sending.send_delivery(delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    assert delivery.provider_message_id.startswith("locmem-")


def test_an_opt_out_report_faster_than_the_send_result_opts_the_contact_out():
    delivery = DeliveryFactory()
    pipeline_backends.meanwhile.append(
        lambda result: post_report(result.message_id, "failed", code="21610", reason=OPTED_OUT)
    )

    sending.send_delivery(delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED
    assert Contact.objects.get(pk=delivery.contact_id).status == Contact.Status.OPTED_OUT


def test_a_report_that_lands_while_the_result_is_saved_is_applied_by_the_recovery_run():
    delivery = DeliveryFactory(status=Status.ACCEPTED, provider_message_id="P-7")
    # Parked the instant before the result was saved: nothing applied it yet.
    pipeline_backends.meanwhile.clear()
    sending.UnmatchedDeliveryReport.objects.create(
        backend_alias="default", provider_message_id="P-7", status="delivered"
    )

    sending.recover_deliveries()

    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    assert not sending.UnmatchedDeliveryReport.objects.exists()


def test_reports_that_never_match_are_forgotten_after_unmatched_report_hours(settings):
    settings.WAGTAIL_GRANTEE_SMS |= {"UNMATCHED_REPORT_HOURS": 1}
    sending.apply_delivery_report(
        "default", DeliveryReport(message_id="nobody", status=DeliveryStatus.DELIVERED)
    )
    sending.apply_delivery_report(
        "default", DeliveryReport(message_id="recent", status=DeliveryStatus.DELIVERED)
    )
    sending.UnmatchedDeliveryReport.objects.filter(provider_message_id="nobody").update(
        received_at=timezone.now() - timedelta(hours=2)
    )

    sending.recover_deliveries()

    assert list(
        sending.UnmatchedDeliveryReport.objects.values_list("provider_message_id", flat=True)
    ) == ["recent"]


# -- an acceptance after SENDING_TIMEOUT ---------------------------------------------------


def recovery_runs_meanwhile(result):
    """The worker is slower than SENDING_TIMEOUT: the recovery run sets the delivery aside."""
    Delivery.objects.filter(uuid=result.message.reference).update(
        claimed_at=timezone.now() - timedelta(seconds=601)
    )
    sending.recover_deliveries()
    assert Delivery.objects.get(uuid=result.message.reference).status == Status.REVIEW


def test_a_late_acceptance_is_recorded_on_the_delivery_under_review():
    delivery = DeliveryFactory()
    pipeline_backends.meanwhile.append(recovery_runs_meanwhile)

    sending.send_delivery(delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == Status.ACCEPTED
    assert delivery.provider_message_id.startswith("locmem-")
    assert delivery.answered_late_at is not None
    assert (delivery.error_code, delivery.error_message) == ("", "")
    entry = ModelLogEntry.objects.for_instance(delivery).get()
    assert entry.action == "wagtail_grantee_sms.delivery_accepted_late"


def test_the_reviewer_sees_the_late_acceptance_and_cannot_send_it_again(client):
    delivery = DeliveryFactory()
    pipeline_backends.meanwhile.append(recovery_runs_meanwhile)
    sending.send_delivery(delivery.pk)
    client.force_login(UserFactory(permissions=["view_delivery", "resolve_delivery"]))
    viewset_url = "wagtailsnippets_wagtail_grantee_sms_delivery:{}"

    page = client.get(reverse(viewset_url.format("inspect"), args=[delivery.pk]))
    resend = client.post(reverse(viewset_url.format("resend"), args=[delivery.pk]), follow=True)

    assert "The provider accepted this message late" in page.content.decode()
    assert "send again" not in page.content.decode()
    assert "does not need review" in resend.content.decode()
    assert len(wagtail_grantee_sms.outbox) == 1
    assert Delivery.objects.get(pk=delivery.pk).status == Status.ACCEPTED


def test_a_late_acceptance_after_the_reviewer_queued_it_again_stops_the_second_send(
    django_capture_on_commit_callbacks,
):
    delivery = DeliveryFactory()

    def reviewer_resends_meanwhile(result):
        recovery_runs_meanwhile(result)
        stuck = Delivery.objects.get(uuid=result.message.reference)
        assert sending.resolve_review(stuck, resend=True)

    pipeline_backends.meanwhile.append(reviewer_resends_meanwhile)
    with django_capture_on_commit_callbacks(execute=False):
        sending.send_delivery(delivery.pk)
    pipeline_backends.meanwhile.clear()
    sending.send_delivery(delivery.pk)  # the reviewer's resend task runs afterwards

    assert len(wagtail_grantee_sms.outbox) == 1
    delivery.refresh_from_db()
    assert delivery.status == Status.ACCEPTED
    assert delivery.answered_late_at is not None


def test_a_report_naming_our_reference_finds_its_delivery_without_the_providers_id():
    """Vonage echoes the client reference: the receipt of a long message's second part (an
    id of its own) still reaches the delivery."""
    delivery = DeliveryFactory(status=Status.ACCEPTED, provider_message_id="PART-1")

    found = sending.apply_delivery_report(
        "default",
        DeliveryReport(
            message_id="PART-2", status=DeliveryStatus.DELIVERED, reference=str(delivery.uuid)
        ),
    )

    assert found == delivery
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    assert not sending.UnmatchedDeliveryReport.objects.exists()


def test_a_report_by_reference_during_the_send_waits_for_the_result():
    delivery = DeliveryFactory()

    def early_receipt_of_another_part(result):
        sending.apply_delivery_report(
            "default",
            DeliveryReport(
                message_id="PART-2",
                status=DeliveryStatus.FAILED,
                reference=result.message.reference,
                reason=OPTED_OUT,
            ),
        )

    pipeline_backends.meanwhile.append(early_receipt_of_another_part)

    sending.send_delivery(delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED
    assert delivery.provider_message_id.startswith("locmem-")  # the answer was recorded too
    assert Contact.objects.get(pk=delivery.contact_id).status == Contact.Status.OPTED_OUT
