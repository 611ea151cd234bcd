"""Fetching against a real HTTP server on 127.0.0.1: what a well-behaved aggregator does, and
how each fault is recorded without losing anything or blocking the other sources."""

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.grantee.aggregator.server import FeedServer, Route, rss, rss_items
from tests.grantee.factories import FeedSourceFactory
from wagtail_grantee.aggregator import fetching
from wagtail_grantee.models import FeedEntry, FeedSource

pytestmark = pytest.mark.django_db


def source_for(server, path, **kwargs):
    return FeedSourceFactory(feed_url=server.url(path), site_url=server.url("/"), **kwargs)


def fetch(*sources, force=True):
    summary = fetching.run([source.pk for source in sources], force=force)
    for source in sources:
        source.refresh_from_db()
    return summary


def test_200_then_304_sends_the_validators_and_changes_nothing(server):
    server.feed(
        "/feed/", rss(rss_items(3)), etag='"v1"', last_modified="Mon, 01 Jan 2024 10:00:00 GMT"
    )
    source = source_for(server, "/feed/")

    first = fetch(source)
    assert first.outcomes[0].new == 3
    assert source.last_status == 200
    assert source.etag == '"v1"'
    assert source.last_modified == "Mon, 01 Jan 2024 10:00:00 GMT"
    changed_at = sorted(FeedEntry.objects.values_list("changed_at", flat=True))

    second = fetch(source)
    headers = server.requests_to("/feed/")[-1]
    assert headers["If-None-Match"] == '"v1"'
    assert headers["If-Modified-Since"] == "Mon, 01 Jan 2024 10:00:00 GMT"
    assert second.outcomes[0].not_modified
    assert source.last_status == 304
    assert source.etag == '"v1"'  # validators are replaced only by a 200
    assert sorted(FeedEntry.objects.values_list("changed_at", flat=True)) == changed_at
    assert "not modified" in second.outcomes[0].describe()


def test_a_permanent_redirect_updates_the_feed_address_a_temporary_one_does_not(server):
    new_home = server.feed("/new/feed/", rss(rss_items(1)))
    server.redirect("/moved/", 301, new_home)
    server.redirect("/elsewhere/", 302, new_home)
    moved = source_for(server, "/moved/")
    visiting = source_for(server, "/elsewhere/")

    fetch(moved, visiting)

    assert moved.feed_url == new_home
    assert visiting.feed_url == server.url("/elsewhere/")
    assert moved.entries.count() == visiting.entries.count() == 1


def test_a_308_after_a_302_is_not_permanent(server):
    final = server.feed("/final/", rss(rss_items(1)))
    server.redirect("/b/", 308, final)
    server.redirect("/a/", 302, server.url("/b/"))
    source = source_for(server, "/a/")

    fetch(source)

    assert source.feed_url == server.url("/a/")


def test_too_many_redirects_is_an_error(server):
    for n in range(7):
        server.redirect(f"/r{n}/", 302, server.url(f"/r{n + 1}/"))
    source = source_for(server, "/r0/")

    fetch(source)

    assert "More than 5 redirects" in source.last_error
    assert len(server.requests) == 6


def test_410_deactivates_the_source_and_says_so(server):
    server.add("/gone/", status=410)
    source = source_for(server, "/gone/")

    fetch(source)

    assert source.active is False
    assert source.last_status == 410
    assert "410" in source.last_error and "deactivated" in source.last_error


def test_500_backs_off_doubling_up_to_a_day_then_recovers(server):
    server.add("/feed/", status=500)
    source = source_for(server, "/feed/")
    delays = []
    for _ in range(7):
        before = timezone.now()
        fetch(source)
        delays.append(source.next_fetch_at - before)
    assert source.error_count == 7
    assert source.last_status == 500
    assert "HTTP 500" in source.last_error
    hours = [round(delay / timedelta(hours=1)) for delay in delays]
    assert hours == [1, 2, 4, 8, 16, 24, 24]
    # Backing off: not due, so a scheduled run leaves it alone.
    assert fetching.run().outcomes == []

    server.feed("/feed/", rss(rss_items(2)))
    fetch(source)
    assert source.error_count == 0
    assert source.last_error == ""
    assert source.entries.count() == 2
    assert source.next_fetch_at - timezone.now() == pytest.approx(
        timedelta(hours=1), abs=timedelta(minutes=1)
    )


def test_a_malformed_feed_is_an_error_and_keeps_the_entries(server):
    server.feed("/feed/", rss(rss_items(2)))
    source = source_for(server, "/feed/")
    fetch(source)
    server.feed("/feed/", "<html><body>Maintenance <b>not closed", content_type="text/xml")

    fetch(source)

    assert source.error_count == 1
    assert "Not a feed that can be read" in source.last_error
    assert source.entries.count() == 2


