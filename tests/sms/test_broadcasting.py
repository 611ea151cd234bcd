"""Broadcasts: drafting, confirming (frozen recipients, once), sending in chunks, and the
actions on a broadcast (pause, resume, cancel, retry)."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from wagtail.models import ModelLogEntry

from tests.concurrency import needs_postgresql, run_concurrently
from wagtail_grantee_sms import broadcasting, encoding
from wagtail_grantee_sms.models import Broadcast, Contact, Delivery

from .factories import ContactFactory, ContactGroupFactory, SuperuserFactory, UserFactory
from .pipeline_backends import configure

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirm(django_capture_on_commit_callbacks):
    """Confirm as a request would: the tasks queued at commit run (django-q in sync mode)."""

    def confirm(broadcast, user):
        with django_capture_on_commit_callbacks(execute=True):
            return broadcasting.confirm_broadcast(broadcast, user)

    return confirm


VERIFIED = Contact.Status.VERIFIED
CHUNK_SIZE = 3


@pytest.fixture(autouse=True)
def locmem_backend(settings):
    configure(settings, BROADCAST_CHUNK_SIZE=CHUNK_SIZE)


@pytest.fixture
def sender():
    return SuperuserFactory()


def members(group, count, **fields):
    contacts = ContactFactory.create_batch(count, **({"status": VERIFIED} | fields))
    group.contacts.add(*contacts)
    return contacts


def sent_to():
    import wagtail_grantee_sms

    return sorted(message.to for message in wagtail_grantee_sms.outbox)


def test_only_verified_members_are_eligible_each_once():
    volunteers, youth, staff = ContactGroupFactory.create_batch(3)
    verified = members(volunteers, 2)
    youth.contacts.add(verified[0])  # in two chosen groups: still one message
    members(volunteers, 1, status=Contact.Status.OPTED_OUT)
    members(volunteers, 1, status=Contact.Status.BLOCKED)
    members(volunteers, 2, status=Contact.Status.UNVERIFIED)
    excluded = members(volunteers, 1)
    staff.contacts.add(*excluded)

    eligible = broadcasting.eligible_contacts([volunteers, youth], exclude_groups=[staff])

    assert sorted(eligible.values_list("pk", flat=True)) == sorted(c.pk for c in verified)
    summary = broadcasting.recipient_summary([volunteers, youth], exclude_groups=[staff])
    assert summary["included"] == 2
    assert dict(summary["left_out"]) == {"Opted out": 1, "Blocked": 1, "Unverified": 2}


def test_render_body_by_language_with_placeholders(settings):
    settings.WAGTAIL_GRANTEE_SMS |= {"ORGANISATION_NAME": "Yayasan Sehat"}
    siti = ContactFactory.build(name=" Siti Rahayu ", language="id")
    john = ContactFactory.build(name="John Smith", language="en")
    bodies = {"en": "Hi {first_name}, {organisation} meets Saturday. {unknown} {"}

    body = "Halo {name}, rapat {organisation} hari Sabtu."
    assert broadcasting.render_body(body, siti, bodies=bodies) == (
        "Halo Siti Rahayu, rapat Yayasan Sehat hari Sabtu."
    )
    assert broadcasting.render_body(body, john, bodies=bodies) == (
        "Hi John, Yayasan Sehat meets Saturday. {unknown} {"
    )


def test_organisation_defaults_to_the_site_name():
    contact = ContactFactory.build(name="Ani")
    assert broadcasting.render_body("{organisation}", contact) == "Tests"


def test_estimate_counts_segments_per_language_and_cost(settings):
    configure(settings, price="450", BROADCAST_CHUNK_SIZE=CHUNK_SIZE)
    group = ContactGroupFactory()
    members(group, 2, language="id")
    members(group, 1, language="en")
    members(group, 1, status=Contact.Status.OPTED_OUT)
    bodies = {"en": "x" * 161}  # two GSM-7 segments

    result = broadcasting.estimate("Rapat Sabtu", [group], bodies=bodies)

    assert result.recipients == 3
    assert result.segments == 2 * 1 + 1 * 2
    assert result.cost == Decimal("450") * 4
    assert result.currency == "IDR"
    assert result.encoding == encoding.GSM7
    assert broadcasting.estimate("Rapat \u201cSabtu\u201d", [group]).encoding == encoding.UCS2


def test_estimate_with_names_counts_each_recipient():
    group = ContactGroupFactory()
    members(group, 1, name="A")
    members(group, 1, name="B" * 100)
    body = "{name}" + "x" * 100  # 101 characters: one segment; 200: two

    assert broadcasting.estimate(body, [group]).segments == 3


def test_create_broadcast_makes_a_logged_draft(sender):
    group = ContactGroupFactory()
    broadcast = broadcasting.create_broadcast(
        "Rapat Sabtu", [group], user=sender, bodies={"en": "Meeting Saturday"}
    )

    assert broadcast.status == Broadcast.Status.DRAFT
    assert list(broadcast.groups.all()) == [group]
    assert broadcast.created_by == sender
    assert ModelLogEntry.objects.filter(
        action="wagtail_grantee_sms.broadcast.create", user=sender, object_id=str(broadcast.pk)
    ).exists()


def test_an_empty_body_is_refused():
    with pytest.raises(ValidationError):
        broadcasting.create_broadcast("", [ContactGroupFactory()])
    assert not Broadcast.objects.exists()


def test_confirm_freezes_recipients_and_sends_everyone_once(sender, sms_outbox, confirm):
    group = ContactGroupFactory()
    contacts = members(group, 7)
    members(group, 1, status=Contact.Status.OPTED_OUT)
    broadcast = broadcasting.create_broadcast("Halo {first_name}", [group], user=sender)

    assert confirm(broadcast, sender) is True

    # Sync django-q ran the three chunk tasks (3 + 3 + 1) at commit.
    assert sent_to() == sorted(c.phone for c in contacts)
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.DONE
    assert broadcast.recipient_count == 7
    assert broadcast.segment_count == 7
    assert broadcast.finished_at is not None
    assert broadcast.confirmed_by == sender
    deliveries = broadcast.deliveries.all()
    assert {d.status for d in deliveries} == {Delivery.Status.ACCEPTED}
    assert {d.body for d in deliveries} == {f"Halo {c.name.split()[0]}" for c in contacts}
    progress = broadcasting.progress(broadcast)
    assert progress["accepted"] == progress["total"] == 7
    assert progress["percent_done"] == 100


def test_confirming_twice_does_nothing_more(sender, sms_outbox, confirm):
    group = ContactGroupFactory()
    members(group, 4)
    broadcast = broadcasting.create_broadcast("Rapat", [group])
    stale = Broadcast.objects.get(pk=broadcast.pk)  # a second tab, still showing the draft
    confirm(broadcast, sender)

    assert confirm(broadcast, sender) is False
    assert confirm(stale, sender) is False

    assert len(sms_outbox) == 4
    assert Delivery.objects.count() == 4
    assert ModelLogEntry.objects.filter(action="wagtail_grantee_sms.broadcast.confirm").count() == 1


def test_database_allows_one_delivery_per_contact_and_broadcast():
    contact = ContactFactory(status=VERIFIED)
    broadcast = broadcasting.create_broadcast("Rapat", [ContactGroupFactory()])
    Delivery.objects.create(
        broadcast=broadcast, contact=contact, phone=contact.phone, body="x", purpose="broadcast"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(
            broadcast=broadcast, contact=contact, phone=contact.phone, body="x", purpose="broadcast"
        )


def test_a_confirmed_broadcast_is_read_only(sender, confirm):
    group, other = ContactGroupFactory.create_batch(2)
    members(group, 1)
    broadcast = broadcasting.create_broadcast("Rapat", [group])
    broadcast.body = "Rapat Minggu"
    broadcast.save()  # a draft can be edited
    confirm(broadcast, sender)

    broadcast.body = "Something else"
    with pytest.raises(ValidationError):
        broadcast.save()
    with pytest.raises(ValidationError), transaction.atomic():
        broadcast.groups.add(other)
    assert Broadcast.objects.get(pk=broadcast.pk).body == "Rapat Minggu"


def test_confirm_needs_send_permission():
    group = ContactGroupFactory()
    members(group, 1)
    broadcast = broadcasting.create_broadcast("Rapat", [group])
    drafter = UserFactory(permissions=["add_broadcast"])

    with pytest.raises(PermissionDenied):
        broadcasting.confirm_broadcast(broadcast, drafter)
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.DRAFT


def test_confirm_without_recipients_is_refused(sender):
    group = ContactGroupFactory()
    members(group, 1, status=Contact.Status.OPTED_OUT)
    broadcast = broadcasting.create_broadcast("Rapat", [group])

    with pytest.raises(broadcasting.NoRecipients):
        broadcasting.confirm_broadcast(broadcast, sender)
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.DRAFT
    assert not Delivery.objects.exists()


def test_opt_out_after_confirming_is_skipped_at_send_time(sender, sms_outbox, confirm):
    group = ContactGroupFactory()
    stays, leaves = members(group, 2)
    broadcast = broadcasting.create_broadcast("Rapat", [group])
    broadcasting.confirm_broadcast(broadcast, sender)  # frozen; the chunks wait for the commit
    Contact.objects.filter(pk=leaves.pk).update(status=Contact.Status.OPTED_OUT)

    broadcasting.queue_chunks(broadcast.pk)  # what the commit does

    assert sent_to() == [stays.phone]
    skipped = broadcast.deliveries.get(contact=leaves)
    assert skipped.status == Delivery.Status.FAILED
    assert skipped.error_code == "not_allowed"
    assert broadcasting.progress(broadcast)["skipped"] == 1


def test_suppressed_numbers_are_left_out_and_skipped_at_send_time(sender, sms_outbox, confirm):
    from wagtail_grantee_sms import suppression

    group = ContactGroupFactory()
    kept, listed, listed_later = members(group, 3)
    suppression.suppress(listed.phone)

    assert broadcasting.recipient_summary([group]) == {
        "included": 2,
        "left_out": [("On the suppression list", 1)],
    }
    broadcast = broadcasting.create_broadcast("Rapat", [group])
    broadcasting.confirm_broadcast(broadcast, sender)  # frozen; the chunks wait for the commit
    assert sorted(broadcast.deliveries.values_list("contact_id", flat=True)) == sorted(
        [kept.pk, listed_later.pk]
    )
    suppression.suppress(listed_later.phone)  # e.g. an opt-out keyword after confirming

    broadcasting.queue_chunks(broadcast.pk)

    assert sent_to() == [kept.phone]
    assert broadcast.deliveries.get(contact=listed_later).error_code == "not_allowed"


def test_permissions_and_log_actions_are_registered():
    from wagtail import hooks
    from wagtail.log_actions import registry

    codenames = set()
    for hook in hooks.get_hooks("register_permissions"):
        codenames |= set(hook().values_list("codename", flat=True))
    assert {"add_broadcast", "change_broadcast", "send_broadcast", "exceed_budget"} <= codenames
    for verb in ("create", "confirm", "pause", "resume", "cancel", "retry"):
        assert registry.action_exists(f"wagtail_grantee_sms.broadcast.{verb}")


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_confirmations_make_one_set_of_deliveries(settings):
    configure(settings)
    group = ContactGroupFactory()
    members(group, 30)
    broadcast = broadcasting.create_broadcast("Rapat", [group])
    sender = SuperuserFactory()

    def request():
        return broadcasting.confirm_broadcast(Broadcast.objects.get(pk=broadcast.pk), sender)

    results = run_concurrently(request, 2)

    assert sorted(results) == [False, True]
    assert Delivery.objects.filter(broadcast=broadcast).count() == 30
