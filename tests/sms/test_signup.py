"""The public sign-up page: name, number, consent; a code by SMS; the code typed on the site."""

import re

import pytest
from wagtail.models import Page, Site

import wagtail_grantee_sms
from wagtail_grantee_sms.models import Contact, SignupPage

from .factories import ContactFactory, ContactGroupFactory
from .test_verification import LOCMEM

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def locmem_backend(settings):
    settings.WAGTAIL_GRANTEE_SMS = dict(LOCMEM)


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
    settings.WAGTAIL_GRANTEE_SMS = {**LOCMEM, "SIGNUP_ATTEMPTS_PER_NUMBER": 2}
    for _attempt in range(2):
        assert visitor.post_and_send(page.url, form()).status_code == 302

    third = visitor.post_and_send(page.url, form(), REMOTE_ADDR="10.0.0.9")

    assert "Too many attempts" in third.content.decode()


def test_sign_ups_are_throttled_per_ip_address(visitor, page, settings):
    settings.WAGTAIL_GRANTEE_SMS = {**LOCMEM, "SIGNUP_ATTEMPTS_PER_IP": 2}
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
