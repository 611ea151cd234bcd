"""A visitor on a phone, in Indonesian, sees how to follow a section by RSS and gets its feed."""

from urllib.parse import urlsplit

import pytest

from tests.grantee.factories import PostPageFactory, SectionPageFactory, SiteFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_finds_the_rss_link_and_what_it_is_for(live_server, chromium):
    address = urlsplit(live_server.url)
    home = SiteFactory(hostname=address.hostname, port=address.port).root_page
    section = SectionPageFactory(parent=home, title="Berita")
    PostPageFactory(parent=section, title="Kabar dari Surabaya")
    context = chromium.new_context(locale="id-ID", viewport={"width": 375, "height": 740})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/berita/")

        link = page.get_by_role("link", name="Ikuti lewat RSS")
        link.scroll_into_view_if_needed()
        assert link.is_visible()
        assert page.get_by_text("Apa itu RSS?").is_visible()
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375  # fits a phone's screen
        feed = page.request.get(link.get_attribute("href"))
        assert feed.status == 200
        assert feed.headers["content-type"].startswith("application/rss+xml")
        assert "Kabar dari Surabaya" in feed.text()
    finally:
        context.close()