def test_a_bozo_feed_with_real_entries_is_accepted(server):
    # An undeclared entity makes the XML ill-formed; feedparser still reads the items.
    server.feed("/feed/", rss(rss_items(2)).replace("Isi berita 0", "Isi &nbsp; berita 0"))
    source = source_for(server, "/feed/")

    fetch(source)

    assert source.error_count == 0
    assert source.entries.count() == 2


def test_a_slow_server_times_out_while_the_others_finish(server, settings):
    settings.WAGTAIL_GRANTEE |= {"AGGREGATOR_TIMEOUT": 1, "AGGREGATOR_CONCURRENCY": 4}
    server.add("/slow/", Route(body=rss(rss_items(1)).encode(), delay=3))
    slow = source_for(server, "/slow/")
    others = []
    for n in range(3):
        server.feed(f"/f{n}/", rss(rss_items(1, f"f{n}")))
        others.append(source_for(server, f"/f{n}/"))

    started = time.monotonic()
    summary = fetch(slow, *others)
    elapsed = time.monotonic() - started

    assert "did not answer in time" in slow.last_error
    assert slow.last_status is None
    assert all(other.error_count == 0 and other.entries.count() == 1 for other in others)
    # The others were saved first, not after the slow one.
    assert summary.outcomes[-1].source_id == slow.pk
    assert elapsed < 3


def test_a_huge_body_is_cut_off_while_streaming(server, settings):
    settings.WAGTAIL_GRANTEE |= {"AGGREGATOR_MAX_BYTES": 200_000}
    server.add("/huge/", Route(endless=True))
    source = source_for(server, "/huge/")

    fetch(source)

    assert "larger than 200000 bytes" in source.last_error
    for _ in range(50):  # the server notices the closed connection on its next write
        if "/huge/" in server.aborted:
            break
        time.sleep(0.1)
    assert 0 < server.aborted["/huge/"] < 10_000_000


def test_a_declared_length_over_the_limit_is_refused_before_reading(server, settings):
    settings.WAGTAIL_GRANTEE |= {"AGGREGATOR_MAX_BYTES": 1000}
    server.feed("/feed/", rss(rss_items(30)))
    source = source_for(server, "/feed/")

    fetch(source)

    assert "larger than 1000 bytes" in source.last_error
    assert source.entries.count() == 0


def test_repeated_guids_yield_one_entry(server):
    item = rss_items(1)[0]
    server.feed("/feed/", rss([item, item | {"title": "Same guid again"}]))
    source = source_for(server, "/feed/")

    fetch(source)
    fetch(source)

    assert source.entries.count() == 1


def test_entries_without_a_guid_are_told_apart_by_their_link(server):
    items = [{k: v for k, v in item.items() if k != "guid"} for item in rss_items(2)]
    server.feed("/feed/", rss(items))
    source = source_for(server, "/feed/")

    fetch(source)
    fetch(source)

    assert sorted(source.entries.values_list("guid", flat=True)) == [
        "http://example.org/post/0/",
        "http://example.org/post/1/",
    ]


def test_a_changed_entry_is_updated_in_place_and_keeps_its_place(server):
    items = rss_items(2)
    server.feed("/feed/", rss(items))
    source = source_for(server, "/feed/")
    fetch(source)
    entry = source.entries.get(guid="urn:post:0")

    items[0] = items[0] | {"title": "Judul baru", "description": "&lt;p&gt;Isi baru.&lt;/p&gt;"}
    server.feed("/feed/", rss(items))
    summary = fetch(source)

    assert (summary.outcomes[0].new, summary.outcomes[0].updated) == (0, 1)
    updated = source.entries.get(guid="urn:post:0")
    assert updated.pk == entry.pk
    assert updated.title == "Judul baru"
    assert updated.content == "<p>Isi baru.</p>"
    assert updated.published_at == entry.published_at
    assert updated.changed_at > entry.changed_at
    assert source.entries.count() == 2


def test_a_run_records_failures_and_goes_on(server):
    server.add("/broken/", status=503)
    broken = source_for(server, "/broken/")
    healthy = source_for(server, server.feed("/ok/", rss(rss_items(2)))[len(server.base_url) :])

    summary = fetch(broken, healthy)

    assert summary.errors == 1
    assert broken.error_count == 1 and broken.last_status == 503
    assert healthy.entries.count() == 2
    assert "1 errors" in summary.describe()


