"""The river's feeds are the sections' feeds: the same routes, validators, 304s and feed cache
middleware, with what only a river needs (no tag feeds, no per-process state)."""

import contextlib
import json
from unittest import mock

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.grantee.factories import (
    AggregatorPageFactory,
    FeedEntryFactory,
    FeedSourceFactory,
    PostPageFactory,
)
from tests.grantee.paths import feed_path, use_feed_cache_middleware
from wagtail_grantee.feeds import views

pytestmark = pytest.mark.django_db


@pytest.fixture
def river(home):
    return AggregatorPageFactory(parent=home, title="Kabar mitra", slug="kabar")


@pytest.fixture
def feed_cache_middleware(settings):
    use_feed_cache_middleware(settings)


@contextlib.contextmanager
def another_process():
    """Code run as the worker runs it: same database, its own cache (nothing it writes to its
    cache reaches the web process's)."""
    worker_cache = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "the-worker",
        }
    }
    with override_settings(CACHES=worker_cache):
        yield


@pytest.mark.usefixtures("feed_cache_middleware")
def test_a_rivers_feed_is_answered_like_a_sections_and_shows_the_workers_entries(
    client, section, river
):
    PostPageFactory(parent=section, title="Pelatihan")
    source = FeedSourceFactory(name="Lembaga Bhinneka")
    FeedEntryFactory(source=source, title="Kabar pertama")
    conditional = mock.Mock(wraps=views.conditional_response)

    with mock.patch.object(views, "conditional_response", conditional):
        answers = {}
        for name, path in [("section", feed_path(section)), ("river", "/kabar/feed/")]:
            first = client.get(path)
            again = client.get(path, headers={"if-none-match": first["ETag"]})
            answers[name] = (first, again)

    for first, again in answers.values():
        assert first.status_code == 200
        assert again.status_code == 304
        assert (again["ETag"], again["Last-Modified"]) == (first["ETag"], first["Last-Modified"])
    # Both 304s came from the feed code's conditional response (the section's from the
    # middleware's memory of its address, the river's from its validators).
    assert conditional.call_count == 4
    river_first, _ = answers["river"]
    assert b"Kabar pertama" in river_first.content

    with another_process():
        FeedEntryFactory(source=source, title="Kabar kedua")

    changed = client.get("/kabar/feed/", headers={"if-none-match": river_first["ETag"]})
    assert changed.status_code == 200
    assert b"Kabar kedua" in changed.content
    assert client.get("/kabar/feed/").content == changed.content


def test_the_river_has_no_tag_or_category_feeds(client, river):
    FeedEntryFactory(source=FeedSourceFactory())
    for path in [
        "/kabar/tag/sms/feed/",
        "/kabar/tag/sms/feed/json/",
        "/kabar/category/laporan/feed/atom/",
    ]:
        assert client.get(path).status_code == 404
    assert client.get("/kabar/feed/").status_code == 200


def test_the_rivers_feed_content_is_sanitised_and_absolute(client, river):
    # Sanitised when fetched; an entry that reached the database otherwise is cleaned too.
    FeedEntryFactory(
        source=FeedSourceFactory(),
        link="https://mitra.example/kabar/1/",
        content=(
            '<p onclick="steal()">Isi <a href="../lain/">lain</a> '
            '<img src="/media/a.jpg" onerror="steal()"></p><script>steal()</script>'
            '<a href="javascript:steal()">x</a>'
        ),
    )

    document = json.loads(client.get("/kabar/feed/json/").content)
    html = document["items"][0]["content_html"]

    assert "steal" not in html
    assert 'href="https://mitra.example/kabar/lain/"' in html
    assert 'src="https://mitra.example/media/a.jpg"' in html


def test_the_rivers_items_follow_a_renamed_source(client, river):
    source = FeedSourceFactory(name="Nama lama")
    FeedEntryFactory(source=source, author="")
    etag = client.get("/kabar/feed/")["ETag"]

    source.name = "Nama baru"
    source.save()

    response = client.get("/kabar/feed/", headers={"if-none-match": etag})
    assert response.status_code == 200
    assert b"Nama baru" in response.content
    assert b"Nama lama" not in response.content


def test_the_river_page_names_its_own_feeds_once(client, river):
    html = client.get("/kabar/").content.decode()

    assert html.count('href="http://testserver/kabar/feed/"') == 2  # <head> and "Follow by RSS"
    assert 'title="Latest from Kabar mitra (RSS)"' in html


def test_editors_can_add_a_river_under_a_grantee_home(admin_client, home):
    choose = admin_client.get(reverse("wagtailadmin_pages:add_subpage", args=[home.pk]))
    add = reverse("wagtailadmin_pages:add", args=["wagtail_grantee", "aggregatorpage", home.pk])

    assert choose.status_code == 200
    assert add in choose.content.decode()
    assert admin_client.get(add).status_code == 200


def test_the_rivers_feed_state_is_read_in_one_query(river, django_assert_num_queries):
    chosen = FeedSourceFactory()
    river.sources.add(chosen)
    river.save()
    FeedEntryFactory(source=chosen)
    FeedEntryFactory(source=FeedSourceFactory())  # not chosen

    with django_assert_num_queries(1):
        state = river.get_feed("rss").get_state()

    assert state.fingerprint[1] == 1
