"""Each post's feed item is rendered once per published version, and never shown when the post
may not be."""

from unittest import mock

import feedparser
import pytest
from wagtail.models import PageViewRestriction

from tests.grantee.factories import CategoryFactory, ImageFactory, PostPageFactory
from tests.grantee.paths import feed_path
from wagtail_grantee.feeds import generators, items
from wagtail_grantee.feeds.caching import bump_feed_versions

pytestmark = pytest.mark.django_db


def publish(page):
    page.save_revision().publish()
    page.refresh_from_db()
    return page


@pytest.fixture
def rendered():
    """The titles of the posts whose items are rendered (not taken from the cache)."""
    titles = []
    render_items = items._render_items

    def recording(posts, *args, **kwargs):
        titles.extend(post.title for post in posts)
        return render_items(posts, *args, **kwargs)

    with mock.patch.object(items, "_render_items", side_effect=recording):
        yield titles


def test_after_a_new_post_only_that_post_is_rendered(client, section, home, rendered):
    for n in range(3):
        publish(PostPageFactory(parent=section, title=f"Old {n}"))
    client.get(feed_path(section))
    rendered.clear()

    publish(PostPageFactory(parent=section, title="New"))
    for page in (section, home):
        for name in ("feed", "feed-atom", "feed-json"):
            assert b"New" in client.get(feed_path(page, name)).content

    assert rendered == ["New"]  # once, for all formats and both feeds


def test_an_edited_post_is_rendered_again(client, section, rendered):
    post = publish(
        PostPageFactory(parent=section, title="Rapat", body=[("paragraph", "<p>Lama</p>")])
    )
    assert b"Lama" in client.get(feed_path(section)).content

    post.body = [("paragraph", "<p>Baru</p>")]
    publish(post)
    content = client.get(feed_path(section)).content

    assert b"Baru" in content and b"Lama" not in content
    assert rendered == ["Rapat", "Rapat"]


@pytest.mark.parametrize("change", ["private", "unpublished", "draft"])
def test_a_cached_item_never_shows_a_post_that_may_not_be_shown(client, section, change):
    post = publish(PostPageFactory(parent=section, title="Rahasia"))
    publish(PostPageFactory(parent=section, title="Terbuka"))
    assert b"Rahasia" in client.get(feed_path(section, "feed-json")).content

    if change == "private":
        PageViewRestriction.objects.create(page=post, restriction_type="password", password="x")
    elif change == "unpublished":
        post.unpublish()
    else:
        post.title = "Rahasia (draft)"
        post.save_revision()  # a draft: the feed keeps the published version
    content = client.get(feed_path(section, "feed-json")).content

    assert b"Terbuka" in content
    assert (b"Rahasia" in content) is (change == "draft")
    assert b"(draft)" not in content


def test_renamed_tags_and_categories_show_without_a_new_version_of_the_post(client, section):
    category = CategoryFactory(name="Laporan")
    publish(PostPageFactory(parent=section, title="Kabar", tags=["pemilu"], categories=[category]))
    client.get(feed_path(section))

    category.name = "Laporan kegiatan"
    category.save()
    bump_feed_versions(section.path)  # as a category's new name does not change the feed's ETag
    tags = [
        tag.term for tag in feedparser.parse(client.get(feed_path(section)).content).entries[0].tags
    ]

    assert tags == ["pemilu", "Laporan kegiatan"]


def test_a_lead_image_file_is_measured_once(client, section, settings):
    image = ImageFactory()
    for n in range(3):
        publish(PostPageFactory(parent=section, title=f"Foto {n}", lead_image=image))
    rendition_model = type(image).get_rendition_model()
    with mock.patch.object(
        rendition_model.file.field.attr_class,
        "size",
        new_callable=mock.PropertyMock,
        return_value=4321,
    ) as size:
        first = client.get(feed_path(section)).content
        settings.WAGTAIL_GRANTEE = {"FEED_FULL_CONTENT": False}  # every item rendered again
        second = client.get(feed_path(section)).content

    assert size.call_count == 1  # one rendition, read once, never per item or request
    assert first.count(b'length="4321"') == 3
    assert second.count(b'length="4321"') == 3


