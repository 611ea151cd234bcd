"""Seeing what the background does: the worker banner, ``manage.py sms_status``, and trying
replies without a phone (the admin's "Simulate an incoming SMS", ``manage.py sms_receive``)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry
from wagtail.users.models import UserProfile

import wagtail_grantee_sms
from tests.sms.pipeline_backends import configure
from wagtail_grantee_sms import verification
from wagtail_grantee_sms.models import Contact, Delivery, InboundMessage

from .factories import ContactFactory, DeliveryFactory, SuperuserFactory, UserFactory

pytestmark = pytest.mark.django_db

BANNER = "The background worker is not running."
SIMULATE = reverse("wagtail_grantee_sms_simulate_inbound")
INBOX = "wagtailsnippets_wagtail_grantee_sms_inboundmessage"
SCREENS = [
    "wagtailsnippets_wagtail_grantee_sms_contact:list",
    "wagtailsnippets_wagtail_grantee_sms_contactgroup:list",
    f"{INBOX}:list",
    "wagtailsnippets_wagtail_grantee_sms_delivery:list",
]


@pytest.fixture(autouse=True)
def locmem_backend(settings):
    configure(settings)


def waiting(seconds, **kwargs):
    """A queued delivery created ``seconds`` ago that no worker took."""
    delivery = DeliveryFactory(**kwargs)
    Delivery.objects.filter(pk=delivery.pk).update(
        created_at=timezone.now() - timedelta(seconds=seconds)
    )
    return delivery


@pytest.fixture
def editor(client):
    user = UserFactory(
        permissions=["view_contact", "view_contactgroup", "view_inboundmessage", "view_delivery"]
    )
    client.force_login(user)
    return user


# -- the banner -----------------------------------------------------------------------------


@pytest.mark.parametrize("screen", SCREENS)
def test_sms_screens_warn_when_queued_sms_wait_longer_than_a_couple_of_minutes(
    client, editor, screen
):
    waiting(seconds=300)

    html = client.get(reverse(screen)).content.decode()

    assert BANNER in html
    assert "docs/sms-backends.md#the-background-worker" in html


def test_the_dashboard_warns_too(client, editor):
    waiting(seconds=300)

    assert BANNER in client.get(reverse("wagtailadmin_home")).content.decode()


def test_no_banner_while_the_worker_keeps_up(client, editor):
    waiting(seconds=30)  # just queued
    waiting(seconds=3600, status=Delivery.Status.ACCEPTED)  # sent long ago
    planned = waiting(seconds=3600)  # a retry planned for later
    Delivery.objects.filter(pk=planned.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5)
    )

    assert BANNER not in client.get(reverse(SCREENS[0])).content.decode()
    assert BANNER not in client.get(reverse("wagtailadmin_home")).content.decode()


def test_the_delay_before_the_warning_is_a_setting(client, editor, settings):
    configure(settings, WORKER_WARNING_AFTER=600)
    waiting(seconds=300)

    assert BANNER not in client.get(reverse(SCREENS[0])).content.decode()


def test_users_without_sms_permissions_see_no_banner_on_the_dashboard(client):
    waiting(seconds=300)
    client.force_login(UserFactory())

    assert BANNER not in client.get(reverse("wagtailadmin_home")).content.decode()


def test_the_banner_is_in_indonesian_for_indonesian_editors(client, editor):
    profile = UserProfile.get_for_user(editor)
    profile.preferred_language = "id"
    profile.save()
    waiting(seconds=300)

    html = client.get(reverse(SCREENS[0])).content.decode()

    assert "Pekerja latar belakang tidak berjalan." in html


# -- manage.py sms_status -------------------------------------------------------------------


def test_sms_status_diagnoses_a_stopped_worker():
    waiting(seconds=900)
    waiting(seconds=60)
    DeliveryFactory(status=Delivery.Status.REVIEW)
    out = StringIO()

    call_command("sms_status", stdout=out)

    text = out.getvalue()
    assert "default: wagtail_grantee_sms.backends.locmem.SMSBackend" in text
    assert "Task broker:" in text
    assert "Queued: 2, the first due has waited 15 min" in text
    assert "Needs review: 1" in text
    assert "The background worker is not running: 1 SMS" in text
    assert "manage.py qcluster" in text


def test_sms_status_says_when_nothing_waits():
    out = StringIO()

    call_command("sms_status", stdout=out)

    assert "Queued: 0\n" in out.getvalue()
    assert "No SMS is waiting for the worker." in out.getvalue()


# -- simulating an incoming SMS ---------------------------------------------------------------


@pytest.fixture
def pending_contact(django_capture_on_commit_callbacks):
    contact = ContactFactory(
        consent_source=Contact.ConsentSource.PAPER_FORM, consent_given_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        verification.start_verification(contact, "reply")
    return contact


def test_a_superuser_simulates_the_ya_that_verifies_a_contact(client, pending_contact):
    admin = SuperuserFactory()
    client.force_login(admin)
    local = "0" + pending_contact.phone[3:]  # as typed on a phone: 0812…

    inbox = client.get(reverse(f"{INBOX}:list")).content.decode()
    response = client.post(
        SIMULATE, {"backend_alias": "default", "sender": local, "body": "ya"}, follow=True
    )

    assert SIMULATE in inbox
    assert response.status_code == 200
    assert "Verified the contact" in response.content.decode()
    pending_contact.refresh_from_db()
    assert pending_contact.status == Contact.Status.VERIFIED
    message = InboundMessage.objects.get()
    assert message.raw == {"simulated": True}
    entry = ModelLogEntry.objects.for_instance(message).get()
    assert (entry.action, entry.user) == ("wagtail_grantee_sms.inbound_simulated", admin)


def test_a_simulated_stop_opts_out_and_sends_the_confirmation(
    client, django_capture_on_commit_callbacks
):
    contact = ContactFactory(status=Contact.Status.VERIFIED)
    client.force_login(SuperuserFactory())

    with django_capture_on_commit_callbacks(execute=True):
        client.post(SIMULATE, {"backend_alias": "default", "sender": contact.phone, "body": "STOP"})

    contact.refresh_from_db()
    assert contact.status == Contact.Status.OPTED_OUT
    [confirmation] = wagtail_grantee_sms.outbox
    assert confirmation.to == contact.phone


def test_only_superusers_may_simulate(client, editor):
    contact = ContactFactory(status=Contact.Status.VERIFIED)

    inbox = client.get(reverse(f"{INBOX}:list")).content.decode()
    response = client.post(
        SIMULATE, {"backend_alias": "default", "sender": contact.phone, "body": "STOP"}
    )

    assert SIMULATE not in inbox
    assert response.status_code in (302, 403)
    assert not InboundMessage.objects.exists()
    contact.refresh_from_db()
    assert contact.status == Contact.Status.VERIFIED


def test_simulation_needs_a_csrf_token():
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(SuperuserFactory())

    response = client.post(
        SIMULATE, {"backend_alias": "default", "sender": "081234567890", "body": "STOP"}
    )

    assert response.status_code == 403
    assert not InboundMessage.objects.exists()


def test_no_simulation_through_a_backend_that_receives_real_sms(client, settings):
    configure(settings, "wagtail_grantee_sms.backends.zenziva.SMSBackend")
    settings.WAGTAIL_GRANTEE_SMS["BACKENDS"]["default"]["OPTIONS"] = {
        "userkey": "u",
        "passkey": "p",
    }
    client.force_login(SuperuserFactory())

    assert client.get(SIMULATE).status_code == 404
    assert SIMULATE not in client.get(reverse(f"{INBOX}:list")).content.decode()


def test_a_number_that_is_no_phone_number_is_a_form_error(client):
    client.force_login(SuperuserFactory())

    response = client.post(SIMULATE, {"backend_alias": "default", "sender": "halo", "body": "YA"})

    assert response.status_code == 200
    assert "Enter a valid phone number." in response.content.decode()
    assert not InboundMessage.objects.exists()


def test_sms_receive_goes_through_the_same_path(pending_contact):
    out = StringIO()

    call_command("sms_receive", pending_contact.phone, "YES", stdout=out)

    pending_contact.refresh_from_db()
    assert pending_contact.status == Contact.Status.VERIFIED
    assert "Action taken: Verified the contact" in out.getvalue()
    assert pending_contact.phone not in out.getvalue()


def test_sms_receive_works_for_any_backend(settings):
    configure(settings, "wagtail_grantee_sms.backends.zenziva.SMSBackend")
    settings.WAGTAIL_GRANTEE_SMS["BACKENDS"]["default"]["OPTIONS"] = {
        "userkey": "u",
        "passkey": "p",
    }
    contact = ContactFactory(status=Contact.Status.VERIFIED)

    call_command("sms_receive", contact.phone, "berhenti", stdout=StringIO())

    contact.refresh_from_db()
    assert contact.status == Contact.Status.OPTED_OUT


@pytest.mark.parametrize("args", [["halo", "YA"], ["081234567890", "YA", "--backend", "nowhere"]])
def test_sms_receive_refuses_bad_input_clearly(args):
    with pytest.raises(CommandError):
        call_command("sms_receive", *args, stdout=StringIO())
    assert not InboundMessage.objects.exists()


def test_the_simulate_form_asks_for_a_backend_only_when_there_is_a_choice():
    from wagtail_grantee_sms.simulate_views import SimulateInboundForm

    one = SimulateInboundForm(aliases=["default"])
    two = SimulateInboundForm(aliases=["default", "modem"])

    assert one["backend_alias"].is_hidden and one["backend_alias"].value() == "default"
    assert not two["backend_alias"].is_hidden
