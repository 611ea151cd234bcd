"""The broadcast screens of the admin: compose, preview, test send, confirm, watch, history."""

import csv
import io
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from wagtail_grantee_sms import broadcasting
from wagtail_grantee_sms.models import Broadcast, Contact, Delivery

from .factories import ContactFactory, ContactGroupFactory, SuperuserFactory, UserFactory
from .pipeline_backends import configure

pytestmark = pytest.mark.django_db

Status = Contact.Status
PRICE = "350"  # IDR per segment


def url(name, *args):
    return reverse(f"wagtail_grantee_sms_broadcasts:{name}", args=args)


@pytest.fixture(autouse=True)
def priced_backend(settings):
    configure(settings, price=PRICE)


def set_budget(settings, budget):
    configure(settings, price=PRICE, budget=budget)


@pytest.fixture
def volunteers():
    group = ContactGroupFactory(name="Relawan")
    for n, status in enumerate(
        [Status.VERIFIED] * 4 + [Status.OPTED_OUT, Status.BLOCKED, Status.UNVERIFIED]
    ):
        ContactFactory(name=f"Relawan {n}", status=status).groups.add(group)
    return group


def login(client, *codenames):
    user = UserFactory(permissions=list(codenames))
    client.force_login(user)
    return user


def compose_data(group, *, form_id="form-1", **overrides):
    data = {
        "body": "Halo {first_name}, rapat relawan Sabtu 09.00.",
        "body_en": "",
        "body_id": "",
        "groups": [group.pk],
        "when": "now",
        "scheduled_at": "",
        "quiet_hours_start": "",
        "quiet_hours_end": "",
        "compose_token": form_id,
        "action": "save",
    }
    data.update(overrides)
    return data


@pytest.fixture
def confirm(client, django_capture_on_commit_callbacks):
    """POST the confirmation and run what it queues on commit (the tests' worker is sync)."""

    def post(broadcast):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url("confirm", broadcast.pk))

    return post


def refused(response):
    """Wagtail's admin answers a refused permission with a 403, or a redirect to the dashboard
    with a message for an ordinary page request."""
    return response.status_code == 403 or (
        response.status_code == 302 and response.url == reverse("wagtailadmin_home")
    )


def draft(group, body="Halo {first_name}, rapat relawan Sabtu 09.00.", **kwargs):
    return broadcasting.create_broadcast(body, [group], **kwargs)


# -- permissions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, name, needs_pk",
    [
        ("get", "list", False),
        ("get", "add", False),
        ("get", "recipients", False),
        ("get", "detail", True),
        ("get", "edit", True),
        ("get", "confirm", True),
        ("post", "confirm", True),
        ("get", "progress", True),
        ("get", "export", True),
    ],
)
def test_an_editor_without_broadcast_permissions_is_refused(
    client, volunteers, method, name, needs_pk
):
    broadcast = draft(volunteers)
    login(client, "add_contact", "change_contact")

    response = getattr(client, method)(url(name, *([broadcast.pk] if needs_pk else [])))

    assert refused(response)
    assert Broadcast.objects.get().status == Broadcast.Status.DRAFT


@pytest.mark.parametrize("action", ["pause", "resume", "cancel", "retry"])
def test_actions_need_send_broadcast(client, volunteers, action):
    broadcast = draft(volunteers)
    broadcasting.confirm_broadcast(broadcast, SuperuserFactory())
    login(client, "add_broadcast", "change_broadcast")

    response = client.post(url("action", broadcast.pk, action))

    assert refused(response)


def test_a_drafter_may_write_but_not_confirm(client, volunteers):
    login(client, "add_broadcast")

    response = client.post(url("add"), compose_data(volunteers, action="continue"))

    broadcast = Broadcast.objects.get()
    assert response.status_code == 302
    # not the confirmation: back to her own draft, which she may edit
    assert response.url == url("edit", broadcast.pk)
    assert "Continue to confirm" not in client.get(response.url).content.decode()
    assert refused(client.get(url("confirm", broadcast.pk)))
    assert refused(client.post(url("confirm", broadcast.pk)))
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.DRAFT
    assert not Delivery.objects.exists()


