"""Section and home feeds as an aggregator sees them: complete, valid, public posts only."""

import datetime
import json
import xml.etree.ElementTree as ET

import feedparser
import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.models import PageViewRestriction
from wagtail.rich_text import expand_db_html

from tests.grantee.factories import (
    CategoryFactory,
    GranteeHomePageFactory,
    ImageFactory,
    PostPageFactory,
    SectionPageFactory,
    SiteFactory,
)
from tests.grantee.paths import feed_path
from wagtail_grantee.feeds.content import expand_db_html_many

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
FEED_ROUTES = ["feed", "feed-atom", "feed-json"]


def get_feed(client, page, name="feed", **kwargs):
    response = client.get(feed_path(page, name, **kwargs))
    assert response.status_code == 200
    return response


def parse(client, page, name="feed", **kwargs):
    """The feed as feedparser reads it (JSON Feeds as a dict), after checking it is valid."""
    response = get_feed(client, page, name, **kwargs)
    if name.endswith("json"):
        return json.loads(response.content)
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


def item_ids(client, page, name="feed", **kwargs):
    parsed = parse(client, page, name, **kwargs)
    if name.endswith("json"):
        return [item["id"] for item in parsed["items"]]
    return [entry.id for entry in parsed.entries]


def guid(post):
    return f"urn:uuid:{post.guid}"


def publish(page):
    page.save_revision().publish()
    page.refresh_from_db()
    return page


@pytest.mark.parametrize("scope", ["all", "tag", "category"])
@pytest.mark.parametrize("feed_format", ["rss", "atom", "json"])
@pytest.mark.parametrize("owner", ["section", "home"])
def test_every_feed_of_sections_and_homes_is_valid_and_lists_the_post(
    client, section, home, owner, feed_format, scope
):
    post = PostPageFactory(
        parent=section, tags=["pemilu"], categories=[CategoryFactory(name="Laporan")]
    )
    name = {"rss": "feed", "atom": "feed-atom", "json": "feed-json"}[feed_format]
    kwargs = {}
    if scope != "all":
        name = f"{scope}-{name}"
        kwargs = {"tag": "pemilu"} if scope == "tag" else {"category": "laporan"}
    page = section if owner == "section" else home

    assert item_ids(client, page, name, **kwargs) == [guid(post)]


def test_feed_of_an_unknown_tag_or_category_is_not_found(client, section):
    assert client.get(feed_path(section, "tag-feed", tag="nothing")).status_code == 404
    assert client.get(feed_path(section, "category-feed-atom", category="none")).status_code == 404


def test_tag_and_category_feeds_carry_only_their_posts(client, section):
    tagged = PostPageFactory(parent=section, tags=["pemilu"])
    filed = PostPageFactory(parent=section, categories=[CategoryFactory(name="Laporan")])

    assert item_ids(client, section, "tag-feed", tag="pemilu") == [guid(tagged)]
    assert item_ids(client, section, "category-feed-json", category="laporan") == [guid(filed)]
    assert parse(client, section, "tag-feed", tag="pemilu").feed.title == (
        "Posts tagged “pemilu” from Berita"
    )


def test_rss_channel_carries_the_required_and_recommended_elements(client, section, home):
    PostPageFactory(parent=section)
    channel = ET.fromstring(get_feed(client, section).content).find("channel")  # noqa: S314

    assert channel.findtext("title") == "Latest posts from Berita"
    assert channel.findtext("link") == "http://testserver/berita/"
    assert channel.findtext("description")
    assert channel.findtext("language") == "en"
    assert channel.find(f"{ATOM}link[@rel='self']").get("href") == (
        "http://testserver/berita/feed/"
    )
    assert channel.findtext("{http://purl.org/dc/elements/1.1/}creator") == home.title
    assert channel.findtext("lastBuildDate")


