"""A first-time editor's walk through the admin on a phone, in Indonesian, following only what
the screen says: log in, switch the admin to Indonesian, open a contact from the list, import a
file that names an unknown group, see that the background worker is stopped, and try a reply."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

import wagtail_grantee_sms
from example_site.demo.management.commands.ensure_demo_admin import Command as EnsureDemoAdmin
from tests.sms.factories import ContactFactory, DeliveryFactory
from tests.sms.pipeline_backends import configure
from wagtail_grantee_sms.models import Contact, ContactGroup, Delivery

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.browser.urls")]

PHONE = {"width": 390, "height": 844}
SCREENSHOT = "/tmp/new-editor-walkthrough.png"

CSV = "nama,no hp,bahasa,grup\nBudi Santoso,0857 1111 2222,Indonesia,Relawan Pesisir\n"


@pytest.fixture
def site(transactional_db, settings, monkeypatch):
    """The demo's admin account and languages, a console-like SMS backend (no webhooks), a
    contact waiting for her YA, and an SMS that no worker has picked up."""
    settings.WAGTAILADMIN_PERMITTED_LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]
    configure(settings)
    wagtail_grantee_sms.outbox = []
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "demo-password")
    call_command(EnsureDemoAdmin(), stdout=StringIO())

    ani = ContactFactory(
        name="Ani Lubis",
        phone="+6281234567890",
        status=Contact.Status.PENDING,
        consent_source=Contact.ConsentSource.PAPER_FORM,
        consent_given_at=timezone.now(),
    )
    stuck = DeliveryFactory(contact__name="Citra Dewi")  # queued, and no worker took it
    Delivery.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    return ani


@pytest.fixture
def phone(chromium):
    context = chromium.new_context(locale="en-GB", viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def open_menu(page, *labels):
    """Open the collapsed sidebar and follow the menu items by their labels."""
    # Wagtail's Indonesian catalogue leaves the sidebar's toggle untranslated.
    page.get_by_role("button", name=re.compile("Toggle sidebar|bilah sisi")).click()
    for label in labels[:-1]:
        page.get_by_role("button", name=label, exact=True).click()
    page.get_by_role("link", name=labels[-1], exact=True).click()


def test_a_new_editor_walks_through_the_sms_admin_on_a_phone(live_server, phone, site, tmp_path):
    page = phone
    ani = site

    # Log in as the demo admin.
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("demo-password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/admin/")

    # Switch the admin to Indonesian in the account settings.
    page.get_by_role("button", name="Toggle sidebar").click()
    page.get_by_role("button", name="Admin", exact=True).click()
    page.get_by_role("link", name="Account").click()
    page.get_by_label("Preferred language").select_option(label="Bahasa Indonesia")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "id"
    assert page.locator("#header-title").inner_text().strip() == "Akun"

    # SMS -> Kontak; the contact's name opens her status and the verification actions.
    open_menu(page, "SMS", "Kontak")
    page.get_by_role("link", name="Ani Lubis").click()
    page.wait_for_url(f"**/contact/inspect/{ani.pk}/")
    main = page.locator("main")
    assert "Menunggu verifikasi" in main.inner_text()  # "Pending verification"
    expect(main.get_by_role("link", name="Kirim SMS verifikasi")).to_be_visible()

    # Import a file that names a group nobody made yet: the preview asks before creating it.
    csv_file = tmp_path / "pendukung.csv"
    csv_file.write_text(CSV)
    open_menu(page, "SMS", "Kontak")
    page.get_by_role("link", name="Impor", exact=True).click()
    page.locator("input[type=file]").set_input_files(str(csv_file))
    page.get_by_role("button", name="Unggah").click()
    page.get_by_role("button", name="Periksa baris").click()
    assert "Relawan Pesisir" in page.locator("[data-import-new-groups]").inner_text()
    page.get_by_label("Buat grup yang disebut dalam berkas dan belum ada").check()
    page.get_by_role("button", name="Impor 1 kontak").click()
    page.wait_for_url("**/admin/snippets/wagtail_grantee_sms/contact/")
    assert "1 kontak" in page.locator(".messages").inner_text()
    assert ContactGroup.objects.filter(name="Relawan Pesisir").exists()
    assert Contact.objects.filter(name="Budi Santoso", groups__name="Relawan Pesisir").exists()

    # The SMS screens say why the queued SMS is not sent.
    banner = page.locator("[data-sms-worker-banner]")
    assert "Pekerja latar belakang tidak berjalan." in banner.inner_text()
    expect(banner).to_be_visible()

    # Ani's YA, tried from the inbox without a phone: she becomes verified.
    open_menu(page, "SMS", "Kotak masuk")
    page.get_by_role("link", name="Simulasikan SMS masuk").click()
    # One backend: nothing to choose, so no setting's name ("default") on her screen.
    expect(page.get_by_label("Backend SMS")).to_have_count(0)
    page.get_by_label("Dari (nomor telepon)").fill("0812-3456-7890")
    page.get_by_label("Pesan").fill("YA")
    page.get_by_role("button", name="Terima SMS ini").click()
    page.wait_for_url("**/inboundmessage/inspect/*/")
    assert "Memverifikasi kontak" in page.locator("main").inner_text()  # "Verified the contact"
    ani.refresh_from_db()
    assert ani.status == Contact.Status.VERIFIED

    open_menu(page, "SMS", "Kontak")
    page.get_by_role("link", name="Ani Lubis").click()
    page.wait_for_url(f"**/contact/inspect/{ani.pk}/")
    assert "Terverifikasi" in page.locator("main").inner_text()
    page.screenshot(path=SCREENSHOT, full_page=True)