def test_the_sms_menu_lists_broadcasts_only_for_those_who_may_see_them(client):
    login(client, "add_contact")
    assert url("list") not in client.get(reverse("wagtailadmin_home")).content.decode()
    login(client, "add_broadcast")
    assert url("list") in client.get(reverse("wagtailadmin_home")).content.decode()


# -- composing -----------------------------------------------------------------------------


def test_compose_saves_a_draft_with_texts_by_language_and_groups(client, volunteers):
    user = login(client, "add_broadcast", "change_broadcast")
    staff = ContactGroupFactory(name="Staf")

    response = client.post(
        url("add"),
        compose_data(
            volunteers,
            body_en="Hello {first_name}, volunteers meet Saturday 9am.",
            exclude_groups=[staff.pk],
            quiet_hours_start="21:00",
            quiet_hours_end="07:00",
        ),
    )

    broadcast = Broadcast.objects.get()
    assert response.url == url("edit", broadcast.pk)
    assert broadcast.status == Broadcast.Status.DRAFT
    assert broadcast.created_by == user
    assert broadcast.bodies == {"en": "Hello {first_name}, volunteers meet Saturday 9am."}
    assert list(broadcast.groups.all()) == [volunteers]
    assert list(broadcast.exclude_groups.all()) == [staff]
    assert str(broadcast.quiet_hours_start) == "21:00:00"


def test_a_scheduled_time_is_read_in_the_site_time_zone(client, volunteers):
    login(client, "add_broadcast")

    client.post(url("add"), compose_data(volunteers, when="later",
                                         scheduled_at="2099-01-05 08:00"))  # fmt: skip

    scheduled = Broadcast.objects.get().scheduled_at
    assert scheduled.isoformat() == "2099-01-05T01:00:00+00:00"  # 08:00 in Jakarta


@pytest.mark.parametrize(
    "overrides, error",
    [
        ({"when": "later", "scheduled_at": ""}, "Choose the date and time to send it."),
        ({"when": "later", "scheduled_at": "2001-01-01 08:00"}, "Choose a time in the future."),
        ({"quiet_hours_start": "21:00"}, "Give both the start and the end of the quiet hours."),
        ({"body": ""}, "This field is required."),
        ({"groups": []}, "This field is required."),
    ],
)
def test_bad_input_is_explained_and_saves_nothing(client, volunteers, overrides, error):
    login(client, "add_broadcast")

    response = client.post(url("add"), compose_data(volunteers, **overrides))

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Broadcast.objects.exists()


def test_a_double_click_or_the_back_button_makes_one_draft(client, volunteers):
    login(client, "add_broadcast")

    client.post(url("add"), compose_data(volunteers))
    client.post(url("add"), compose_data(volunteers))
    # back to the same form, the text corrected, sent again
    response = client.post(url("add"), compose_data(volunteers, body="Halo {name}!"))

    broadcast = Broadcast.objects.get()
    assert broadcast.body == "Halo {name}!"
    assert response.url == url("edit", broadcast.pk)  # add_broadcast: her own draft
    # another tab has its own form, so its own draft
    client.post(url("add"), compose_data(volunteers, form_id="form-2"))
    assert Broadcast.objects.count() == 2


def test_a_compose_form_sent_again_after_confirming_changes_nothing(client, confirm, volunteers):
    login(client, "add_broadcast", "send_broadcast")
    client.post(url("add"), compose_data(volunteers))
    broadcast = Broadcast.objects.get()
    confirm(broadcast)
    sent = len(Delivery.objects.all())

    response = client.post(url("add"), compose_data(volunteers, body="Changed!"))

    assert response.url == url("detail", broadcast.pk)
    broadcast.refresh_from_db()
    assert broadcast.body != "Changed!"
    assert Broadcast.objects.count() == 1
    assert Delivery.objects.count() == sent == 4


def test_the_recipient_summary_counts_who_is_left_out_and_why(client, volunteers):
    login(client, "add_broadcast")

    data = client.get(url("recipients"), {"groups": [volunteers.pk, "junk"]}).json()

    assert data["total"] == 4
    assert data["by_language"] == {"id": 4}
    left_out = dict(data["left_out"])
    assert left_out == {"Opted out": 1, "Blocked": 1, "Unverified": 1}


