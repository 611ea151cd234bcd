"""Deliveries marked for review (an interrupted send): someone checks and resends or gives up."""

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

import wagtail_grantee_sms
from tests.concurrency import needs_postgresql, run_concurrently
from tests.sms.pipeline_backends import configure
from wagtail_grantee_sms.broadcasting import cancel_broadcast
from wagtail_grantee_sms.models import Broadcast, Delivery
from wagtail_grantee_sms.sending import BroadcastCancelled, resolve_review

from .factories import DeliveryFactory, UserFactory

pytestmark = pytest.mark.django_db

Status = Delivery.Status


@pytest.fixture(autouse=True)
def locmem_backend(settings):
    configure(settings)


def url(name, delivery):
    return reverse(f"wagtailsnippets_wagtail_grantee_sms_delivery:{name}", args=[delivery.pk])


@pytest.fixture
def reviewer(client):
    user = UserFactory(permissions=["view_delivery", "resolve_delivery"])
    client.force_login(user)
    return user


def test_the_inspect_view_offers_the_choice_for_a_delivery_in_review(client, reviewer):
    delivery = DeliveryFactory(status=Status.REVIEW)

    html = client.get(url("inspect", delivery)).content.decode()

    assert "It was not sent: send again" in html
    assert url("resend", delivery) in html
    assert url("give_up", delivery) in html


def test_resending_after_review_sends_it_once_and_logs_who_decided(
    client, reviewer, django_capture_on_commit_callbacks
):
    delivery = DeliveryFactory(status=Status.REVIEW, attempts=1)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("resend", delivery))
        again = client.post(url("resend", delivery))

    assert response.status_code == again.status_code == 302
    assert [m.reference for m in wagtail_grantee_sms.outbox] == [str(delivery.uuid)]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.ACCEPTED, 2)
    entry = ModelLogEntry.objects.for_instance(delivery).get()
    assert (entry.action, entry.user) == ("wagtail_grantee_sms.delivery_resend", reviewer)


def test_giving_up_marks_it_failed_without_sending(client, reviewer):
    delivery = DeliveryFactory(status=Status.REVIEW)

    client.post(url("give_up", delivery))

    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED
    assert delivery.permanent_error
    assert wagtail_grantee_sms.outbox == []


def test_a_delivery_not_in_review_cannot_be_resent(client, reviewer):
    delivery = DeliveryFactory(status=Status.DELIVERED)

    client.post(url("resend", delivery))

    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    assert wagtail_grantee_sms.outbox == []


def test_resolving_needs_its_permission(client):
    client.force_login(UserFactory(permissions=["view_delivery"]))
    delivery = DeliveryFactory(status=Status.REVIEW)

    html = client.get(url("inspect", delivery)).content.decode()
    response = client.post(url("resend", delivery))

    assert "send again" not in html
    assert response.url == reverse("wagtailadmin_home")  # Wagtail's "permission denied"
    delivery.refresh_from_db()
    assert delivery.status == Status.REVIEW


def test_a_message_of_a_cancelled_broadcast_is_not_sent_again_after_review(
    client, reviewer, django_capture_on_commit_callbacks
):
    broadcast = Broadcast.objects.create(body="Rapat Sabtu", status=Broadcast.Status.CANCELLED)
    delivery = DeliveryFactory(status=Status.REVIEW, broadcast=broadcast)

    html = client.get(url("inspect", delivery)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("resend", delivery), follow=True)

    assert "It was not sent: send again" not in html
    assert "Its broadcast was cancelled" in html
    assert url("give_up", delivery) in html
    assert "Its broadcast was cancelled" in response.content.decode()
    assert wagtail_grantee_sms.outbox == []
    delivery.refresh_from_db()
    assert delivery.status == Status.REVIEW
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.CANCELLED


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_resend_racing_a_cancel_never_leaves_the_message_queued():
    # Checked before the resend's transaction, a cancel committed in between let the message
    # be queued again, for good (a cancelled broadcast's messages are never claimed). The
    # resend now locks the broadcast: it sees the cancel and refuses, or it comes first and
    # the message is sent at once or failed by the cancel with the rest of the queue.
    for _round in range(20):
        broadcast = Broadcast.objects.create(body="Rapat", status=Broadcast.Status.SENDING)
        delivery = DeliveryFactory(status=Status.REVIEW, broadcast=broadcast)

        def race(which, broadcast=broadcast, delivery=delivery):
            if which == "cancel":
                return cancel_broadcast(broadcast)
            try:
                return resolve_review(Delivery.objects.get(pk=delivery.pk), resend=True)
            except BroadcastCancelled:
                return "refused"

        run_concurrently(race, args=["resend", "cancel"])

        delivery.refresh_from_db()
        broadcast.refresh_from_db()
        assert broadcast.status == Broadcast.Status.CANCELLED
        assert delivery.status in (Status.REVIEW, Status.FAILED, Status.ACCEPTED)


def test_the_inspect_screens_say_why_a_message_was_not_sent_in_the_editors_language(client):
    from wagtail.users.models import UserProfile

    from wagtail_grantee_sms import broadcasting

    user = UserFactory(permissions=["view_delivery", "view_contact"])
    UserProfile.get_for_user(user)
    UserProfile.objects.filter(user=user).update(preferred_language="id")
    client.force_login(user)
    delivery = DeliveryFactory(
        status=Status.FAILED,
        error_code=broadcasting.CANCELLED,
        error_message="The broadcast was cancelled before this message was sent.",
    )
    contact_url = reverse(
        "wagtailsnippets_wagtail_grantee_sms_contact:inspect", args=[delivery.contact_id]
    )

    for page in (client.get(url("inspect", delivery)), client.get(contact_url)):
        html = page.content.decode()
        assert "Tidak dikirim: siaran dibatalkan sebelum pesan ini dikirim." in html
        assert "The broadcast was cancelled" not in html
