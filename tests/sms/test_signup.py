"""The public sign-up page: name, number, consent; a code by SMS; the code typed on the site."""

import re
from datetime import timedelta

import pytest
from django.core.checks import run_checks
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page, Site

import wagtail_grantee_sms
from wagtail_grantee_sms import tasks, verification
from wagtail_grantee_sms.models import Contact, Delivery, SignupPage, SignupRequest

from .factories import ContactFactory, ContactGroupFactory, UserFactory
from .pipeline_backends import configure

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def locmem_backend(settings):
    configure(settings)


@pytest.fixture
def page():
    root = Page.objects.get(depth=1)
    signup_page = SignupPage(
        title="Dukung kami lewat SMS",
        slug="sms",
        consent_text="<p>Kami mengirim paling banyak 4 SMS sebulan. Balas STOP untuk berhenti.</p>",
        group=ContactGroupFactory(name="Pendaftar web"),
    )
    root.add_child(instance=signup_page)
    Site.objects.update(root_page=signup_page)
    return signup_page


@pytest.fixture
def visitor(client, django_capture_on_commit_callbacks):
    """Posts like a browser and sends what the request queued."""

    def post(url, data, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data, **extra)

    client.post_and_send = post
    return client


def form(**overrides):
    return {"name": "Ani", "phone": "0812 3456 7890", "language": "id", "consent": "on"} | overrides


def test_the_page_shows_the_consent_text_and_a_form(client, page):
    content = client.get(page.url).content.decode()

    assert "paling banyak 4 SMS sebulan" in content
    assert 'name="csrfmiddlewaretoken"' in content
    assert 'name="consent"' in content


def test_signing_up_creates_a_pending_contact_and_the_code_verifies_it(visitor, page):
    response = visitor.post_and_send(page.url, form())

    assert response.status_code == 302
    contact = Contact.objects.get()
    assert (contact.phone, contact.status) == ("+6281234567890", Contact.Status.PENDING)
    assert contact.consent_source == Contact.ConsentSource.WEB_FORM
    assert "paling banyak 4 SMS" in contact.consent_note
    assert list(contact.groups.values_list("name", flat=True)) == ["Pendaftar web"]
    code = re.search(r"\d{6}", wagtail_grantee_sms.outbox[0].body).group()

    done = visitor.post(response["Location"], {"code": code})

    assert "your number is confirmed" in done.content.decode()
    contact.refresh_from_db()
    assert contact.status == Contact.Status.VERIFIED


def test_a_wrong_code_is_refused(visitor, page):
    response = visitor.post_and_send(page.url, form())
    code = re.search(r"\d{6}", wagtail_grantee_sms.outbox[0].body).group()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    answer = visitor.post(response["Location"], {"code": wrong})

    assert "This code is not right" in answer.content.decode()
    assert Contact.objects.get().status == Contact.Status.PENDING


def test_consent_is_required(visitor, page):
    response = visitor.post_and_send(page.url, form(consent=""))

    assert response.status_code == 200
    assert not Contact.objects.exists()


def test_a_bad_number_gets_a_message(visitor, page):
    response = visitor.post_and_send(page.url, form(phone="12345"))

    assert "is not a valid phone number" in response.content.decode()


@pytest.mark.parametrize(
    "status", [Contact.Status.VERIFIED, Contact.Status.OPTED_OUT, Contact.Status.BLOCKED]
)
def test_an_existing_number_gets_the_same_answer_and_nothing_changes(visitor, page, status):
    ContactFactory(name="Budi", phone="+6281234567890", status=status)

    response = visitor.post_and_send(page.url, form())

    assert response.status_code == 302
    assert response["Location"].endswith("/verify/")
    contact = Contact.objects.get()
    assert (contact.name, contact.status) == ("Budi", status)
    assert wagtail_grantee_sms.outbox == []


def test_an_existing_number_and_a_new_one_get_the_same_page(client, visitor, page):
    ContactFactory(phone="+6281234567890", status=Contact.Status.VERIFIED)

    existing = visitor.post_and_send(page.url, form(), follow=True).content.decode()
    client.cookies.clear()
    new = visitor.post_and_send(page.url, form(phone="0857 1111 2222"), follow=True)

    strip = lambda html: re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)  # noqa: E731
    assert strip(existing) == strip(new.content.decode())