def test_atom_feed_and_entries_carry_what_rfc_4287_requires(client, section):
    PostPageFactory.create_batch(2, parent=section, authors="")
    feed = ET.fromstring(get_feed(client, section, "feed-atom").content)  # noqa: S314

    for element in ("id", "title", "updated", "author/" + ATOM + "name"):
        assert feed.findtext(ATOM + element), element
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2
    for entry in entries:
        for element in ("id", "title", "updated", "author/" + ATOM + "name"):
            assert entry.findtext(ATOM + element), element
        assert entry.find(f"{ATOM}link[@rel='alternate']").get("href").startswith("http://")


def test_json_feed_is_valid_json_feed_1_1(client, section):
    post = PostPageFactory(parent=section)
    document = parse(client, section, "feed-json")

    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert document["title"] == "Latest posts from Berita"
    assert document["home_page_url"] == "http://testserver/berita/"
    assert document["feed_url"] == "http://testserver/berita/feed/json/"
    [item] = document["items"]
    assert item["id"] == guid(post)
    assert item["url"] == "http://testserver/berita/" + post.slug + "/"
    assert "Body of" in item["content_html"]


def test_an_item_carries_everything_an_aggregator_shows(client, section):
    image = ImageFactory()
    post = publish(
        PostPageFactory(
            parent=section,
            title="Mentoring di Surabaya",
            authors="Siska Doviana, Ade Irma",
            summary="Tiga hari bersama Lembaga Bhinneka.",
            lead_image=image,
            tags=["cms"],
            categories=[CategoryFactory(name="Laporan")],
        )
    )
    entry = parse(client, section).entries[0]

    assert entry.title == "Mentoring di Surabaya"
    assert entry.link == f"http://testserver/berita/{post.slug}/"
    assert entry.id == guid(post)
    assert entry.guidislink is False
    assert entry.published_parsed[:6] == post.date.astimezone(datetime.UTC).timetuple()[:6]
    assert [author.name for author in entry.authors] == ["Siska Doviana", "Ade Irma"]
    assert [tag.term for tag in entry.tags] == ["cms", "Laporan"]
    assert entry.summary == "Tiga hari bersama Lembaga Bhinneka."
    assert "Body of Mentoring di Surabaya" in entry.content[0].value
    [enclosure] = entry.enclosures
    assert enclosure.type == "image/jpeg"
    assert int(enclosure.length) > 0
    assert enclosure.href.startswith("http://testserver/")
    assert entry.media_content[0]["url"] == enclosure.href

    atom_entry = parse(client, section, "feed-atom").entries[0]
    assert (
        atom_entry.updated_parsed[:6]
        == (post.last_published_at.astimezone(datetime.UTC).timetuple()[:6])
    )