def test_the_recipient_endpoint_estimates_the_texts_as_typed_exactly(client, volunteers):
    login(client, "add_broadcast")
    long_name = ContactFactory(name="A" * 158, status=Status.VERIFIED)
    long_name.groups.add(volunteers)

    data = client.get(url("recipients"), {"groups": [volunteers.pk], "body": "Halo {name}!"}).json()

    # four short names take one SMS each, the 158-letter one two: 6 SMS at 350
    assert data["estimate"] == {
        "segments": 6, "cost": "2100.00", "currency": "IDR", "encoding": "GSM-7"
    }  # fmt: skip
    assert "estimate" not in client.get(url("recipients"), {"groups": [volunteers.pk]}).json()


def test_the_compose_page_gives_the_counter_its_price(client, volunteers):
    login(client, "add_broadcast")

    page = client.get(url("add")).content.decode()

    assert 'data-price-per-segment="350"' in page
    assert 'data-currency="IDR"' in page


# -- preview and test send -----------------------------------------------------------------


def test_the_preview_fills_in_names_and_masks_numbers(client, volunteers):
    broadcast = draft(volunteers)
    login(client, "change_broadcast")

    page = client.get(url("edit", broadcast.pk)).content.decode()

    first = Contact.objects.filter(status=Status.VERIFIED).order_by("name").first()
    assert "Halo Relawan, rapat relawan" in page
    assert first.phone not in page
    assert first.masked_phone in page
    assert page.count("data-preview-phone") == 3


def test_a_user_allowed_to_see_numbers_sees_them_in_the_preview(client, volunteers):
    broadcast = draft(volunteers)
    login(client, "change_broadcast", "view_full_phone")

    page = client.get(url("edit", broadcast.pk)).content.decode()

    first = Contact.objects.filter(status=Status.VERIFIED).order_by("name").first()
    assert first.masked_phone not in page


def test_a_test_send_goes_to_the_users_own_verified_number(
    client, volunteers, sms_outbox, django_capture_on_commit_callbacks
):
    user = login(client, "add_broadcast", "change_broadcast")
    ContactFactory(name="Dewi Saragih", phone="+6281299990000", status=Status.VERIFIED,
                   user=user)  # fmt: skip
    client.post(url("add"), compose_data(volunteers))
    broadcast = Broadcast.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("edit", broadcast.pk), compose_data(volunteers, action="test"), follow=True
        )

    import wagtail_grantee_sms

    assert [sms.to for sms in wagtail_grantee_sms.outbox] == ["+6281299990000"]
    assert wagtail_grantee_sms.outbox[0].body == "Halo Dewi, rapat relawan Sabtu 09.00."
    assert "A test SMS is on its way to your phone." in response.content.decode()


def test_test_sends_stop_at_the_hourly_limit_and_say_so(
    client, settings, volunteers, sms_outbox, django_capture_on_commit_callbacks
):
    settings.WAGTAIL_GRANTEE_SMS = {**settings.WAGTAIL_GRANTEE_SMS, "BROADCAST_TESTS_PER_HOUR": 2}
    user = login(client, "add_broadcast", "change_broadcast")
    ContactFactory(phone="+6281299990000", status=Status.VERIFIED, user=user)
    broadcast = draft(volunteers)

    with django_capture_on_commit_callbacks(execute=True):
        responses = [
            client.post(
                url("edit", broadcast.pk), compose_data(volunteers, action="test"), follow=True
            )
            for _ in range(3)
        ]

    import wagtail_grantee_sms

    assert len(wagtail_grantee_sms.outbox) == 2
    assert "A test SMS is on its way" in responses[1].content.decode()
    assert (
        "You have sent 2 tests within the last hour, the most allowed."
        in responses[2].content.decode()
    )


def test_a_test_send_without_a_verified_number_says_why(client, volunteers, sms_outbox):
    login(client, "add_broadcast", "change_broadcast")
    broadcast = draft(volunteers)

    response = client.post(
        url("edit", broadcast.pk), compose_data(volunteers, action="test"), follow=True
    )

    import wagtail_grantee_sms

    assert wagtail_grantee_sms.outbox == []
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 1 and messages[0]


# -- confirming ----------------------------------------------------------------------------


def test_the_confirmation_states_recipients_sms_and_cost(client, volunteers):
    broadcast = draft(volunteers)
    login(client, "send_broadcast")

    page = client.get(url("confirm", broadcast.pk)).content.decode()

    assert 'data-fact="recipients">4<' in page
    assert 'data-fact="segments">4 (GSM-7)<' in page
    assert "1,400.00 IDR" in page


