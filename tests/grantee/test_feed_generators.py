"""The feed generators on plain data: well-formed, complete documents whatever the text."""

import datetime
import json

import feedparser
import pytest
from django.utils.feedgenerator import Enclosure

from wagtail_grantee.feeds.content import clean_html, xml_safe
from wagtail_grantee.feeds.generators import AtomFeed, FeedImage, JsonFeed, RssFeed

PUBLISHED = datetime.datetime(2012, 11, 12, 9, 30, tzinfo=datetime.UTC)
UPDATED = datetime.datetime(2012, 11, 15, 17, 0, tzinfo=datetime.UTC)
HOSTILE = "Fish & chips ]]> <script>alert(1)</script>"


def build(feed_class, *, hub=None):
    feed = feed_class(
        title="Latest posts from Berita",
        link="https://bhinneka.example/berita/",
        description="News of Lembaga Bhinneka",
        language="id",
        author_name="Lembaga Bhinneka",
        feed_url="https://bhinneka.example/berita/feed/",
        hub=hub,
        updated=None,
    )
    image = FeedImage("https://bhinneka.example/media/a.jpg", "image/jpeg", 1234, 1200, 675)
    feed.add_item(
        title=xml_safe(HOSTILE + "\x00\x08"),
        link="https://bhinneka.example/berita/mentoring/",
        description="Three days of &lt;b&gt;mentoring&lt;/b&gt;",
        summary="Three days of <b>mentoring</b>",
        unique_id="urn:uuid:0b0e7b6e-2d0a-4a55-9d61-0e5a2f3c9a10",
        unique_id_is_permalink=False,
        pubdate=PUBLISHED,
        updateddate=UPDATED,
        author_name="Siska Doviana",
        categories=["laporan", "mentoring"],
        enclosures=[Enclosure(image.url, str(image.length), image.mime_type)],
        image=image,
        content_html=clean_html(f"<p>{HOSTILE}</p>", "https://bhinneka.example/"),
    )
    return feed


@pytest.mark.parametrize("feed_class", [RssFeed, AtomFeed])
def test_xml_feeds_parse_cleanly_with_hostile_text(feed_class):
    parsed = feedparser.parse(build(feed_class).writeString("utf-8"))

    assert parsed.bozo == 0, parsed.get("bozo_exception")
    entry = parsed.entries[0]
    assert entry.title == "Fish & chips ]]> <script>alert(1)</script>"
    assert "<script" not in entry.content[0].value
    assert "Fish &amp; chips ]]&gt;" in entry.content[0].value
    assert entry.id == "urn:uuid:0b0e7b6e-2d0a-4a55-9d61-0e5a2f3c9a10"
    assert entry.media_content[0]["url"] == "https://bhinneka.example/media/a.jpg"
    assert [tag.term for tag in entry.tags] == ["laporan", "mentoring"]


def test_rss_names_the_guid_as_no_permalink_and_declares_the_media_namespace():
    document = build(RssFeed).writeString("utf-8")

    assert 'xmlns:media="http://search.yahoo.com/mrss/"' in document
    assert '<guid isPermaLink="false">urn:uuid:' in document
    assert '<enclosure length="1234" type="image/jpeg"' in document


def test_last_build_date_comes_from_the_items_not_the_clock():
    assert "<lastBuildDate>Thu, 15 Nov 2012 17:00:00 +0000</lastBuildDate>" in build(
        RssFeed
    ).writeString("utf-8")
    assert "<updated>2012-11-15T17:00:00+00:00</updated>" in build(AtomFeed).writeString("utf-8")


@pytest.mark.parametrize("feed_class", [RssFeed, AtomFeed])
def test_xml_feeds_name_the_websub_hub(feed_class):
    parsed = feedparser.parse(build(feed_class, hub="https://hub.example/").writeString("utf-8"))

    assert {"rel": "hub", "href": "https://hub.example/"}.items() <= next(
        link for link in parsed.feed.links if link.rel == "hub"
    ).items()


def test_json_feed_follows_version_1_1():
    document = json.loads(build(JsonFeed, hub="https://hub.example/").writeString("utf-8"))

    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert document["title"] == "Latest posts from Berita"
    assert document["feed_url"] == "https://bhinneka.example/berita/feed/"
    assert document["hubs"] == [{"type": "WebSub", "url": "https://hub.example/"}]
    assert document["authors"][0]["name"] == "Lembaga Bhinneka"
    item = document["items"][0]
    assert item["id"] == "urn:uuid:0b0e7b6e-2d0a-4a55-9d61-0e5a2f3c9a10"
    assert item["summary"] == "Three days of <b>mentoring</b>"
    assert "<script" not in item["content_html"]
    assert item["date_published"] == "2012-11-12T09:30:00+00:00"
    assert item["date_modified"] == "2012-11-15T17:00:00+00:00"
    assert item["attachments"] == [
        {
            "url": "https://bhinneka.example/media/a.jpg",
            "mime_type": "image/jpeg",
            "size_in_bytes": 1234,
        }
    ]


def test_clean_html_makes_links_and_images_absolute():
    html = clean_html(
        '<p><a href="/berita/">b</a> <img src="/media/a.jpg" srcset="/media/a.jpg 480w, '
        'b.jpg 800w" alt="x" onerror="alert(1)"></p><iframe src="/x"></iframe>',
        "https://bhinneka.example/",
    )

    assert '<a href="https://bhinneka.example/berita/">' in html
    assert 'src="https://bhinneka.example/media/a.jpg"' in html
    assert (
        'srcset="https://bhinneka.example/media/a.jpg 480w, https://bhinneka.example/b.jpg 800w"'
        in html
    )
    assert "onerror" not in html
    assert "iframe" not in html


def test_the_channel_date_is_the_newest_of_its_own_and_the_items():
    feed = build(RssFeed)
    feed.feed["updated"] = datetime.datetime(2013, 1, 1, tzinfo=datetime.UTC)
    assert feed.latest_post_date() == feed.feed["updated"]

    feed.feed["updated"] = datetime.datetime(2012, 1, 1, tzinfo=datetime.UTC)
    assert feed.latest_post_date() == UPDATED
