"""A programme officer adds a grantee by its home page address, fetches it now, and sees its
posts on the aggregator page."""

import pytest
from wagtail.models import Site

from tests.grantee.aggregator.server import FeedServer, rss, rss_items
from tests.grantee.factories import AggregatorPageFactory, ensure_page_tree
from wagtail_grantee.models import FeedSource

pytestmark = [pytest.mark.browser]

HOME_PAGE = (
    "<!DOCTYPE html><html><head><title>Lembaga Bhinneka</title>"
    '<link rel="alternate" type="application/rss+xml" title="Berita" href="/berita/feed/">'
    "</head><body>Lembaga Bhinneka</body></html>"
)


@pytest.fixture
def grantee_site():
    with FeedServer() as server:
        server.feed("/", HOME_PAGE, content_type="text/html; charset=utf-8")
        server.feed("/berita/feed/", rss(rss_items(3, "bhinneka"), title="Berita Bhinneka"))
        yield server


def default_site():
    """The default site, made again when an earlier transactional test flushed the database
    (and with it the locale, the tree's root and the site that migrations create)."""
    root = ensure_page_tree()
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        site = Site.objects.create(hostname="localhost", root_page=root, is_default_site=True)
    return site


@pytest.fixture
def officer(transactional_db, django_user_model):
    return django_user_model.objects.create_superuser("officer", "o@example.org", "s3cret-pass")


def test_officer_adds_a_source_by_its_home_page_and_sees_its_posts(
    live_server, page, officer, grantee_site, settings
):
    settings.WAGTAIL_GRANTEE = {"AGGREGATOR_ALLOWED_NETWORKS": ["127.0.0.1/32"]}
    river = AggregatorPageFactory(
        parent=default_site().root_page, title="Kabar mitra", slug="kabar"
    )

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", "officer")
    page.fill("input[name=password]", "s3cret-pass")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")

    # Add the grantee by its home page address only.
    page.goto(f"{live_server.url}/admin/snippets/wagtail_grantee/feedsource/")
    page.get_by_role("link", name="Add feed source").click()
    page.get_by_role("textbox", name="Name").fill("Lembaga Bhinneka")
    page.get_by_role("textbox", name="Website").fill(grantee_site.url("/"))
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/admin/snippets/wagtail_grantee/feedsource/")
    assert "Not fetched yet" in page.content()

    # Fetch it now.
    page.get_by_role("button", name="More options for 'Lembaga Bhinneka'").click()
    page.get_by_role("link", name="Fetch now").click()
    page.get_by_role("button", name="Fetch now").click()
    page.wait_for_url("**/admin/snippets/wagtail_grantee/feedsource/")
    assert "Lembaga Bhinneka: fetched, 3 new, 0 updated" in page.content()
    source = FeedSource.objects.get()
    assert source.feed_url == grantee_site.url("/berita/feed/")  # found by autodiscovery

    # The river shows its posts, each with the grantee's name and a link to the original.
    page.goto(f"{live_server.url}{river.url}")
    for n in range(3):
        link = page.get_by_role("link", name=f"Berita bhinneka {n}")
        assert link.get_attribute("href") == f"http://example.org/bhinneka/{n}/"
    assert page.locator(".g-river__source").first.inner_text() == "Lembaga Bhinneka"
