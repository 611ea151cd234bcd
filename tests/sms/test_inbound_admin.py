"""The inbox and the deliveries in the Wagtail admin: read-only, numbers masked."""

import pytest
from django.urls import reverse

from wagtail_grantee_sms import phones
from wagtail_grantee_sms.models import Delivery, InboundMessage

from .factories import (
    ContactFactory,
    DeliveryFactory,
    InboundMessageFactory,
    SuperuserFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

INBOX = "wagtailsnippets_wagtail_grantee_sms_inboundmessage"
DELIVERIES = "wagtailsnippets_wagtail_grantee_sms_delivery"


def url(viewset, name, *args):
    return reverse(f"{viewset}:{name}", args=args)


def login(client, *permissions):
    client.force_login(UserFactory(permissions=list(permissions)))
    return client


def test_the_inbox_lists_sender_body_contact_and_time_with_masked_numbers(client):
    contact = ContactFactory(name="Ani Lubis")
    InboundMessageFactory(sender=contact.phone, contact=contact, body="Jam berapa rapatnya?")
    login(client, "view_inboundmessage")

    html = client.get(url(INBOX, "list")).content.decode()

    assert "Jam berapa rapatnya?" in html
    assert "Ani Lubis" in html
    assert phones.mask(contact.phone) in html
    assert phones.display(contact.phone) not in html
    assert contact.phone not in html


def test_each_message_of_the_inbox_links_to_its_details(client):
    message = InboundMessageFactory()
    login(client, "view_inboundmessage")

    html = client.get(url(INBOX, "list")).content.decode()

    assert f'href="{url(INBOX, "inspect", message.pk)}"' in html


def test_a_delivery_is_named_by_its_purpose_and_contact(client):
    contact = ContactFactory(name="Ani Lubis")
    DeliveryFactory(contact=contact, purpose=Delivery.Purpose.VERIFICATION)
    login(client, "view_delivery")

    html = client.get(url(DELIVERIES, "list")).content.decode()

    assert "Verification to Ani Lubis" in html


def test_users_who_may_see_full_numbers_see_them_in_the_inbox(client):
    message = InboundMessageFactory()
    login(client, "view_inboundmessage", "view_full_phone")

    html = client.get(url(INBOX, "list")).content.decode()

    assert phones.display(message.sender) in html


def test_an_inbound_message_is_inspected_with_its_number_masked(client):
    message = InboundMessageFactory(raw={"From": "+6281311112222"})
    login(client, "view_inboundmessage")

    html = client.get(url(INBOX, "inspect", message.pk)).content.decode()

    assert message.body in html
    assert phones.mask(message.sender) in html
    assert message.sender not in html
    assert "6281311112222" not in html  # the raw payload is not shown


def test_deliveries_are_listed_and_inspected_with_masked_numbers(client):
    delivery = DeliveryFactory(status=Delivery.Status.REVIEW, error_code="interrupted")
    login(client, "view_delivery")

    listing = client.get(url(DELIVERIES, "list")).content.decode()
    inspect = client.get(url(DELIVERIES, "inspect", delivery.pk)).content.decode()

    for html in (listing, inspect):
        assert phones.mask(delivery.phone) in html
        assert delivery.phone not in html
    assert "Needs review" in listing
    assert "interrupted" in inspect


def test_the_inbox_needs_its_view_permission(client):
    login(client)

    response = client.get(url(INBOX, "list"))

    assert response.status_code == 302  # back to the dashboard with "permission denied"


@pytest.mark.parametrize("viewset", [INBOX, DELIVERIES])
def test_not_even_a_superuser_can_add_edit_or_delete_messages(client, viewset):
    record = InboundMessageFactory() if viewset == INBOX else DeliveryFactory()
    client.force_login(SuperuserFactory())

    assert client.get(url(viewset, "list")).status_code == 200
    for name, args in [("add", ()), ("edit", (record.pk,)), ("delete", (record.pk,))]:
        response = client.post(url(viewset, name, *args), {})
        assert response.status_code == 302, name
        assert response.url == reverse("wagtailadmin_home"), name
    assert InboundMessage.objects.count() + Delivery.objects.count() == 1


def test_the_inbox_and_the_deliveries_are_in_the_sms_menu(client):
    client.force_login(SuperuserFactory())

    html = client.get(reverse("wagtailadmin_home")).content.decode()

    assert url(INBOX, "list") in html
    assert url(DELIVERIES, "list") in html