def test_sign_ups_are_throttled_per_number(visitor, page, settings):
    configure(settings, SIGNUP_ATTEMPTS_PER_NUMBER=2)
    for _attempt in range(2):
        assert visitor.post_and_send(page.url, form()).status_code == 302

    third = visitor.post_and_send(page.url, form(), REMOTE_ADDR="10.0.0.9")

    assert "Too many attempts" in third.content.decode()


def test_sign_ups_are_throttled_per_ip_address(visitor, page, settings):
    configure(settings, SIGNUP_ATTEMPTS_PER_IP=2)
    for n in range(2):
        visitor.post_and_send(page.url, form(phone=f"0812 3456 78{n:02d}"))

    third = visitor.post_and_send(page.url, form(phone="0857 1111 2222"))

    assert "Too many attempts" in third.content.decode()
    assert not Contact.objects.filter(phone="+6285711112222").exists()


def test_the_form_is_protected_by_csrf(page):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)

    assert strict.post(page.url, form()).status_code == 403
    assert not Contact.objects.exists()


# Money: what a stranger can make the site spend


def test_a_number_of_another_country_is_refused_with_a_clear_message(visitor, page):
    response = visitor.post_and_send(page.url, form(phone="+44 7400 123456"))

    assert response.status_code == 200
    assert "Only numbers from these countries can sign up here: +62 (ID)." in (
        response.content.decode()
    )
    assert not Contact.objects.exists()
    assert wagtail_grantee_sms.outbox == []


def test_the_allowed_countries_are_a_setting(visitor, page, settings):
    configure(settings, SIGNUP_ALLOWED_REGIONS=["ID", "GB"])

    response = visitor.post_and_send(page.url, form(phone="+44 7400 123456"))

    assert response.status_code == 302
    assert Contact.objects.get().phone == "+447400123456"
    assert len(wagtail_grantee_sms.outbox) == 1


def test_addresses_of_one_ipv6_network_count_as_one_visitor(visitor, page, settings):
    configure(settings, SIGNUP_ATTEMPTS_PER_IP=2)
    for n in range(2):
        visitor.post_and_send(
            page.url, form(phone=f"0812 3456 78{n:02d}"), REMOTE_ADDR=f"2001:db8:1:2::{n + 1}"
        )

    same_64 = visitor.post_and_send(
        page.url, form(phone="0857 1111 2222"), REMOTE_ADDR="2001:db8:1:2:ffff:1:2:3"
    )
    other_64 = visitor.post_and_send(
        page.url, form(phone="0857 1111 3333"), REMOTE_ADDR="2001:db8:1:3::1"
    )

    assert "Too many attempts" in same_64.content.decode()
    assert other_64.status_code == 302
    assert len(wagtail_grantee_sms.outbox) == 3


def test_x_forwarded_for_is_ignored_unless_proxies_are_trusted(visitor, page, settings):
    configure(settings, SIGNUP_ATTEMPTS_PER_IP=2)
    for n in range(2):
        visitor.post_and_send(
            page.url, form(phone=f"0812 3456 78{n:02d}"), HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
        )

    third = visitor.post_and_send(
        page.url, form(phone="0857 1111 2222"), HTTP_X_FORWARDED_FOR="198.51.100.9"
    )

    assert "Too many attempts" in third.content.decode()


def test_behind_a_trusted_proxy_the_address_it_saw_is_counted(visitor, page, settings):
    configure(settings, SIGNUP_ATTEMPTS_PER_IP=2, TRUSTED_PROXY_HOPS=1)
    behind_proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for n in range(2):  # the client writes what it likes on the left; the proxy appends
        visitor.post_and_send(
            page.url,
            form(phone=f"0812 3456 78{n:02d}"),
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, 198.51.100.7",
            **behind_proxy,
        )

    same_client = visitor.post_and_send(
        page.url,
        form(phone="0857 1111 2222"),
        HTTP_X_FORWARDED_FOR="203.0.113.99, 198.51.100.7",
        **behind_proxy,
    )
    other_client = visitor.post_and_send(
        page.url, form(phone="0857 1111 3333"), HTTP_X_FORWARDED_FOR="198.51.100.8", **behind_proxy
    )

    assert "Too many attempts" in same_client.content.decode()
    assert other_client.status_code == 302