def test_body_links_and_images_are_absolute(client, section):
    target = PostPageFactory(parent=section, title="Target")
    document = get_document_model().objects.create(title="Laporan")
    document.file.save("laporan.pdf", __import__("io").BytesIO(b"%PDF-1.4"))
    PostPageFactory(
        parent=section,
        body=[
            (
                "paragraph",
                f'<p><a linktype="page" id="{target.pk}">page</a> '
                f'<a linktype="document" id="{document.pk}">doc</a> <a href="/about/">rel</a></p>',
            ),
            ("image", {"image": ImageFactory(), "caption": "Foto"}),
            ("document", {"document": document, "title": ""}),
            ("embed", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
        ],
    )
    content = parse(client, section, "feed-json")["items"][0]["content_html"]

    assert f'href="http://testserver/berita/{target.slug}/"' in content
    assert 'href="http://testserver/about/"' in content
    assert 'href="http://testserver/documents/' in content
    assert 'src="http://testserver/media/images/' in content
    srcset = content.split('srcset="')[1].split('"')[0]
    assert all(
        candidate.strip().startswith("http://testserver/") for candidate in srcset.split(",")
    )
    assert 'href="https://www.youtube.com/watch?v=dQw4w9WgXcQ"' in content
    assert "linktype" not in content


def test_hostile_content_stays_well_formed_and_script_free(client, section):
    PostPageFactory(
        parent=section,
        title="Fish & chips ]]> \x01\x07 <script>alert(1)</script>",  # PostgreSQL refuses \x00
        summary="A <script>alert(2)</script> & ]]> \x0b summary",
        authors="A & B",
        body=[
            (
                "paragraph",
                '<p>x ]]> &amp; <script>alert(3)</script><a href="javascript:alert(4)">j</a></p>',
            ),
            ("heading", "Heading \x1f ]]>"),
        ],
    )
    for name in ("feed", "feed-atom"):
        entry = parse(client, section, name).entries[0]
        assert entry.title == "Fish & chips ]]>  <script>alert(1)</script>"
        assert "<script" not in entry.content[0].value
        assert "javascript:" not in entry.content[0].value
        assert "<script" not in entry.summary
    item = parse(client, section, "feed-json")["items"][0]
    assert "<script" not in item["content_html"]


def test_guid_survives_title_slug_and_parent_changes_and_a_copy_gets_a_new_one(
    client, section, home
):
    post = publish(PostPageFactory(parent=section, title="First title"))
    original = guid(post)

    post.title, post.slug = "Another title", "another-slug"
    publish(post)
    other_section = SectionPageFactory(parent=home)
    post.move(other_section, pos="last-child")
    copy = post.copy(update_attrs={"slug": "a-copy"})

    assert guid(copy) != original
    assert set(item_ids(client, other_section)) == {original, guid(copy)}
    assert original in item_ids(client, home, "feed-atom")
    assert original not in item_ids(client, section)


def test_only_live_public_unexpired_posts_of_the_site_appear(client, home, section):
    public = PostPageFactory(parent=section)
    PostPageFactory(parent=section, live=False)
    publish(PostPageFactory(parent=section)).unpublish()
    PostPageFactory(parent=section, live=False, expired=True)
    PostPageFactory(parent=section, expire_at=timezone.now() - datetime.timedelta(hours=1))
    for restriction_type in ("password", "login"):
        restricted = PostPageFactory(parent=section)
        PageViewRestriction.objects.create(
            page=restricted, restriction_type=restriction_type, password="rahasia"
        )
    members_only = SectionPageFactory(parent=home)
    PostPageFactory(parent=members_only)
    restriction = PageViewRestriction.objects.create(page=members_only, restriction_type="groups")
    restriction.groups.add(Group.objects.create(name="Anggota"))
    other_site_home = SiteFactory(hostname="other.example").root_page
    PostPageFactory(parent=SectionPageFactory(parent=other_site_home))
    PostPageFactory(parent=SectionPageFactory(parent=GranteeHomePageFactory()))

    assert item_ids(client, section) == [guid(public)]
    assert item_ids(client, home, "feed-json") == [guid(public)]
    assert client.get(feed_path(members_only)).status_code != 200


def test_items_follow_the_setting_and_the_section_override(client, section, settings):
    PostPageFactory.create_batch(4, parent=section)
    settings.WAGTAIL_GRANTEE = {"FEED_ITEMS": 3, "FEED_FULL_CONTENT": False}

    entries = parse(client, section).entries
    assert len(entries) == 3
    assert "content" not in entries[0]

    section.feed_items, section.feed_full_content = 2, True
    publish(section)
    entries = parse(client, section).entries
    assert len(entries) == 2
    assert "Body of" in entries[0].content[0].value


def test_items_are_newest_first(client, section):
    now = timezone.now()
    old = PostPageFactory(parent=section, date=now - datetime.timedelta(days=3))
    new = PostPageFactory(parent=section, date=now)

    assert item_ids(client, section, "feed-json") == [guid(new), guid(old)]


def test_feed_titles_follow_the_content_language(client, section):
    section.locale.language_code = "id"
    section.locale.save()

    assert parse(client, section).feed.title == "Tulisan terbaru dari Berita"


MARKER_LOOK_ALIKES = [
    "<!--grantee-feed-source-->",  # the marker the bodies were once joined and split with
    "<!--grantee-feed-source-->" * 3,
    "&lt;!--grantee-feed-source--&gt;",
    "<!-- grantee-feed-source -->",
    "<!--grantee-feed-source-0123456789abcdef-->",
    "<!--",  # a comment that never ends
    '<a linktype="page" id="1',  # a link tag that never ends, before the next text's link
    '<embed embedtype="image" id="1',
]


@pytest.mark.parametrize("look_alike", MARKER_LOOK_ALIKES)
def test_no_body_text_can_break_or_mix_up_the_items(client, section, home, look_alike):
    linked = PostPageFactory(parent=section, title="Linked")
    posts = [
        PostPageFactory(
            parent=section,
            title=f"Post {n}",
            body=[
                (
                    "paragraph",
                    f'<p>Start {n} <a linktype="page" id="{linked.pk}">link {n}</a></p>'
                    + (look_alike if n == 1 else "")
                    + f"<p>End {n}</p>",
                ),
                ("paragraph", f'<p>Then {n} <a linktype="page" id="{home.pk}">home</a></p>'),
            ],
        )
        for n in range(3)
    ]

    for name in ("feed", "feed-atom"):
        contents = {
            entry.title: entry.content[0].value for entry in parse(client, section, name).entries
        }
        for n, post in enumerate(posts):
            content = contents[post.title]
            assert f"Start {n}" in content, content
            assert all(f"Start {m}" not in content for m in range(3) if m != n), content
            assert "linktype" not in content
            if n != 1:  # a broken tag or comment may swallow the rest of its own post, no more
                assert f"End {n}" in content and f"Then {n}" in content, content
                assert f'href="http://testserver/berita/{linked.slug}/"' in content
                assert 'href="http://testserver/"' in content
    document = parse(client, section, "feed-json")
    assert len(document["items"]) == 4


def test_each_author_is_one_author_element_in_every_format(client, section, home):
    PostPageFactory(parent=section, title="Two authors", authors="Daris, Soe Tjen")
    PostPageFactory(parent=section, title="No author", authors=" , ")

    rss = parse(client, section)
    atom = parse(client, section, "feed-atom")
    json_feed = parse(client, section, "feed-json")

    def names(entries, title):
        [entry] = [entry for entry in entries if entry.title == title]
        return [author.name for author in entry.authors]

    for parsed in (rss, atom):
        assert names(parsed.entries, "Two authors") == ["Daris", "Soe Tjen"]
        assert names(parsed.entries, "No author") == [home.title]
    items = {item["title"]: item for item in json_feed["items"]}
    assert items["Two authors"]["authors"] == [{"name": "Daris"}, {"name": "Soe Tjen"}]
    assert items["No author"]["authors"] == [{"name": home.title}]
    rss_items = ET.fromstring(get_feed(client, section).content).iter("item")  # noqa: S314
    [item] = [item for item in rss_items if item.findtext("title") == "Two authors"]
    assert [creator.text for creator in item.findall(f"{DC}creator")] == ["Daris", "Soe Tjen"]
    atom_entries = ET.fromstring(get_feed(client, section, "feed-atom").content)  # noqa: S314
    [entry] = [
        e for e in atom_entries.iter(f"{ATOM}entry") if e.findtext(f"{ATOM}title") == "Two authors"
    ]
    assert [name.text for name in entry.findall(f"{ATOM}author/{ATOM}name")] == [
        "Daris",
        "Soe Tjen",
    ]


def test_bodies_expanded_together_read_as_wagtail_expands_each(section, home, settings):
    settings.WAGTAILADMIN_BASE_URL = "http://testserver"
    document = get_document_model().objects.create(title="Laporan", file="laporan.pdf")
    linked = PostPageFactory(parent=section, title="Linked")
    unpublished = PostPageFactory(parent=section, title="Draft", live=False)
    sources = [
        f'<p><a linktype="page" id="{linked.pk}">a</a> <a linktype="page" id="{home.pk}">b</a></p>',
        f'<p><a linktype="page" id="{linked.pk}">again</a> <a linktype="page" id="999999">gone'
        f'</a> <a linktype="page" id="{unpublished.pk}">draft</a></p>',
        f'<p><a linktype="document" id="{document.pk}">doc</a> <a href="/x/">plain</a>'
        f' <a linktype="unknown" id="1">?</a> <a name="anchor">anchor</a></p>',
    ]

    assert expand_db_html_many(sources) == [expand_db_html(source) for source in sources]