def test_confirming_twice_makes_one_set_of_deliveries(client, confirm, volunteers):
    broadcast = draft(volunteers)
    user = login(client, "send_broadcast")

    first = confirm(broadcast)
    second = confirm(broadcast)

    assert first.url == second.url == url("detail", broadcast.pk)
    assert Delivery.objects.filter(broadcast=broadcast).count() == 4
    broadcast.refresh_from_db()
    assert broadcast.confirmed_by == user
    assert (
        ModelLogEntry.objects.filter(
            action="wagtail_grantee_sms.broadcast.confirm", user=user
        ).count()
        == 1
    )


def test_a_confirmed_broadcast_is_read_only(client, volunteers):
    broadcast = draft(volunteers)
    broadcasting.confirm_broadcast(broadcast, SuperuserFactory())
    login(client, "change_broadcast", "add_broadcast")

    assert client.get(url("edit", broadcast.pk)).url == url("detail", broadcast.pk)
    client.post(url("edit", broadcast.pk), compose_data(volunteers, body="Changed!"))

    broadcast.refresh_from_db()
    assert broadcast.body != "Changed!"


def test_over_budget_only_a_user_allowed_to_exceed_it_can_confirm(
    client, confirm, settings, volunteers
):
    set_budget(settings, "1000")  # 4 SMS at 350 = 1400
    broadcast = draft(volunteers)
    login(client, "send_broadcast")

    page = client.get(url("confirm", broadcast.pk)).content.decode()
    assert "costs more than what is left of this month" in page
    assert "data-confirm-button" not in page
    confirm(broadcast)  # the button is gone; the server checks too
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.DRAFT
    assert not Delivery.objects.exists()

    login(client, "send_broadcast", "exceed_budget")
    assert "data-confirm-button" in client.get(url("confirm", broadcast.pk)).content.decode()
    confirm(broadcast)
    broadcast.refresh_from_db()
    assert broadcast.status != Broadcast.Status.DRAFT
    assert Delivery.objects.count() == 4


def test_within_budget_any_sender_can_confirm(client, confirm, settings, volunteers):
    set_budget(settings, "1400")
    broadcast = draft(volunteers)
    login(client, "send_broadcast")

    confirm(broadcast)

    assert Delivery.objects.count() == 4


# -- watching ------------------------------------------------------------------------------


def test_the_progress_endpoint_reports_the_sending(client, confirm, volunteers):
    broadcast = draft(volunteers)
    login(client, "send_broadcast")
    confirm(broadcast)  # the tests' worker runs in the request

    data = client.get(url("progress", broadcast.pk)).json()

    assert data["total"] == 4
    assert data["percent_done"] == 100
    assert data["queued"] == data["sending"] == 0
    assert data["finished"] is True


def test_the_broadcast_page_lists_and_filters_the_messages(client, confirm, volunteers):
    from wagtail_grantee_sms.backends import locmem

    failing = Contact.objects.filter(status=Status.VERIFIED).order_by("name").first()
    locmem.fail(failing.phone)
    broadcast = draft(volunteers)
    login(client, "send_broadcast")
    confirm(broadcast)

    everything = client.get(url("detail", broadcast.pk)).content.decode()
    failed = client.get(url("detail", broadcast.pk), {"status": "failed"}).content.decode()

    assert everything.count("data-delivery-row") == 4
    assert failed.count("data-delivery-row") == 1
    assert failing.name in failed
    assert failing.phone not in everything
    assert 'data-action="retry"' in everything


def test_pause_resume_cancel_call_the_core_and_log_who(client, confirm, volunteers, settings):
    broadcast = draft(volunteers)
    # scheduled for later: nothing is sent yet, each action has something to act on
    broadcast.scheduled_at = broadcast.created_at.replace(year=2099)
    broadcast.save()
    user = login(client, "send_broadcast")
    confirm(broadcast)
    waiting = client.get(url("progress", broadcast.pk)).json()
    assert (waiting["queued"], waiting["percent_done"], waiting["finished"]) == (4, 0, False)

    client.post(url("action", broadcast.pk, "pause"))
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.PAUSED
    client.post(url("action", broadcast.pk, "resume"))
    broadcast.refresh_from_db()
    assert broadcast.status != Broadcast.Status.PAUSED
    client.post(url("action", broadcast.pk, "cancel"))
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.CANCELLED

    logged = set(ModelLogEntry.objects.filter(user=user).values_list("action", flat=True))
    assert {f"wagtail_grantee_sms.broadcast.{a}" for a in ("pause", "resume", "cancel")} <= logged
    assert client.get(url("action", broadcast.pk, "pause")).status_code == 405
    assert client.post(url("action", broadcast.pk, "explode")).status_code == 404


