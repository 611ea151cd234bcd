"""Sending a broadcast in chunks: the pipeline's guarantees per delivery, at a constant number
of queries per chunk, and the actions that steer it (pause, resume, cancel, retry)."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.models import Schedule
from wagtail.models import ModelLogEntry

import wagtail_grantee_sms
from tests.concurrency import needs_postgresql, run_concurrently
from tests.sms import pipeline_backends
from wagtail_grantee_sms import broadcasting, ratelimit, sending
from wagtail_grantee_sms.backends import DeliveryReport, DeliveryStatus, SMSBackendError, locmem
from wagtail_grantee_sms.models import Broadcast, Contact, Delivery

from .factories import ContactFactory, ContactGroupFactory, SuperuserFactory, UserFactory

pytestmark = pytest.mark.django_db

Status = Delivery.Status
JAKARTA = ZoneInfo("Asia/Jakarta")


def configure(settings, backend="tests.sms.pipeline_backends.CountingBackend", **extra):
    """``pipeline_backends.configure`` with chunks of 50."""
    pipeline_backends.configure(settings, backend, BROADCAST_CHUNK_SIZE=50, **extra)


@pytest.fixture(autouse=True)
def counting_backend(settings):
    configure(settings)
    pipeline_backends.opened.clear()
    pipeline_backends.raise_next.clear()
    pipeline_backends.meanwhile.clear()
    yield
    pipeline_backends.raise_next.clear()
    pipeline_backends.meanwhile.clear()


def confirmed(count, *, body="Rapat Sabtu", user=None, **fields):
    """A broadcast confirmed to ``count`` verified contacts; its chunks not run yet (the
    test's transaction never commits)."""
    group = ContactGroupFactory()
    group.contacts.add(*ContactFactory.create_batch(count, status=Contact.Status.VERIFIED))
    broadcast = broadcasting.create_broadcast(body, [group])
    Broadcast.objects.filter(pk=broadcast.pk).update(**fields)
    broadcast.refresh_from_db()
    assert broadcasting.confirm_broadcast(broadcast, user or SuperuserFactory())
    return broadcast


def run(broadcast):
    """What the chunk tasks do, run in this process."""
    pks = list(broadcast.deliveries.order_by("pk").values_list("pk", flat=True))
    broadcasting.send_chunk(broadcast.pk, pks[0], pks[-1])
    broadcast.refresh_from_db()


def outbox():
    return wagtail_grantee_sms.outbox


def test_a_chunk_is_one_connection_one_send_call_and_constant_queries(settings):
    small, large = confirmed(5), confirmed(50)

    with CaptureQueriesContext(connection) as few:
        run(small)
    with CaptureQueriesContext(connection) as many:
        run(large)

    assert len(outbox()) == 55
    assert len(pipeline_backends.opened) == 2
    # (two of them are the savepoint of the recording transaction inside the test's own)
    assert len(few.captured_queries) == len(many.captured_queries) <= 13
    assert large.status == Broadcast.Status.DONE
    assert set(large.deliveries.values_list("status", flat=True)) == {Status.ACCEPTED}


def test_rate_limit_takes_slots_per_batch(settings):
    configure(settings, rate_limit=1000)
    broadcast = confirmed(30)

    run(broadcast)

    assert len(outbox()) == 30
    assert broadcast.status == Broadcast.Status.DONE


def test_database_bucket_hands_out_at_most_one_seconds_worth(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert ratelimit.acquire("bucket-test", 20, 50) == 20
    taken, wait = ratelimit.try_acquire_many("bucket-test", 20, 50)
    assert taken == 0 and 0 < wait <= 0.05 + 1e-6


def test_every_message_carries_its_delivery_reference_and_price(settings):
    configure(settings, price="450")
    broadcast = confirmed(3)

    run(broadcast)

    deliveries = {str(d.uuid): d for d in broadcast.deliveries.all()}
    assert {m.reference for m in outbox()} == set(deliveries)
    for message in outbox():
        delivery = deliveries[message.reference]
        assert message.to == delivery.phone
        assert delivery.price == Decimal("450") and delivery.currency == "IDR"
        assert delivery.provider_message_id and delivery.sent_at and delivery.attempts == 1


def test_running_a_chunk_twice_sends_nothing_more():
    broadcast = confirmed(4)
    run(broadcast)
    run(broadcast)
    assert len(outbox()) == 4


def test_pause_stops_before_the_next_claim_and_resume_sends_the_rest(
    django_capture_on_commit_callbacks,
):
    user = SuperuserFactory()
    broadcast = confirmed(6)
    assert broadcasting.pause_broadcast(broadcast, user)

    run(broadcast)
    assert outbox() == []
    assert broadcast.status == Broadcast.Status.PAUSED
    assert broadcasting.pause_broadcast(broadcast, user) is False

    with django_capture_on_commit_callbacks(execute=True):
        assert broadcasting.resume_broadcast(broadcast, user)

    assert len(outbox()) == 6
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.DONE
    actions = set(ModelLogEntry.objects.for_instance(broadcast).values_list("action", flat=True))
    assert {
        "wagtail_grantee_sms.broadcast.pause",
        "wagtail_grantee_sms.broadcast.resume",
    } <= actions


def test_pause_in_the_middle_of_a_chunk(settings):
    broadcast = confirmed(5)

    def pause(result):
        Broadcast.objects.filter(pk=broadcast.pk).update(status=Broadcast.Status.PAUSED)

    pipeline_backends.meanwhile.append(pause)
    configure(
        settings,
        backend="tests.sms.pipeline_backends.SlowAnswerBackend",
        rate_limit=2,  # two messages per claim
    )
    run(broadcast)

    assert len(outbox()) == 2
    assert broadcasting.progress(broadcast)["queued"] == 3


def test_cancel_stops_the_rest_and_keeps_what_went_out():
    user = SuperuserFactory()
    broadcast = confirmed(4)
    sent = broadcast.deliveries.order_by("pk")[:2]
    pks = [d.pk for d in sent]
    broadcasting.send_chunk(broadcast.pk, pks[0], pks[1])

    assert broadcasting.cancel_broadcast(broadcast, user)
    run(broadcast)

    assert len(outbox()) == 2
    progress = broadcasting.progress(broadcast)
    assert (progress["accepted"], progress["skipped"], progress["queued"]) == (2, 2, 0)
    assert broadcast.status == Broadcast.Status.CANCELLED
    assert broadcasting.cancel_broadcast(broadcast, user) is False
    assert broadcasting.retry_failed(broadcast, user) == 0
    assert ModelLogEntry.objects.filter(action="wagtail_grantee_sms.broadcast.cancel").count() == 1


def test_retry_failed_requeues_only_what_certainly_did_not_go_out(
    django_capture_on_commit_callbacks,
):
    broadcast = confirmed(5)
    run(broadcast)
    refused, reported, review, skipped, fine = broadcast.deliveries.order_by("pk")
    Delivery.objects.filter(pk=refused.pk).update(
        status=Status.FAILED, sent_at=None, error_code="30007", attempts=5
    )
    Delivery.objects.filter(pk=reported.pk).update(status=Status.FAILED, error_code="30003")
    Delivery.objects.filter(pk=review.pk).update(status=Status.REVIEW)
    Delivery.objects.filter(pk=skipped.pk).update(
        status=Status.FAILED, sent_at=None, error_code="not_allowed"
    )
    locmem.reset()

    with django_capture_on_commit_callbacks(execute=True):
        assert broadcasting.retry_failed(broadcast, SuperuserFactory()) == 1

    assert [m.reference for m in outbox()] == [str(refused.uuid)]
    refused.refresh_from_db()
    assert (refused.status, refused.attempts) == (Status.ACCEPTED, 1)
    assert ModelLogEntry.objects.filter(action="wagtail_grantee_sms.broadcast.retry").exists()


def test_opt_out_reported_by_the_provider_updates_the_contact(settings):
    configure(settings, backend="tests.sms.pipeline_backends.ProviderCodesBackend")
    broadcast = confirmed(3)
    stopped = broadcast.deliveries.order_by("pk").first()
    locmem.fail(stopped.phone, code="21610", message="Unsubscribed", permanent=True)

    run(broadcast)

    stopped.refresh_from_db()
    assert stopped.status == Status.FAILED and stopped.permanent_error
    assert stopped.contact.status == Contact.Status.OPTED_OUT
    assert len(outbox()) == 2


def test_transient_error_is_retried_later_with_backoff():
    broadcast = confirmed(2)
    slow = broadcast.deliveries.order_by("pk").first()
    locmem.fail(slow.phone, code="30001", message="Queue overflow", permanent=False)

    run(broadcast)

    slow.refresh_from_db()
    assert slow.status == Status.QUEUED
    assert slow.next_attempt_at > timezone.now() + timedelta(seconds=50)
    assert broadcast.status == Broadcast.Status.SENDING  # not done while a retry waits
    run(broadcast)  # too early: nothing happens
    assert len(outbox()) == 1


def test_provider_unreachable_leaves_the_rest_queued():
    broadcast = confirmed(3)
    pipeline_backends.raise_next.append(pipeline_backends.unreachable())

    run(broadcast)

    assert outbox() == []
    statuses = set(broadcast.deliveries.values_list("status", flat=True))
    assert statuses == {Status.QUEUED}  # retried with backoff


def test_maybe_sent_error_sets_the_batch_aside_for_review():
    broadcast = confirmed(3)
    pipeline_backends.raise_next.append(SMSBackendError("Read timed out", maybe_sent=True))

    run(broadcast)

    assert set(broadcast.deliveries.values_list("status", flat=True)) == {Status.REVIEW}


def test_a_chunk_interrupted_after_claiming_goes_to_review(settings):
    broadcast = confirmed(3)
    pks = list(broadcast.deliveries.values_list("pk", flat=True))
    claimed = broadcasting.claim_chunk(broadcast.pk, min(pks), max(pks), 50)
    assert len(claimed) == 3  # the worker dies here
    settings.WAGTAIL_GRANTEE_SMS["SENDING_TIMEOUT"] = 0

    sending.recover_deliveries()
    broadcasting.recover_broadcasts()

    assert set(broadcast.deliveries.values_list("status", flat=True)) == {Status.REVIEW}
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.DONE
    assert outbox() == []


def test_interrupted_chunk_is_resent_once_through_a_deduplicating_provider(settings):
    configure(settings, pipeline_backends.LOCMEM, options={"idempotent_references": True})
    broadcast = confirmed(3)
    pks = list(broadcast.deliveries.values_list("pk", flat=True))
    broadcasting.claim_chunk(broadcast.pk, min(pks), max(pks), 50)
    settings.WAGTAIL_GRANTEE_SMS["SENDING_TIMEOUT"] = 0

    run(broadcast)

    assert len(outbox()) == 3
    assert set(broadcast.deliveries.values_list("attempts", flat=True)) == {2}


def test_status_reports_move_forward_only_and_early_ones_wait(settings):
    configure(settings, backend="tests.sms.pipeline_backends.SlowAnswerBackend")
    broadcast = confirmed(2)

    def early_report(result):
        sending.apply_delivery_report(
            "default",
            DeliveryReport(message_id=result.message_id, status=DeliveryStatus.DELIVERED),
        )

    pipeline_backends.meanwhile.append(early_report)
    run(broadcast)

    assert set(broadcast.deliveries.values_list("status", flat=True)) == {Status.DELIVERED}
    delivery = broadcast.deliveries.first()
    sending.apply_delivery_report(
        "default",
        DeliveryReport(message_id=delivery.provider_message_id, status=DeliveryStatus.SENT),
    )
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED


def one_message_changed_while_sent(settings, status):
    """A broadcast to one contact, on a provider that answers slowly: meanwhile its delivery
    is set to ``status`` (a recovery run put it in review, a reviewer queued it again)."""
    configure(settings, backend="tests.sms.pipeline_backends.SlowAnswerBackend")
    broadcast = confirmed(1)
    delivery = broadcast.deliveries.get()

    def meanwhile(result):
        Delivery.objects.filter(pk=delivery.pk).update(status=status)

    pipeline_backends.meanwhile.append(meanwhile)
    return broadcast, delivery


def test_acceptance_after_review_is_recorded_late(settings):
    broadcast, delivery = one_message_changed_while_sent(settings, Status.REVIEW)
    run(broadcast)

    delivery.refresh_from_db()
    assert delivery.status == Status.ACCEPTED
    assert delivery.answered_late_at is not None


def test_scheduled_broadcast_waits_for_its_time(django_capture_on_commit_callbacks):
    at = timezone.now() + timedelta(days=1)
    group = ContactGroupFactory()
    group.contacts.add(ContactFactory(status=Contact.Status.VERIFIED))
    broadcast = broadcasting.create_broadcast("Rapat", [group], scheduled_at=at)

    with django_capture_on_commit_callbacks(execute=True):
        broadcasting.confirm_broadcast(broadcast, SuperuserFactory())

    assert broadcast.status == Broadcast.Status.SCHEDULED
    assert outbox() == []
    task = Schedule.objects.get(func="wagtail_grantee_sms.tasks.start_broadcast")
    assert task.next_run == at and task.schedule_type == Schedule.ONCE
    with django_capture_on_commit_callbacks(execute=True):
        broadcasting.start_broadcast(broadcast.pk)
    assert len(outbox()) == 1


@pytest.mark.parametrize(
    ("now", "start", "end", "until"),
    [
        ("22:30", "21:00", "07:00", "2026-03-11 07:00"),
        ("05:00", "21:00", "07:00", "2026-03-10 07:00"),
        ("12:00", "21:00", "07:00", None),
        ("12:30", "12:00", "13:00", "2026-03-10 13:00"),
        ("13:00", "12:00", "13:00", None),
    ],
)
def test_quiet_hours_in_site_time(now, start, end, until):
    broadcast = Broadcast(
        quiet_hours_start=time.fromisoformat(start), quiet_hours_end=time.fromisoformat(end)
    )
    moment = datetime.fromisoformat(f"2026-03-10 {now}").replace(tzinfo=JAKARTA)
    expected = datetime.fromisoformat(until).replace(tzinfo=JAKARTA) if until else None
    assert broadcasting.quiet_until(broadcast, moment) == expected


def test_quiet_hours_pause_the_chunk_until_they_end():
    local = timezone.localtime()
    start = (local - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (local + timedelta(hours=1)).time().replace(second=0, microsecond=0)
    broadcast = confirmed(2, quiet_hours_start=start, quiet_hours_end=end)

    run(broadcast)

    assert outbox() == []
    task = Schedule.objects.get(func="wagtail_grantee_sms.tasks.send_broadcast_chunk")
    assert timezone.localtime(task.next_run).time() == end


def test_budget_needs_permission_to_exceed(settings):
    configure(settings, pipeline_backends.LOCMEM, price="500", budget=1200)
    sender = UserFactory(permissions=["add_broadcast", "send_broadcast"])
    boss = UserFactory(permissions=["add_broadcast", "send_broadcast", "exceed_budget"])
    contact = ContactFactory(status=Contact.Status.VERIFIED)
    Delivery.objects.create(
        contact=contact,
        phone=contact.phone,
        body="x",
        purpose="other",
        price=Decimal("300"),
        currency="IDR",
        sent_at=timezone.now(),
    )
    Delivery.objects.create(  # last month: not counted
        contact=contact,
        phone=contact.phone,
        body="x",
        purpose="other",
        price=Decimal("900"),
        currency="IDR",
        sent_at=broadcasting.month_start() - timedelta(seconds=1),
    )
    budget = broadcasting.budget_status()
    assert (budget.budget, budget.spent, budget.committed, budget.remaining, budget.currency) == (
        Decimal("1200"),
        Decimal("300"),
        Decimal("0"),
        Decimal("900"),
        "IDR",
    )
    group = ContactGroupFactory()
    group.contacts.add(*ContactFactory.create_batch(2, status=Contact.Status.VERIFIED))
    broadcast = broadcasting.create_broadcast("Rapat", [group])  # 2 x 500 > 900

    with pytest.raises(broadcasting.BudgetExceeded):
        broadcasting.confirm_broadcast(broadcast, sender)
    assert broadcast.deliveries.count() == 0
    assert broadcasting.confirm_broadcast(broadcast, boss)
    assert broadcast.estimated_cost == Decimal("1000") and broadcast.currency == "IDR"


def budgeted(settings, budget):
    configure(settings, pipeline_backends.LOCMEM, price="500", budget=budget)
    return UserFactory(permissions=["add_broadcast", "send_broadcast"])


def money(budget):
    return budget.spent, budget.committed, budget.remaining


def test_confirmed_broadcasts_not_sent_yet_count_against_the_budget(settings):
    sender = budgeted(settings, 2000)
    first = confirmed(2, user=sender)  # 1000, not sent yet (its chunks wait for the commit)

    assert money(broadcasting.budget_status()) == (0, 1000, 1000)
    group = ContactGroupFactory()
    group.contacts.add(*ContactFactory.create_batch(3, status=Contact.Status.VERIFIED))
    second = broadcasting.create_broadcast("Rapat", [group])  # 1500 > 1000 left

    with pytest.raises(broadcasting.BudgetExceeded, match="1,000.00 IDR set aside"):
        broadcasting.confirm_broadcast(second, sender)
    assert second.deliveries.count() == 0

    run(first)  # sent: spent now, no longer committed
    assert money(broadcasting.budget_status()) == (1000, 0, 1000)


@pytest.mark.parametrize(
    "status, committed",
    [
        (Broadcast.Status.SCHEDULED, 2000),
        (Broadcast.Status.SENDING, 2000),
        (Broadcast.Status.PAUSED, 2000),
        (Broadcast.Status.CANCELLED, 0),
        (Broadcast.Status.DONE, 0),
    ],
)
def test_what_counts_as_committed_by_the_broadcasts_status(settings, status, committed):
    budgeted(settings, 10000)
    broadcast = confirmed(4)
    Broadcast.objects.filter(pk=broadcast.pk).update(status=status)

    assert broadcasting.budget_status().committed == committed


def test_messages_sent_failed_or_skipped_are_no_longer_committed(settings):
    budgeted(settings, 10000)
    broadcast = confirmed(4)  # 2000
    sent, failed, skipped, waiting = broadcast.deliveries.order_by("pk")
    Delivery.objects.filter(pk=sent.pk).update(
        status=Status.ACCEPTED, price=Decimal("500"), sent_at=timezone.now()
    )
    Delivery.objects.filter(pk=failed.pk).update(status=Status.FAILED, error_code="21211")
    Delivery.objects.filter(pk=skipped.pk).update(status=Status.FAILED, error_code="not_allowed")

    budget = broadcasting.budget_status()

    assert money(budget) == (500, 500, 9000)  # only the one still queued is committed
    assert budget.left == 9000 and budget.over == 0


def test_a_budget_overspent_says_by_how_much(settings):
    budgeted(settings, 1000)
    confirmed(4, user=SuperuserFactory())  # 2000: exceeds, with the permission

    budget = broadcasting.budget_status()

    assert (budget.remaining, budget.left, budget.over) == (-1000, 0, 1000)


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_confirmations_at_once_cannot_both_spend_what_is_left(settings, monkeypatch):
    from time import sleep

    sender = budgeted(settings, 1500)
    broadcasts = []
    for _ in range(2):  # 1000 each: either fits, not both
        group = ContactGroupFactory()
        group.contacts.add(*ContactFactory.create_batch(2, status=Contact.Status.VERIFIED))
        broadcasts.append(broadcasting.create_broadcast("Rapat", [group]))
    freeze = broadcasting.freeze_recipients

    def slow_freeze(*args):
        # Both requests have read the budget before either commits, unless one waits.
        sleep(0.5)
        return freeze(*args)

    monkeypatch.setattr(broadcasting, "freeze_recipients", slow_freeze)
    monkeypatch.setattr(broadcasting, "queue_chunks", lambda pk: None)  # not sent meanwhile

    def request(broadcast):
        try:
            return broadcasting.confirm_broadcast(broadcast, sender)
        except broadcasting.BudgetExceeded:
            return "over budget"

    results = run_concurrently(request, args=broadcasts)

    assert sorted(results, key=str) == [True, "over budget"]
    assert Delivery.objects.count() == 2
    assert money(broadcasting.budget_status()) == (0, 1000, 500)


def test_test_send_goes_to_the_users_own_verified_number(django_capture_on_commit_callbacks):
    user = UserFactory(first_name="Ani")
    with pytest.raises(broadcasting.NoTestNumber):
        broadcasting.send_test("Halo {first_name}", user)
    own = ContactFactory(name="Ani Lestari", status=Contact.Status.PENDING, user=user)
    with pytest.raises(broadcasting.NoTestNumber):
        broadcasting.send_test("Halo {first_name}", user)
    Contact.objects.filter(pk=own.pk).update(status=Contact.Status.VERIFIED)

    with django_capture_on_commit_callbacks(execute=True):
        broadcasting.send_test("Halo {first_name}", user)

    assert [(m.to, m.body) for m in outbox()] == [(own.phone, "Halo Ani")]


def test_a_planned_retry_waits_while_the_broadcast_is_paused():
    broadcast = confirmed(1)
    delivery = broadcast.deliveries.get()
    locmem.fail(delivery.phone, code="30001", message="Queue overflow", permanent=False)
    run(broadcast)
    locmem.reset()
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    broadcasting.pause_broadcast(broadcast)

    sending.send_delivery(delivery.pk)  # the retry's task
    assert outbox() == []

    Broadcast.objects.filter(pk=broadcast.pk).update(status=Broadcast.Status.SENDING)
    sending.send_delivery(delivery.pk)
    assert [m.to for m in outbox()] == [delivery.phone]


# -- done as soon as the last message is answered ------------------------------------------


def a_retry_waits_for_its_last_message():
    """A broadcast of two whose chunk sent one; the other waits for its retry (transient
    error), now due."""
    broadcast = confirmed(2)
    slow = broadcast.deliveries.order_by("pk").first()
    locmem.fail(slow.phone, code="30001", message="Queue overflow", permanent=False)
    run(broadcast)
    assert broadcast.status == Broadcast.Status.SENDING
    Delivery.objects.filter(pk=slow.pk).update(next_attempt_at=timezone.now())
    return broadcast, slow


@pytest.mark.parametrize(
    "second_answer, final",
    [(None, Status.ACCEPTED), ("permanent", Status.FAILED)],
)
def test_a_broadcast_is_done_when_its_last_retry_is_answered(
    django_capture_on_commit_callbacks, second_answer, final
):
    broadcast, slow = a_retry_waits_for_its_last_message()
    locmem.reset()
    if second_answer:
        locmem.fail(slow.phone, code="21211", message="Invalid number", permanent=True)

    with django_capture_on_commit_callbacks(execute=True):
        sending.send_delivery(slow.pk)  # the retry's task; no recovery run

    slow.refresh_from_db()
    broadcast.refresh_from_db()
    assert slow.status == final
    assert broadcast.status == Broadcast.Status.DONE
    assert broadcast.finished_at is not None


def test_a_broadcast_is_not_done_while_a_retry_is_planned(django_capture_on_commit_callbacks):
    broadcast, slow = a_retry_waits_for_its_last_message()

    with django_capture_on_commit_callbacks(execute=True):
        sending.send_delivery(slow.pk)  # transient again: a later retry

    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.SENDING
    assert broadcast.finished_at is None


def test_a_broadcast_whose_last_message_comes_back_answered_late_is_done(
    settings, django_capture_on_commit_callbacks
):
    """A reviewer sent the last message again; the first attempt's acceptance arrives."""
    broadcast, delivery = one_message_changed_while_sent(settings, Status.QUEUED)
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        sending.send_delivery(delivery.pk)

    delivery.refresh_from_db()
    broadcast.refresh_from_db()
    assert delivery.status == Status.ACCEPTED and delivery.answered_late_at is not None
    assert broadcast.status == Broadcast.Status.DONE


def test_a_message_resent_after_review_reopens_its_done_broadcast_until_it_is_answered(
    django_capture_on_commit_callbacks,
):
    broadcast = confirmed(2)
    pipeline_backends.raise_next.append(SMSBackendError("Read timed out", maybe_sent=True))
    run(broadcast)
    assert broadcast.status == Broadcast.Status.DONE  # both in review
    first, second = broadcast.deliveries.order_by("pk")
    checker = SuperuserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        assert sending.resolve_review(first, resend=False, user=checker)
        assert sending.resolve_review(second, resend=True, user=checker)  # sent at once

    second.refresh_from_db()
    broadcast.refresh_from_db()
    assert [m.reference for m in outbox()] == [str(second.uuid)]
    assert second.status == Status.ACCEPTED
    assert broadcast.status == Broadcast.Status.DONE and broadcast.finished_at is not None


def test_a_chunk_checks_whether_its_broadcast_is_done_once_not_per_message(
    django_capture_on_commit_callbacks,
):
    def broadcast_queries(count):
        broadcast = confirmed(count)
        for delivery in broadcast.deliveries.all():
            locmem.fail(delivery.phone, code="21211", message="Invalid number", permanent=True)
        with (
            CaptureQueriesContext(connection) as captured,
            django_capture_on_commit_callbacks(execute=True),
        ):
            run(broadcast)
        assert broadcast.status == Broadcast.Status.DONE
        assert set(broadcast.deliveries.values_list("status", flat=True)) == {Status.FAILED}
        return [q["sql"] for q in captured if 'wagtail_grantee_sms_broadcast"' in q["sql"]]

    assert len(broadcast_queries(2)) == len(broadcast_queries(20))


def test_a_broadcast_resumed_with_nothing_left_to_send_is_done(django_capture_on_commit_callbacks):
    broadcast = confirmed(2)
    assert broadcasting.pause_broadcast(broadcast)  # as its last batch was being sent
    broadcast.deliveries.update(status=Status.ACCEPTED)

    with django_capture_on_commit_callbacks(execute=True):
        assert broadcasting.resume_broadcast(broadcast)

    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.DONE and broadcast.finished_at is not None