def test_a_proxy_that_writes_the_port_too_still_tells_visitors_apart(visitor, page, settings):
    # Some proxies (Azure's, for one) write "address:port": read as no address, every visitor
    # would share one count, and ten sign-ups would close the page for an hour.
    configure(settings, SIGNUP_ATTEMPTS_PER_IP=2, TRUSTED_PROXY_HOPS=1)

    def sign_up(phone, forwarded):
        return visitor.post_and_send(
            page.url, form(phone=phone), HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="10.0.0.1"
        )

    for n in range(2):
        sign_up(f"0812 3456 78{n:02d}", f"198.51.100.7:5000{n}")
    same_client = sign_up("0857 1111 2222", "198.51.100.7:50009")
    others = [
        sign_up("0857 1111 3333", "198.51.100.8:50000"),
        sign_up("0857 1111 4444", "[2001:db8:1:2::1]:443"),
    ]

    assert "Too many attempts" in same_client.content.decode()
    assert [response.status_code for response in others] == [302, 302]


def sign_up_from(visitor, page, n):
    """A sign-up of its own number from its own address."""
    visitor.cookies.clear()
    return visitor.post_and_send(
        page.url, form(phone=f"0812 3456 78{n:02d}"), REMOTE_ADDR=f"192.0.2.{n + 1}"
    )


def test_the_hourly_ceiling_stops_sending_and_the_sign_up_waits_for_the_next_place(
    visitor, page, settings, caplog, django_capture_on_commit_callbacks
):
    configure(settings, VERIFICATION_SENDS_PER_HOUR_TOTAL=2)
    answers = [sign_up_from(visitor, page, n) for n in range(3)]

    assert [answer["Location"] for answer in answers] == [answers[0]["Location"]] * 3
    assert len(wagtail_grantee_sms.outbox) == 2
    waiting = Contact.objects.get(phone="+6281234567802")
    assert waiting.status == Contact.Status.PENDING
    assert SignupRequest.objects.get().contact == waiting
    [warning] = [r for r in caplog.records if r.name.startswith("wagtail_grantee_sms.signup")]
    assert "ceiling reached" in warning.getMessage()
    assert "81234567802" not in warning.getMessage()

    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_waiting_signups()  # the hour is still full: nothing more goes out
    assert len(wagtail_grantee_sms.outbox) == 2

    Delivery.objects.update(created_at=timezone.now() - timedelta(minutes=61))
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_waiting_signups()

    assert [m.to for m in wagtail_grantee_sms.outbox][-1] == "+6281234567802"
    assert not SignupRequest.objects.exists()
    code = re.search(r"\d{6}", wagtail_grantee_sms.outbox[-1].body).group()
    assert verification.verify_code(waiting, code) is True


def test_when_an_hours_worth_of_sign_ups_waits_the_form_asks_to_come_back_later(
    visitor, page, settings, django_capture_on_commit_callbacks
):
    # Without a bound, a burst of sign-ups from many addresses would wait for days, spending
    # the whole hourly ceiling long after the burst, with every real visitor behind it.
    configure(settings, VERIFICATION_SENDS_PER_HOUR_TOTAL=1)
    sign_up_from(visitor, page, 0)  # sent
    sign_up_from(visitor, page, 1)  # waits for the next hour

    refused = sign_up_from(visitor, page, 2)

    assert refused.status_code == 200
    assert "Many people are signing up right now" in refused.content.decode()
    assert not Contact.objects.filter(phone="+6281234567802").exists()
    assert SignupRequest.objects.count() == 1
    Delivery.objects.update(created_at=timezone.now() - timedelta(minutes=61))
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_waiting_signups()
    assert sign_up_from(visitor, page, 3).status_code == 302


