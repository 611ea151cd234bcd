"""The demo as a visitor and as its admin see it: links that point where the demo answers, the
SMS sign-up page in the site's layout and navigation, an admin who can change language."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from wagtail.models import Site
from wagtail.users.models import UserProfile

from example_site.demo.content import contacts as demo_contacts
from example_site.demo.content import pages as demo_pages
from example_site.demo.management.commands.ensure_demo_admin import Command as EnsureDemoAdmin

pytestmark = pytest.mark.django_db

EXAMPLE_TEMPLATES = Path(__file__).resolve().parents[2] / "example_site" / "templates"
DEMO_URL = "http://127.0.0.1:8123"


def with_example_templates():
    templates = [{**settings.TEMPLATES[0], "DIRS": [EXAMPLE_TEMPLATES]}]
    return override_settings(TEMPLATES=templates)


def hrefs(html, rel):
    return re.findall(rf'<link rel="{rel}"[^>]* href="([^"]+)"', html)


@override_settings(WAGTAILADMIN_BASE_URL=DEMO_URL)
def test_the_demo_site_answers_where_the_links_point(client):
    demo_pages.load(lambda line: None)

    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port) == ("127.0.0.1", 8123)
    html = client.get("/berita/", HTTP_HOST="127.0.0.1:8123").content.decode()
    assert hrefs(html, "canonical") == [f"{DEMO_URL}/berita/"]
    feeds = hrefs(html, "alternate")
    assert feeds and all(href.startswith(f"{DEMO_URL}/") for href in feeds)
    assert f"{DEMO_URL}/berita/feed/" in feeds


def test_loading_the_demo_again_follows_a_new_port():
    with override_settings(WAGTAILADMIN_BASE_URL=DEMO_URL):
        demo_pages.load(lambda line: None)
    with override_settings(WAGTAILADMIN_BASE_URL="http://localhost:9000"):
        demo_pages.load(lambda line: None)

    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port) == ("localhost", 9000)
    assert site.root_page.get_full_url() == "http://localhost:9000/"


def test_the_sms_signup_page_has_the_sites_header_navigation_and_footer(client):
    demo_pages.load(lambda line: None)
    demo_contacts.load(lambda line: None)

    with with_example_templates():
        signup = client.get("/sms/").content.decode()
        home = client.get("/").content.decode()

    assert '<header class="g-header">' in signup
    assert "wagtail_grantee/css/grantee.css" in signup  # the site's font and colours
    assert '<footer class="g-footer">' in signup
    assert '<a href="/sms/" aria-current="page">Dukung kami lewat SMS</a>' in signup
    assert '<a href="/berita/">Berita</a>' in signup
    assert 'name="phone"' in signup  # the form itself is still there
    assert '<a href="/sms/">Dukung kami lewat SMS</a>' in home  # linked from every page


@pytest.fixture
def demo_admin(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "admin")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "demo-password")
    call_command(EnsureDemoAdmin(), stdout=StringIO())
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="admin")


def account_form_data(response):
    """What the browser sends back from the account page: every field as shown."""
    data = {}
    for panels in response.context["panels_by_tab"].values():
        for panel in panels:
            for field in panel.get_form():
                value = field.value()
                if isinstance(field.field, forms.FileField):
                    continue  # no new picture
                if value is True:
                    data[field.html_name] = "on"
                elif value not in (None, False):
                    data[field.html_name] = value
    return data


def test_the_demo_admin_can_switch_the_admin_to_english(client, demo_admin):
    client.force_login(demo_admin)

    page = client.get("/admin/account/")
    data = account_form_data(page) | {"locale-preferred_language": "en"}
    response = client.post("/admin/account/", data)

    assert response.status_code == 302, response.context and [
        panel.get_form().errors for panels in response.context["panels_by_tab"].values()
        for panel in panels
    ]  # fmt: skip
    assert UserProfile.get_for_user(demo_admin).preferred_language == "en"
    demo_admin.refresh_from_db()
    assert demo_admin.get_full_name() == "Admin Bhinneka"


def test_an_admin_from_an_earlier_demo_gets_a_name(demo_admin, monkeypatch):
    demo_admin.first_name = demo_admin.last_name = ""
    demo_admin.save()
    monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD")

    call_command(EnsureDemoAdmin(), stdout=StringIO())

    demo_admin.refresh_from_db()
    assert demo_admin.get_full_name() == "Admin Bhinneka"
    assert demo_admin.check_password("demo-password")  # the password stays


def test_the_demo_has_one_sent_broadcast_with_its_deliveries():
    from example_site.demo.content import broadcasts as demo_broadcasts
    from wagtail_grantee_sms import broadcasting
    from wagtail_grantee_sms.models import Broadcast, Contact, Delivery

    demo_contacts.load(lambda line: None)
    demo_broadcasts.load(lambda line: None)
    demo_broadcasts.load(lambda line: None)  # again: nothing twice

    broadcast = Broadcast.objects.get()
    volunteers = Contact.objects.filter(
        groups__name="Relawan", status=Contact.Status.VERIFIED
    ).count()
    assert broadcast.status == Broadcast.Status.DONE
    assert broadcast.confirmed_at < broadcast.finished_at
    assert broadcast.recipient_count == broadcast.deliveries.count() == volunteers
    progress = broadcasting.progress(broadcast)
    assert progress["percent_done"] == 100
    assert (progress["delivered"], progress["accepted"], progress["failed"]) == (
        volunteers - 2,
        1,
        1,
    )
    assert not broadcast.deliveries.filter(body__contains="{first_name}").exists()
    assert Delivery.objects.filter(broadcast=broadcast, price__isnull=False).count() == (
        volunteers - 1
    )
