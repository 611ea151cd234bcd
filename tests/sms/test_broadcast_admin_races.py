"""Two submissions of one compose form at the same moment (a double click on a slow phone)
make one draft. Needs a database that several threads share: PostgreSQL."""

import pytest
from django.db import connection
from django.test import Client

from tests.concurrency import run_concurrently
from wagtail_grantee_sms.models import Broadcast

from .factories import ContactFactory, ContactGroupFactory, UserFactory
from .test_broadcast_admin import compose_data, url

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need PostgreSQL"),
]


def test_simultaneous_submissions_of_one_form_make_one_draft():
    group = ContactGroupFactory(name="Relawan")
    ContactFactory(status="verified").groups.add(group)
    user = UserFactory(permissions=["add_broadcast", "change_broadcast"])
    clients = [Client() for _ in range(4)]
    for client in clients:
        client.force_login(user)

    def submit(client):
        return client.post(url("add"), compose_data(group)).status_code

    statuses = run_concurrently(submit, args=clients)

    assert statuses == [302] * 4
    assert Broadcast.objects.count() == 1