def test_the_csv_export_neutralises_formulas_and_masks_numbers(client, confirm, volunteers):
    Contact.objects.filter(name="Relawan 0").update(name='=HYPERLINK("http://x","y")')
    broadcast = draft(volunteers)
    login(client, "send_broadcast")
    confirm(broadcast)

    response = client.get(url("export", broadcast.pk))

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert response["Content-Type"].startswith("text/csv")
    assert len(rows) == 5
    names = [row[0] for row in rows[1:]]
    assert '\'=HYPERLINK("http://x","y")' in names
    phones = [row[1] for row in rows[1:]]
    assert all("*" in phone for phone in phones)


def test_the_history_shows_status_author_recipients_rate_and_cost(client, volunteers):
    author = SuperuserFactory(first_name="Sri", last_name="Wahyuni")
    broadcast = draft(volunteers, user=author)
    broadcasting.confirm_broadcast(broadcast, author)
    Delivery.objects.filter(broadcast=broadcast).update(
        status=Delivery.Status.DELIVERED, price=Decimal("350")
    )
    Delivery.objects.filter(broadcast=broadcast).first().__class__.objects.filter(
        pk=Delivery.objects.filter(broadcast=broadcast).first().pk
    ).update(status=Delivery.Status.FAILED)
    login(client, "view_broadcast")

    page = client.get(url("list")).content.decode()

    assert "Sri Wahyuni" in page
    assert "75%" in page
    assert "1,400.00 IDR" in page


def test_the_dashboard_panel_shows_contacts_spend_and_last_broadcasts(client, settings, volunteers):
    set_budget(settings, "100000")
    broadcast = draft(volunteers)
    broadcasting.confirm_broadcast(broadcast, SuperuserFactory())
    login(client, "view_broadcast")

    page = client.get(reverse("wagtailadmin_home")).content.decode()

    assert "data-sms-broadcast-panel" in page
    assert "4 verified contacts can receive broadcasts." in page
    assert "Monthly SMS budget:</strong> <span data-budget-total>100,000.00 IDR" in page
    assert url("detail", broadcast.pk) in page


def budget_lines(page):
    """The budget's lines as the admin reads them: label, amount."""
    import re

    return re.findall(r"<strong>([^<]+):</strong> <span data-budget-\w+>([^<]+)</span>", page)


def test_the_budget_shows_spent_set_aside_and_left_on_dashboard_compose_and_confirm(
    client, settings, volunteers
):
    set_budget(settings, "10000")
    sent = draft(volunteers)
    broadcasting.confirm_broadcast(sent, SuperuserFactory())  # 4 x 350 = 1400, not sent yet
    Delivery.objects.filter(pk=sent.deliveries.order_by("pk").first().pk).update(
        status=Delivery.Status.ACCEPTED, price=Decimal("350"), sent_at=sent.confirmed_at
    )
    next_one = draft(volunteers)
    login(client, "view_broadcast", "add_broadcast", "send_broadcast")
    expected = [
        ("Monthly SMS budget", "10,000.00 IDR"),
        ("Spent this month", "350.00 IDR"),
        ("Set aside for broadcasts still going out", "1,050.00 IDR"),
        ("Left to spend", "8,600.00 IDR"),
    ]

    for screen in (reverse("wagtailadmin_home"), url("add"), url("confirm", next_one.pk)):
        assert budget_lines(client.get(screen).content.decode()) == expected, screen


def test_the_confirmation_counts_what_other_broadcasts_set_aside(client, settings, volunteers):
    set_budget(settings, "2000")  # 4 SMS at 350 = 1400 each: one fits, not two
    broadcasting.confirm_broadcast(draft(volunteers), SuperuserFactory())
    broadcast = draft(volunteers)
    login(client, "send_broadcast")

    page = client.get(url("confirm", broadcast.pk)).content.decode()

    assert "costs more than what is left of this month" in page
    assert "data-confirm-button" not in page
    assert ("Left to spend", "600.00 IDR") in budget_lines(page)


