from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule
from django_q.scheduler import scheduler
from django_q.tasks import async_task

import wagtail_grantee_sms
from tests.sms.factories import DeliveryFactory
from tests.sms.pipeline_backends import configure
from wagtail_grantee_sms import sending, tasks
from wagtail_grantee_sms.backends import locmem
from wagtail_grantee_sms.models import Delivery

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def locmem_backend(settings):
    configure(settings)


def test_a_delivery_is_sent_by_a_worker_through_the_broker_and_only_once(queue_worker):
    delivery = DeliveryFactory()

    # The same task queued twice, as a broker may deliver it twice.
    for _copy in range(2):
        async_task("wagtail_grantee_sms.tasks.send_delivery", delivery.pk, sync=False)

    assert queue_worker.broker.queue_size() == 2
    assert wagtail_grantee_sms.outbox == []  # nothing sent before a worker runs

    assert len(queue_worker.drain()) == 2
    assert [m.reference for m in wagtail_grantee_sms.outbox] == [str(delivery.uuid)]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.ACCEPTED, 1)


def test_a_batch_task_travels_through_the_broker(queue_worker):
    deliveries = DeliveryFactory.create_batch(2)

    async_task("wagtail_grantee_sms.tasks.send_deliveries", [d.pk for d in deliveries], sync=False)
    queue_worker.drain()

    assert len(wagtail_grantee_sms.outbox) == 2


def test_a_scheduled_retry_runs_when_it_is_due(django_capture_on_commit_callbacks):
    delivery = DeliveryFactory()
    locmem.fail(delivery.phone, code="throttled", permanent=False)
    with django_capture_on_commit_callbacks(execute=True):
        sending.send_delivery(delivery.pk)
    locmem.reset()

    scheduler()  # not due yet
    assert wagtail_grantee_sms.outbox == []

    Schedule.objects.filter(func="wagtail_grantee_sms.tasks.send_delivery").update(
        next_run=timezone.now() - timedelta(seconds=1)
    )
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    scheduler()

    assert len(wagtail_grantee_sms.outbox) == 1
    assert not Schedule.objects.filter(func="wagtail_grantee_sms.tasks.send_delivery").exists()


def test_the_recovery_of_interrupted_deliveries_is_scheduled_once():
    tasks.ensure_schedules()  # migrate already ran it once
    tasks.ensure_schedules()

    recovery = Schedule.objects.get(name=tasks.RECOVERY_SCHEDULE)
    assert recovery.func == "wagtail_grantee_sms.tasks.recover_deliveries"
    assert recovery.schedule_type == Schedule.MINUTES


def test_the_recovery_task_marks_an_interrupted_delivery_for_review():
    delivery = DeliveryFactory(
        status=Delivery.Status.SENDING, attempts=1, claimed_at=timezone.now() - timedelta(hours=2)
    )

    tasks.recover_deliveries()

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.REVIEW
    assert wagtail_grantee_sms.outbox == []