def test_a_waiting_sign_up_that_an_admin_sends_meanwhile_gets_one_sms(
    visitor, page, settings, django_capture_on_commit_callbacks
):
    configure(settings, VERIFICATION_SENDS_PER_HOUR_TOTAL=1)
    for n in range(2):
        sign_up_from(visitor, page, n)
    waiting = Contact.objects.get(phone="+6281234567801")
    configure(settings, VERIFICATION_SENDS_PER_HOUR_TOTAL=5)

    with django_capture_on_commit_callbacks(execute=True):
        verification.start_verification(waiting)  # from the admin, before the task ran
        tasks.send_waiting_signups()

    assert [m.to for m in wagtail_grantee_sms.outbox] == ["+6281234567800", "+6281234567801"]
    assert not SignupRequest.objects.exists()


def test_at_the_ceiling_an_admin_send_is_refused_and_says_until_when(visitor, page, settings):
    configure(settings, VERIFICATION_SENDS_PER_HOUR_TOTAL=1)
    sign_up_from(visitor, page, 0)
    contact = ContactFactory()

    with pytest.raises(verification.CeilingReached) as refused:
        verification.start_verification(contact)

    assert "The site has sent its 1 verification SMS of the last hour" in refused.value.message
    assert not Delivery.objects.filter(contact=contact).exists()


def test_the_admin_shows_the_ceiling_to_those_who_can_act(client, visitor, page, settings):
    configure(settings, VERIFICATION_SENDS_PER_HOUR_TOTAL=1)
    for n in range(2):
        sign_up_from(visitor, page, n)
    banner = "1 sign-up waits for its SMS"

    client.force_login(UserFactory(permissions=["change_contact"]))
    dashboard = client.get(reverse("wagtailadmin_home")).content.decode()
    contacts = client.get(reverse("wagtailsnippets_wagtail_grantee_sms_contact:list"))
    client.force_login(UserFactory(username="reader", permissions=["view_delivery"]))
    reader = client.get(reverse("wagtailadmin_home")).content.decode()

    assert banner in dashboard and "Verification SMS paused" in dashboard
    assert banner in contacts.content.decode()
    assert banner not in reader


def test_a_cache_that_stores_nothing_is_a_configuration_error(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}

    errors = [e for e in run_checks(tags=["caches"]) if e.id.startswith("wagtail_grantee_sms")]

    assert [e.id for e in errors] == ["wagtail_grantee_sms.E030"]


def test_the_request_does_the_same_work_for_a_known_and_a_new_number(
    page, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    ContactFactory(phone="+6281234567890", status=Contact.Status.VERIFIED)

    def work(phone):
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks() as queued,
        ):
            response = Client().post(page.url, form(phone=phone))
        sms_tables = [
            f"{q['sql'].split()[0]} {table}"
            for q in queries
            for table in re.findall(r'"(wagtail_grantee_sms_\w+)"', q["sql"])[:1]
        ]
        return response["Location"], sms_tables, [c.func.__name__ for c in queued]

    known, new = work("0812 3456 7890"), work("0857 1111 2222")

    assert known == new
    assert "INSERT wagtail_grantee_sms_signuprequest" in known[1]
    assert SignupRequest.objects.count() == 2


@pytest.mark.parametrize(
    "setting, value, error",
    [
        ("SIGNUP_ALLOWED_REGIONS", ["ID", "XX"], "wagtail_grantee_sms.E031"),
        ("SIGNUP_ALLOWED_REGIONS", "ID", "wagtail_grantee_sms.E031"),
        ("TRUSTED_PROXY_HOPS", "1", "wagtail_grantee_sms.E032"),
        ("TRUSTED_PROXY_HOPS", -1, "wagtail_grantee_sms.E032"),
    ],
)
def test_sign_up_settings_that_mean_nothing_are_errors(settings, setting, value, error):
    configure(settings, **{setting: value})

    ids = [e.id for e in run_checks(tags=["security"]) if e.id.startswith("wagtail_grantee_sms")]

    assert ids == [error]
