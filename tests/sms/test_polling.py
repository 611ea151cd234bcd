"""Backends that call no webhooks are polled: a Gammu SMSD spool (a GSM modem in the office)
feeds its inbox and its sent-items/error folders into the same functions as the webhooks."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule
from django_q.scheduler import scheduler

from tests.sms.factories import ContactFactory, DeliveryFactory
from wagtail_grantee_sms import inbound, sending, tasks
from wagtail_grantee_sms.models import Contact, Delivery, InboundMessage
from wagtail_grantee_sms.signals import delivery_status_changed

pytestmark = pytest.mark.django_db

LOCMEM = "wagtail_grantee_sms.backends.locmem.SMSBackend"
GAMMU = "wagtail_grantee_sms.backends.gammu.SMSBackend"


def make_spool(root):
    folders = {name: root / name for name in ("outbox", "inbox", "sent", "error")}
    for folder in folders.values():
        folder.mkdir(parents=True)
    return folders


def gammu_settings(spool):
    return {
        "BACKEND": GAMMU,
        "OPTIONS": {f"{name}_path": str(folder) for name, folder in spool.items()},
    }


@pytest.fixture
def spool(settings, tmp_path):
    """The folders of a Gammu SMSD whose modem is the backend "modem"."""
    spool = make_spool(tmp_path / "modem")
    settings.WAGTAIL_GRANTEE_SMS = {
        "BACKENDS": {"default": {"BACKEND": LOCMEM}, "modem": gammu_settings(spool)}
    }
    return spool


def receive_in_inbox(spool, sender, text, serial=0):
    """Leave an inbound message in the inbox the way Gammu writes it (UTF-16)."""
    name = f"IN20261128_071502_{serial:02d}_{sender}_00.txt"
    (spool["inbox"] / name).write_bytes(text.encode("utf-16"))


def daemon_moves(spool, delivery, folder):
    """Gammu sent (or gave up on) the outbox file of ``delivery``: it moves it to ``folder``."""
    [path] = [p for p in spool["outbox"].iterdir() if str(delivery.uuid) in p.name]
    path.rename(spool[folder] / path.name)


def outbox_files(spool):
    return [path.name for path in spool["outbox"].iterdir()]


def test_a_stop_in_the_modems_inbox_opts_the_contact_out_and_confirms_once(
    spool, django_capture_on_commit_callbacks
):
    contact = ContactFactory(status=Contact.Status.VERIFIED)
    receive_in_inbox(spool, contact.phone, "STOP")

    with django_capture_on_commit_callbacks(execute=True):
        tasks.poll_backends()
        tasks.poll_backends()  # the next minute: nothing new

    contact.refresh_from_db()
    assert contact.status == Contact.Status.OPTED_OUT
    stored = InboundMessage.objects.get()
    assert (stored.backend_alias, stored.contact, stored.action) == ("modem", contact, "opt_out")
    confirmation = Delivery.objects.get(contact=contact)
    assert (confirmation.purpose, confirmation.status) == ("opt_out_confirmation", "accepted")
    # The confirmation goes back through the modem that received the STOP.
    assert [name for name in outbox_files(spool) if str(confirmation.uuid) in name]
    assert len(outbox_files(spool)) == 1


def test_a_stop_is_not_lost_when_the_worker_dies_while_storing_it(spool, monkeypatch):
    contact = ContactFactory(status=Contact.Status.VERIFIED)
    receive_in_inbox(spool, contact.phone, "STOP")

    def killed(alias, sms):
        raise SystemExit("the worker is killed while storing the message")

    with monkeypatch.context() as patched:
        patched.setattr(inbound, "receive", killed)
        with pytest.raises(SystemExit):
            tasks.poll_backends()
    tasks.poll_backends()  # the next minute

    contact.refresh_from_db()
    assert contact.status == Contact.Status.OPTED_OUT
    assert InboundMessage.objects.count() == 1


def test_an_ordinary_message_in_the_inbox_reaches_the_inbox_screen(spool):
    contact = ContactFactory(status=Contact.Status.VERIFIED)
    receive_in_inbox(spool, contact.phone, "Terima kasih, saya datang Sabtu.")

    tasks.poll_backends()

    message = InboundMessage.objects.get()
    assert (message.contact, message.body) == (contact, "Terima kasih, saya datang Sabtu.")
    assert message.action == ""


def test_the_sent_and_error_folders_move_the_deliveries_forward_once(spool):
    sent, failed = DeliveryFactory.create_batch(2, backend_alias="modem")
    sending.send_deliveries([sent.pk, failed.pk])
    daemon_moves(spool, sent, "sent")
    daemon_moves(spool, failed, "error")
    changes = []

    def receiver(delivery, old_status, **kwargs):
        changes.append((delivery.pk, old_status, delivery.status))

    delivery_status_changed.connect(receiver)
    try:
        tasks.poll_backends()
        tasks.poll_backends()
    finally:
        delivery_status_changed.disconnect(receiver)

    sent.refresh_from_db()
    failed.refresh_from_db()
    assert sent.status == Delivery.Status.SENT
    assert (failed.status, failed.error_code, failed.permanent_error) == (
        Delivery.Status.FAILED,
        "gammu_error",
        False,
    )
    assert sorted(changes) == sorted(
        [(sent.pk, "accepted", "sent"), (failed.pk, "accepted", "failed")]
    )
    assert failed.contact.status == Contact.Status.VERIFIED  # a modem error says nothing of it


def test_a_modem_whose_folders_are_gone_does_not_stop_the_others(settings, spool, tmp_path, caplog):
    broken = make_spool(tmp_path / "broken")
    broken["inbox"].rmdir()
    settings.WAGTAIL_GRANTEE_SMS["BACKENDS"] = {
        "broken": gammu_settings(broken),
        **settings.WAGTAIL_GRANTEE_SMS["BACKENDS"],
    }
    receive_in_inbox(spool, "+6281234567890", "Halo")

    with caplog.at_level(logging.ERROR, logger="wagtail_grantee_sms"):
        tasks.poll_backends()

    assert InboundMessage.objects.get().backend_alias == "modem"
    assert "'broken'" in caplog.text


def test_the_poll_is_scheduled_every_minute_while_a_backend_needs_it(settings, spool):
    tasks.ensure_schedules()  # as after migrate
    tasks.ensure_schedules()

    poll = Schedule.objects.get(name=tasks.POLLING_SCHEDULE)
    assert poll.func == "wagtail_grantee_sms.tasks.poll_backends"
    assert (poll.schedule_type, poll.minutes, poll.repeats) == (Schedule.MINUTES, 1, -1)

    contact = ContactFactory(status=Contact.Status.VERIFIED)
    receive_in_inbox(spool, contact.phone, "Berhenti")
    Schedule.objects.filter(pk=poll.pk).update(next_run=timezone.now() - timedelta(seconds=1))
    scheduler()  # the cluster's scheduler finds it due and runs it

    contact.refresh_from_db()
    assert contact.status == Contact.Status.OPTED_OUT

    settings.WAGTAIL_GRANTEE_SMS = {"BACKENDS": {"default": {"BACKEND": LOCMEM}}}
    tasks.ensure_schedules()
    assert not Schedule.objects.filter(name=tasks.POLLING_SCHEDULE).exists()


def test_no_poll_is_scheduled_without_a_backend_that_needs_it(settings):
    settings.WAGTAIL_GRANTEE_SMS = {
        "BACKENDS": {
            "default": {"BACKEND": LOCMEM},
            "twilio": {
                "BACKEND": "wagtail_grantee_sms.backends.twilio.SMSBackend",
                "OPTIONS": {"account_sid": "AC1", "auth_token": "t"},
            },
        }
    }

    tasks.ensure_schedules()

    assert Schedule.objects.filter(name=tasks.RECOVERY_SCHEDULE).exists()
    assert not Schedule.objects.filter(name=tasks.POLLING_SCHEDULE).exists()


def test_a_nul_in_a_message_of_the_inbox_does_not_block_the_messages_after_it(spool):
    # U+0000 is a character a UCS-2 SMS can carry, and one PostgreSQL cannot store.
    contact = ContactFactory(status=Contact.Status.VERIFIED)
    receive_in_inbox(spool, "+6285711112222", "Halo\x00", serial=1)
    receive_in_inbox(spool, contact.phone, "STOP", serial=2)

    tasks.poll_backends()

    assert list(InboundMessage.objects.order_by("pk").values_list("body", flat=True)) == [
        "Halo\ufffd",
        "STOP",
    ]
    contact.refresh_from_db()
    assert contact.status == Contact.Status.OPTED_OUT