def test_json_feed_and_atom_are_read(server):
    json_feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "J",
        "home_page_url": "http://example.org/",
        "items": [
            {
                "id": "j1",
                "url": "/j/1/",
                "title": "Kabar JSON",
                "content_html": "<p>Halo <img src='/i.png'></p>",
                "date_published": "2024-02-01T10:00:00+07:00",
                "authors": [{"name": "Ani"}],
            }
        ],
    }
    atom = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>A</title><id>urn:a</id><updated>2024-03-01T00:00:00Z</updated>"
        '<entry><id>urn:a:1</id><title>Kabar Atom</title><link href="http://example.org/a/1/"/>'
        "<updated>2024-03-01T00:00:00Z</updated><author><name>Budi</name></author>"
        '<content type="html">&lt;p&gt;Isi&lt;/p&gt;</content></entry></feed>'
    )
    json_source = source_for(server, "/json/")
    atom_source = source_for(server, "/atom/")
    server.feed("/json/", json.dumps(json_feed), content_type="application/feed+json")
    server.feed("/atom/", atom, content_type="application/atom+xml")

    fetch(json_source, atom_source)

    j = json_source.entries.get()
    assert (j.title, j.link, j.author) == ("Kabar JSON", "http://example.org/j/1/", "Ani")
    assert j.image_url == "http://example.org/i.png"
    assert j.published_at.isoformat() == "2024-02-01T03:00:00+00:00"
    a = atom_source.entries.get()
    assert (a.title, a.author, a.content) == ("Kabar Atom", "Budi", "<p>Isi</p>")


def test_a_feed_is_found_from_the_home_pages_autodiscovery_link(server):
    feed_url = server.feed("/berita/feed/", rss(rss_items(2)))
    server.feed(
        "/",
        '<!DOCTYPE html><html><head><link rel="stylesheet" href="/s.css">'
        '<link rel="alternate" type="application/rss+xml" href="/berita/feed/"></head></html>',
        content_type="text/html; charset=utf-8",
    )
    source = FeedSourceFactory(site_url=server.url("/"), feed_url="")

    fetch(source)

    assert source.feed_url == feed_url
    assert source.entries.count() == 2


def test_a_home_page_without_feed_links_is_an_error(server):
    server.feed("/", "<!DOCTYPE html><html><head></head></html>", content_type="text/html")
    source = FeedSourceFactory(site_url=server.url("/"), feed_url="")

    fetch(source)

    assert "names no feed" in source.last_error
    assert source.feed_url == ""


def test_only_due_active_sources_are_fetched_without_force(server):
    url = server.feed("/feed/", rss(rss_items(1)))
    due = FeedSourceFactory(feed_url=url)
    later = FeedSourceFactory(feed_url=url, next_fetch_at=timezone.now() + timedelta(hours=1))
    inactive = FeedSourceFactory(feed_url=url, active=False)

    summary = fetching.run()

    assert [o.source_id for o in summary.outcomes] == [due.pk]
    assert FeedSource.objects.get(pk=later.pk).last_fetched_at is None
    assert FeedSource.objects.get(pk=inactive.pk).last_fetched_at is None


def test_prune_deletes_old_entries(server):
    old = rss_items(1, "old")[0] | {"pubDate": "Mon, 01 Jan 2001 10:00:00 +0000"}
    server.feed("/feed/", rss([old, *rss_items(1)]))
    source = source_for(server, "/feed/")
    fetch(source)

    assert fetching.prune(days=3650) == 1
    assert list(source.entries.values_list("guid", flat=True)) == ["urn:post:0"]


def test_the_server_sees_the_configured_user_agent(server, settings):
    settings.WAGTAIL_GRANTEE |= {"AGGREGATOR_USER_AGENT": "CiptaMedia-Aggregator/1.0"}
    server.feed("/feed/", rss(rss_items(1)))
    fetch(source_for(server, "/feed/"))
    assert server.requests_to("/feed/")[0]["User-Agent"] == "CiptaMedia-Aggregator/1.0"


def test_the_default_user_agent_names_the_suite():
    from wagtail_grantee.aggregator.http import user_agent

    assert user_agent().startswith("wagtail-grantee/")


@pytest.fixture
def private_server():
    """A second server on 127.0.0.2: a private address that the settings do not allow."""
    with FeedServer(host="127.0.0.2") as feed_server:
        yield feed_server


def test_a_private_address_is_refused_and_no_request_is_sent(private_server):
    private_server.feed("/feed/", rss(rss_items(1)))
    source = FeedSourceFactory(feed_url=private_server.url("/feed/"))

    fetch(source)

    assert private_server.requests == []
    assert "private or reserved address" in source.last_error
    assert source.last_status is None
    assert source.error_count == 1


def test_a_redirect_to_a_private_address_is_refused_before_it_is_followed(server, private_server):
    private_server.feed("/secret/", rss(rss_items(1)))
    server.redirect("/feed/", 302, private_server.url("/secret/"))
    source = source_for(server, "/feed/")

    fetch(source)

    assert len(server.requests) == 1
    assert private_server.requests == []
    assert "private or reserved address" in source.last_error