def test_over_the_budget_the_dashboard_says_by_how_much(client, settings, volunteers):
    set_budget(settings, "1000")
    broadcasting.confirm_broadcast(draft(volunteers), SuperuserFactory())  # 1400
    login(client, "view_broadcast")

    page = client.get(reverse("wagtailadmin_home")).content.decode()

    assert ("Over the budget by", "400.00 IDR") in budget_lines(page)


def test_the_dashboard_panel_is_hidden_from_users_without_broadcast_access(client):
    login(client, "add_contact")
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "data-sms-broadcast-panel" not in page


def test_the_progress_endpoint_is_json(client, volunteers):
    broadcast = draft(volunteers)
    login(client, "view_broadcast")
    response = client.get(url("progress", broadcast.pk))
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["status"] == "draft"


def test_the_screens_speak_indonesian(client, settings, volunteers):
    set_budget(settings, "100000")
    user = login(client, "add_broadcast", "change_broadcast", "send_broadcast")
    from wagtail.users.models import UserProfile

    UserProfile.get_for_user(user).__class__.objects.filter(user=user).update(
        preferred_language="id"
    )
    broadcast = draft(volunteers)

    compose = client.get(url("add")).content.decode()
    confirm_page = client.get(url("confirm", broadcast.pk)).content.decode()

    assert "Simpan draf" in compose
    assert "Ganti karakter yang mirip" in compose
    assert "%(characters)s karakter" in compose  # the counter's sentence, for the JavaScript
    assert "Konfirmasi dan kirim ke 4 kontak" in confirm_page
    for page in (compose, confirm_page):
        assert "Terpakai bulan ini" in page
        assert "Dicadangkan untuk siaran yang masih dikirim" in page
        assert "Sisa yang bisa dipakai" in page


def test_the_delivery_list_pages_keep_the_status_filter(client, confirm, volunteers, monkeypatch):
    from wagtail_grantee_sms import broadcast_views

    monkeypatch.setattr(broadcast_views, "DELIVERIES_PER_PAGE", 2)
    broadcast = draft(volunteers)
    login(client, "send_broadcast")
    confirm(broadcast)

    first = client.get(url("detail", broadcast.pk), {"status": "accepted"}).content.decode()
    second = client.get(url("detail", broadcast.pk), {"status": "accepted", "p": 2})

    assert first.count("data-delivery-row") == 2
    assert "status=accepted&amp;p=2" in first  # the next page keeps the filter
    assert second.content.decode().count("data-delivery-row") == 2


def test_messages_left_unsent_say_why_in_the_editors_language(client, volunteers):
    user = login(client, "send_broadcast")
    from wagtail.users.models import UserProfile

    UserProfile.get_for_user(user).__class__.objects.filter(user=user).update(
        preferred_language="id"
    )
    broadcast = draft(volunteers)
    broadcast.scheduled_at = broadcast.created_at.replace(year=2099)
    broadcast.save()
    broadcasting.confirm_broadcast(broadcast, SuperuserFactory())
    refused, *_ = broadcast.deliveries.order_by("pk")
    Delivery.objects.filter(pk=refused.pk).update(
        status=Delivery.Status.FAILED,
        error_code=broadcasting.NOT_ALLOWED,
        error_message="The number is on the suppression list.",
    )
    broadcasting.cancel_broadcast(broadcast)

    page = client.get(url("detail", broadcast.pk)).content.decode()
    export = client.get(url("export", broadcast.pk)).getvalue().decode()
    rows = list(csv.reader(io.StringIO(export)))

    for english in ("The broadcast was cancelled", "suppression list"):
        assert english not in page
        assert not any(english in cell for row in rows for cell in row)
    assert page.count("Tidak dikirim: siaran dibatalkan sebelum pesan ini dikirim.") == 3
    assert "Tidak dikirim: kontak ini tidak boleh menerima siaran" in page
    errors = [row[-1] for row in rows[1:]]
    assert errors.count("Tidak dikirim: siaran dibatalkan sebelum pesan ini dikirim.") == 3
