"""The demo's pages: Lembaga Bhinneka's site, loaded twice without duplicates."""

import datetime

import pytest
from django.utils import timezone
from wagtail.models import Page, Site

from example_site.demo.content import pages as demo_pages
from wagtail_grantee.models import Category, GranteeHomePage, PostPage, SectionPage

pytestmark = pytest.mark.django_db


def test_loads_the_grantee_site_once():
    logged = []
    demo_pages.load(logged.append)
    counts = (Page.objects.count(), PostPage.objects.count(), Category.objects.count())
    demo_pages.load(logged.append)

    assert (Page.objects.count(), PostPage.objects.count(), Category.objects.count()) == counts
    assert "0 posts created" in logged[-1]
    home = GranteeHomePage.objects.get()
    assert Site.objects.get(is_default_site=True).root_page.specific == home
    assert not Page.objects.filter(slug="home", depth=2).exists()  # Wagtail's welcome page
    assert sorted(SectionPage.objects.values_list("title", flat=True)) == ["Berita", "Laporan"]
    assert home.get_posts().count() == PostPage.objects.count() >= 6
    assert all(post.lead_image for post in PostPage.objects.all())


def test_the_seed_report_is_a_post_with_its_front_matter():
    demo_pages.load(lambda line: None)
    report = PostPage.objects.get(slug="bhinneka-mentoring-2012")

    assert report.title.startswith("Bhinneka - Mentoring")
    assert timezone.localtime(report.date).date() == datetime.date(2012, 11, 12)
    assert report.authors == "Siska Doviana"
    assert sorted(report.categories.values_list("slug", flat=True)) == [
        "bhinneka",
        "cms",
        "laporan",
        "mentoring",
    ]
    headings = [block.value for block in report.body if block.block_type == "heading"]
    assert headings[:2] == ["12 November 2012", "13 November 2012"]
    assert "RSS Feed" in str(report.body)


def test_the_home_renders_with_posts_in_both_languages(client):
    demo_pages.load(lambda line: None)

    html = client.get("/").content.decode()  # the default site answers any host
    assert "Lembaga Bhinneka" in html
    assert "Our notes move home from Facebook" in html
    assert "Kampanye anti kekerasan" in html
