"""The demo in Chromium: the demo admin switches the admin to Indonesian, and a visitor finds
the SMS sign-up page in the navigation, in the site's own layout and font."""

import pytest

from example_site.demo.content import contacts as demo_contacts
from example_site.demo.content import pages as demo_pages
from example_site.demo.management.commands.ensure_demo_admin import Command as EnsureDemoAdmin
from tests.browser.conftest import CHROMIUM, chromium, page  # noqa: F401  (fixtures)

from .test_demo_site import EXAMPLE_TEMPLATES

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing"),
]


@pytest.fixture
def demo(transactional_db, django_db_serialized_rollback, settings, monkeypatch):
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [EXAMPLE_TEMPLATES]}]
    # The example site's admin languages (Wagtail's default list names Indonesian "id-id").
    settings.WAGTAILADMIN_PERMITTED_LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "demo-password")
    from io import StringIO

    from django.core.management import call_command

    call_command(EnsureDemoAdmin(), stdout=StringIO())
    demo_pages.load(lambda line: None)
    demo_contacts.load(lambda line: None)


def test_the_demo_admin_switches_the_admin_to_indonesian(live_server, page, demo):  # noqa: F811
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


def test_a_visitor_finds_the_sms_signup_in_the_sites_layout(live_server, page, demo):  # noqa: F811
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
