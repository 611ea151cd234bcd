"""The aggregator page: the river of entries and its RSS, Atom and JSON feeds."""

import json
from datetime import timedelta

import feedparser
import pytest
from django.core.cache import cache
from django.utils import timezone

from tests.grantee.aggregator.server import rss, rss_items
from tests.grantee.factories import (
    AggregatorPageFactory,
    FeedEntryFactory,
    FeedSourceFactory,
)
from wagtail_grantee.aggregator import fetching

pytestmark = pytest.mark.django_db


@pytest.fixture
def river(home):
    return AggregatorPageFactory(parent=home, title="Kabar mitra", slug="kabar")


def entry(source, minutes_ago, **kwargs):
    return FeedEntryFactory(
        source=source, published_at=timezone.now() - timedelta(minutes=minutes_ago), **kwargs
    )


def test_the_river_lists_entries_newest_first_with_grantee_and_original_link(client, river):
    bhinneka = FeedSourceFactory(name="Lembaga Bhinneka")
    other = FeedSourceFactory(name="Lembaga Lain")
    entry(bhinneka, 30, title="Lama", link="http://bhinneka.example.org/lama/")
    entry(other, 5, title="Baru", link="http://lain.example.org/baru/")

    response = client.get("/kabar/")

    content = response.content.decode()
    assert response.status_code == 200
    assert content.index("Baru") < content.index("Lama")
    assert "Lembaga Bhinneka" in content and "Lembaga Lain" in content
    assert 'href="http://bhinneka.example.org/lama/"' in content


def test_the_river_shows_the_chosen_sources_only_or_all_active_ones(client, river):
    chosen = FeedSourceFactory(name="Dipilih")
    unchosen = FeedSourceFactory(name="Tidak dipilih")
    inactive = FeedSourceFactory(name="Nonaktif", active=False)
    entry(chosen, 1, title="Kabar dipilih")
    entry(unchosen, 1, title="Kabar lain")
    entry(inactive, 1, title="Kabar nonaktif")

    all_active = client.get("/kabar/").content.decode()
    assert "Kabar dipilih" in all_active and "Kabar lain" in all_active
    assert "Kabar nonaktif" not in all_active

    river.sources.set([chosen])
    river.save_revision().publish()
    only_chosen = client.get("/kabar/").content.decode()
    assert "Kabar dipilih" in only_chosen and "Kabar lain" not in only_chosen


def test_the_river_filters_by_source_and_paginates(client, river, settings):
    settings.WAGTAIL_GRANTEE |= {"POSTS_PER_PAGE": 2}
    a = FeedSourceFactory(name="Sumber A")
    b = FeedSourceFactory(name="Sumber B")
    for n in range(3):
        entry(a, n, title=f"A-{n}")
    entry(b, 10, title="B-0")

    filtered = client.get("/kabar/", {"source": a.pk}).content.decode()
    assert "A-0" in filtered and "A-1" in filtered and "B-0" not in filtered
    assert f"?source={a.pk}&amp;page=2" in filtered
    second = client.get("/kabar/", {"source": a.pk, "page": 2}).content.decode()
    assert "A-2" in second and "A-0" not in second
    assert client.get("/kabar/", {"source": "x"}).status_code == 200


def test_the_river_lazy_loads_images_with_their_size(client, river):
    entry(FeedSourceFactory(), 1, image_url="http://g.org/a.jpg", image_width=640, image_height=360)
    content = client.get("/kabar/").content.decode()
    assert (
        'src="http://g.org/a.jpg" alt="" loading="lazy" decoding="async" width="640" height="360"'
        in content
    )


def test_the_river_names_its_feeds_for_autodiscovery(client, river):
    content = client.get("/kabar/").content.decode()
    for media_type, path in [
        ("application/rss+xml", "/kabar/feed/"),
        ("application/atom+xml", "/kabar/feed/atom/"),
        ("application/feed+json", "/kabar/feed/json/"),
    ]:
        assert f'type="{media_type}"' in content
        assert f'href="http://testserver{path}"' in content


@pytest.mark.parametrize("path", ["/kabar/feed/", "/kabar/feed/atom/", "/kabar/feed/json/"])
def test_the_rivers_feeds_carry_the_entries(client, river, path):
    source = FeedSourceFactory(name="Lembaga Bhinneka")
    entry(source, 1, title="Kabar <baru>", link="http://b.org/1/", content="<p>Isi</p>")

    response = client.get(path)

    assert response.status_code == 200
    if path.endswith("json/"):
        document = json.loads(response.content)
        assert document["items"][0]["title"] == "Kabar <baru>"
        assert document["items"][0]["url"] == "http://b.org/1/"
        assert document["items"][0]["content_html"] == "<p>Isi</p>"
    else:
        parsed = feedparser.parse(response.content)
        assert not parsed.bozo
        assert parsed.entries[0].title == "Kabar <baru>"
        assert parsed.entries[0].link == "http://b.org/1/"
        assert parsed.entries[0].author == "Lembaga Bhinneka"


def test_a_conditional_get_is_answered_304_until_an_entry_changes(client, river):
    source = FeedSourceFactory()
    first = entry(source, 5, title="Satu")
    response = client.get("/kabar/feed/")
    etag, last_modified = response["ETag"], response["Last-Modified"]

    assert client.get("/kabar/feed/", HTTP_IF_NONE_MATCH=etag).status_code == 304

    first.title = "Satu (diperbarui)"
    first.save()
    changed = client.get("/kabar/feed/", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert b"Satu (diperbarui)" in changed.content
    assert last_modified  # derived from the newest change


def test_entries_saved_by_another_process_show_at_the_next_request(client, river, server):
    """The worker writes entries; the web process's cache knows nothing of it. The validators
    come from the data, so the feed changes all the same (the cache is even cleared here, as
    another process's cache would be, and the page was already cached before)."""
    server.feed("/feed/", rss(rss_items(1)))
    source = FeedSourceFactory(feed_url=server.url("/feed/"))
    fetching.run([source.pk], force=True)
    before = client.get("/kabar/feed/")
    assert b"Berita post 0" in before.content

    server.feed("/feed/", rss(rss_items(2)))
    fetching.run([source.pk], force=True)
    after = client.get("/kabar/feed/", HTTP_IF_NONE_MATCH=before["ETag"])

    assert after.status_code == 200
    assert b"Berita post 1" in after.content
    cache.clear()
    assert client.get("/kabar/feed/", HTTP_IF_NONE_MATCH=after["ETag"]).status_code == 304


def test_deactivating_a_source_changes_the_feed(client, river):
    source = FeedSourceFactory(name="Sumber")
    entry(source, 1, title="Kabar sumber")
    etag = client.get("/kabar/feed/")["ETag"]
    source.active = False
    source.save()
    response = client.get("/kabar/feed/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert b"Kabar sumber" not in response.content
