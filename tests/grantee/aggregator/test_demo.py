"""The demo's river follows the demo site's own section feeds."""

import pytest

from example_site.demo.content import aggregator as demo_aggregator
from example_site.demo.content import pages as demo_pages
from tests.grantee.factories import ensure_page_tree
from wagtail_grantee.aggregator import fetching
from wagtail_grantee.models import AggregatorPage, FeedEntry, FeedSource, PostPage


@pytest.mark.django_db(transaction=True)
def test_the_demo_river_shows_the_demo_posts_after_one_fetch(live_server, monkeypatch, client):
    monkeypatch.setenv("DEMO_BASE_URL", live_server.url)
    ensure_page_tree()  # gone if an earlier transactional test flushed the database
    logged = []
    demo_pages.load(logged.append)
    demo_aggregator.load(logged.append)
    demo_aggregator.load(logged.append)  # again: nothing twice

    river = AggregatorPage.objects.get()
    assert FeedSource.objects.count() == river.sources.count() == 2
    assert "already there" in logged[-1]

    # One source per run: the live server shares the test's in-memory SQLite connection, so
    # its reads must not overlap a save (a worker and a web server are separate processes).
    for source in FeedSource.objects.all():
        summary = fetching.run([source.pk], force=True)
        assert summary.errors == 0, [o.error for o in summary.outcomes]
    assert FeedEntry.objects.count() == PostPage.objects.count()
    content = client.get(river.url).content.decode()
    report = PostPage.objects.get(slug="bhinneka-mentoring-2012")
    assert report.title in content