def test_a_new_file_for_the_lead_image_shows_without_a_new_version_of_the_post(client, section):
    image = ImageFactory()
    publish(PostPageFactory(parent=section, title="Foto", lead_image=image))
    before = parse_enclosure(client.get(feed_path(section)).content)

    image.file = ImageFactory.build().file  # replaced in the image library, post untouched
    image.save()
    image.renditions.all().delete()  # as the image library's edit view does
    bump_feed_versions(section.path)  # as the image library does not change the feed's ETag
    after = parse_enclosure(client.get(feed_path(section)).content)

    assert after != before


def parse_enclosure(content):
    return feedparser.parse(content).entries[0].enclosures[0].href


@pytest.mark.parametrize("name", ["feed", "feed-atom", "feed-json"])
def test_a_feed_made_again_from_cached_items_is_the_same_document(client, section, home, name):
    image = ImageFactory()
    for n in range(3):
        publish(
            PostPageFactory(
                parent=section,
                title=f"Kabar {n} <&>",
                authors="" if n == 1 else "Daris, Soe Tjen",
                lead_image=image if n else None,
                tags=[f"tag-{n}", "umum"],
                body=[
                    ("paragraph", f'<p>Isi {n} <a linktype="page" id="{home.pk}">beranda</a></p>'),
                    ("image", {"image": image, "caption": f"Foto {n}"}),
                    ("quote", {"text": "Baris satu\nBaris dua", "attribution": ""}),
                ],
            )
        )
    first = client.get(feed_path(section, name)).content

    bump_feed_versions(section.path)  # a new document, of the cached items
    with mock.patch.object(items, "_render_items", side_effect=AssertionError("rendered")):
        again = client.get(feed_path(section, name)).content

    assert again == first


def test_after_a_new_post_the_document_writes_only_its_element(client, section):
    for n in range(3):
        publish(PostPageFactory(parent=section, title=f"Old {n}"))
    client.get(feed_path(section, "feed-atom"))

    publish(PostPageFactory(parent=section, title="New"))
    written = generators.AtomFeed.item_element_text
    with mock.patch.object(
        generators.AtomFeed, "item_element_text", autospec=True, side_effect=written
    ) as write:
        content = client.get(feed_path(section, "feed-atom")).content

    assert [call.args[1]["title"] for call in write.call_args_list] == ["New"]
    assert content.count(b"<entry>") == 4


def publish_committed(page, django_capture_on_commit_callbacks):
    """Publish ``page`` as a request does: what waits for the commit runs."""
    with django_capture_on_commit_callbacks(execute=True):
        return publish(page)


def test_a_published_post_is_rendered_before_the_first_request_for_its_feeds(
    client, section, home, rendered, django_capture_on_commit_callbacks
):
    publish_committed(
        PostPageFactory(parent=section, title="Old"), django_capture_on_commit_callbacks
    )
    for page in (section, home):
        client.get(feed_path(page))
    rendered.clear()
    written = generators.RssFeed.item_element_text

    post = PostPageFactory(parent=section, title="New", tags=["rapat"])
    publish_committed(post, django_capture_on_commit_callbacks)
    assert rendered == ["New"]  # on publication, once for its section's feeds and its home's
    rendered.clear()
    with mock.patch.object(
        generators.RssFeed, "item_element_text", autospec=True, side_effect=written
    ) as write:
        contents = [
            client.get(feed_path(page, name)).content
            for page in (section, home)
            for name in ("feed", "feed-atom", "feed-json")
        ] + [client.get(feed_path(section, "tag-feed", tag="rapat")).content]

    assert all(b"New" in content for content in contents)
    assert rendered == []  # the requests rendered no item
    assert write.call_args_list == []  # nor wrote an RSS element


def test_a_private_post_is_not_rendered_ahead(
    client, section, rendered, django_capture_on_commit_callbacks
):
    PageViewRestriction.objects.create(page=section, restriction_type="login")

    publish_committed(
        PostPageFactory(parent=section, title="Rahasia"), django_capture_on_commit_callbacks
    )

    assert rendered == []


def test_a_failure_rendering_ahead_is_logged_and_publishing_goes_on(
    client, section, caplog, django_capture_on_commit_callbacks
):
    with mock.patch.object(items, "_render_items", side_effect=RuntimeError("boom")):
        post = publish_committed(
            PostPageFactory(parent=section, title="Tetap terbit"),
            django_capture_on_commit_callbacks,
        )

    assert post.live
    assert f"Rendering the feed items of post {post.pk} ahead failed" in caplog.text
    assert b"Tetap terbit" in client.get(feed_path(section)).content  # rendered on request
