"""With the worker stopped, an admin sees why SMS wait, then tries a contact's YA reply without
a phone: the simulated SMS verifies the contact and the inbox says so."""

from datetime import timedelta

import pytest
from django.utils import timezone

import wagtail_grantee_sms
from tests.sms.factories import ContactFactory, DeliveryFactory
from tests.sms.pipeline_backends import configure
from wagtail_grantee_sms.models import Contact, Delivery

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.browser.urls")]


@pytest.fixture
def console_like_backend(settings):
    configure(settings)
    wagtail_grantee_sms.outbox = []


@pytest.fixture
def admin(transactional_db, django_user_model):
    return django_user_model.objects.create_superuser("admin", "admin@example.org", "s3cret-pass")


def test_the_admin_sees_the_stopped_worker_and_simulates_a_reply(
    live_server, page, admin, console_like_backend
):
    stuck = DeliveryFactory()  # queued, and no worker took it
    Delivery.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    ani = ContactFactory(
        name="Ani Lubis",
        phone="+6281234567890",
        status=Contact.Status.PENDING,
        consent_source=Contact.ConsentSource.PAPER_FORM,
        consent_given_at=timezone.now(),
    )

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "s3cret-pass")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")

    # The dashboard and the SMS screens say why nothing is sent, and where to read more.
    assert "The background worker is not running." in page.content()
    page.goto(f"{live_server.url}/admin/snippets/wagtail_grantee_sms/inboundmessage/")
    banner = page.locator("[data-sms-worker-banner]")
    assert "The background worker is not running." in banner.inner_text()
    link = banner.get_by_role("link", name="How to start the worker")
    assert link.get_attribute("href").endswith("sms-backends.md#the-background-worker")

    # Ani's "ya", typed as she would write her number.
    page.get_by_role("link", name="Simulate an incoming SMS").click()
    page.get_by_label("From (phone number)").fill("0812-3456-7890")
    page.get_by_label("Message").fill("ya")
    page.get_by_role("button", name="Receive this SMS").click()
    page.wait_for_url("**/inboundmessage/inspect/*/")

    assert "Verified the contact" in page.content()
    ani.refresh_from_db()
    assert ani.status == Contact.Status.VERIFIED
