"""The demo in Chromium: the demo admin switches the admin to Indonesian, and a visitor finds
the SMS sign-up page in the navigation, in the site's own layout and font."""

from io import StringIO

import pytest
from django.core.management import call_command

from example_site.demo.content import contacts as demo_contacts
from example_site.demo.content import pages as demo_pages
from example_site.demo.management.commands.ensure_demo_admin import Command as EnsureDemoAdmin
from tests.foundation.test_demo_site import EXAMPLE_TEMPLATES

pytestmark = pytest.mark.browser


def ensure_wagtail_root():
    """The root page, root collection and default locale that Wagtail's migrations make: a
    browser test that ran before this one (they run last, on a live server) flushed them."""
    from django.conf import settings
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Collection, Locale, Page

    if not Page.objects.exists():
        language = get_supported_content_language_variant(settings.LANGUAGE_CODE)
        Locale.objects.get_or_create(language_code=language)
        Page.add_root(instance=Page(title="Root", slug="root", live=True))
    if not Collection.objects.exists():
        Collection.add_root(name="Root")


@pytest.fixture
def demo(transactional_db, settings, monkeypatch):
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [EXAMPLE_TEMPLATES]}]
    # The example site's admin languages (Wagtail's default list names Indonesian "id-id").
    settings.WAGTAILADMIN_PERMITTED_LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "demo-password")
    call_command(EnsureDemoAdmin(), stdout=StringIO())
    ensure_wagtail_root()
    demo_pages.load(lambda line: None)
    demo_contacts.load(lambda line: None)


def test_the_demo_admin_switches_the_admin_to_indonesian(live_server, page, demo):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "demo-password")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")

    page.goto(f"{live_server.url}/admin/account/")
    page.select_option("select[name=locale-preferred_language]", "id")
    page.get_by_role("button", name="Save").click()

    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "id"
    assert page.locator("#header-title").inner_text().strip() == "Akun"  # "Account"
    assert page.locator("text=This field is required").count() == 0


def test_a_visitor_finds_the_sms_signup_in_the_sites_layout(live_server, page, demo):
    page.goto(f"{live_server.url}/")
    site_font = page.eval_on_selector("body", "body => getComputedStyle(body).fontFamily")
    page.click(".g-nav >> text=Dukung kami lewat SMS")
    page.wait_for_url(f"{live_server.url}/sms/")

    assert page.locator(".g-header .g-brand").inner_text().strip() == "Lembaga Bhinneka"
    assert page.locator(".g-nav [aria-current=page]").inner_text() == "Dukung kami lewat SMS"
    assert page.locator(".g-footer").is_visible()
    assert page.eval_on_selector("body", "body => getComputedStyle(body).fontFamily") == site_font
    assert "system-ui" in site_font
    assert page.locator("input[name=phone]").is_visible()
