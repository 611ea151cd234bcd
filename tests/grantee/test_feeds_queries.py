"""A feed request costs the same number of queries for 10 posts as for 100, and a cached feed or
a 304 no more than Wagtail's routing and the feed's validators."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Site

from tests.grantee.factories import (
    CategoryFactory,
    ImageFactory,
    PostPageFactory,
    SectionPageFactory,
    SiteFactory,
)
from tests.grantee.paths import use_feed_cache_middleware
from wagtail_grantee.feeds.caching import bump_feed_versions

pytestmark = pytest.mark.django_db

# Wagtail's routing of the request takes 6 (site, pages on the path, privacy); the feed at most
# 9: validators (restricted paths, aggregate), locale (the home is the page routed through),
# the posts' versions, tag and category names (one query), and for the items not in the cache:
# the posts, their body images, the renditions of those and of the lead images, linked pages.
MAX_QUERIES = 15
# A feed answered from the cache or with a 304, without the feed cache middleware: Wagtail's
# routing (site, pages on the path, privacy: 6) and the validators (restrictions, aggregate: 2).
CACHED_QUERIES = 8
# The first request after a new post: as many as a feed of one post not in the cache (with the
# middleware, Wagtail's routing does not look the site up: one less).
NEW_POST_QUERIES = 15
# The same once the publication is committed, which renders the new post's item ahead: as many
# as a feed whose items are all in the cache (one less with the middleware).
WARMED_QUERIES = 11
# Room for every item and rendition, so that culling a full local-memory cache adds no query.
ROOMY_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    }
}


def rich_post(section, n, categories, linked_page, image=None):
    image = image or ImageFactory(file__width=64, file__height=36)
    return PostPageFactory(
        parent=section,
        authors=f"Author {n}, Co-author",
        lead_image=image,
        tags=[f"tag-{n}", "common"],
        categories=categories,
        body=[
            ("heading", f"Heading {n}"),
            (
                "paragraph",
                f'<p>Read <a linktype="page" id="{linked_page.pk}">this</a> and '
                f'<a href="/about/">that</a>.</p>',
            ),
            ("image", {"image": image, "caption": f"Caption {n}"}),
            ("quote", {"text": "Kata-kata", "attribution": "Seseorang"}),
            ("embed", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
        ],
    )


def feed_queries(client, section, name, django_assert_max_num_queries, *, cold):
    url = section.url + section.reverse_subpage(name)
    client.get(url)  # renditions are created once, on the first request
    if cold:
        cache.clear()  # every item is rendered again
        Site.get_site_root_paths()  # Wagtail keeps them in the cache too: not the feed's query
    else:
        bump_feed_versions(section.path)  # the feed is made again of the cached items
    with django_assert_max_num_queries(MAX_QUERIES) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_feed_queries_do_not_grow_with_the_number_of_posts(
    client, settings, django_assert_max_num_queries
):
    settings.WAGTAIL_GRANTEE = {"FEED_ITEMS": 100}
    settings.CACHES = ROOMY_CACHE
    home = SiteFactory().root_page
    categories = [CategoryFactory(name="Laporan"), CategoryFactory(name="Mentoring")]
    sections = {}
    for size in (10, 100):
        sections[size] = SectionPageFactory(parent=home)
        for n in range(size):
            rich_post(sections[size], n, categories, linked_page=home)

    for name in ("feed", "feed-atom", "feed-json"):
        for cold in (True, False):
            counts = {
                size: feed_queries(client, section, name, django_assert_max_num_queries, cold=cold)
                for size, section in sections.items()
            }
            assert counts[10] == counts[100], (name, cold, counts)


@pytest.mark.parametrize("committed", [False, True], ids=["in-transaction", "committed"])
@pytest.mark.parametrize("middleware", [False, True], ids=["routing", "middleware"])
def test_the_first_request_after_a_new_post_costs_the_same_for_10_posts_as_for_100(
    client, settings, middleware, committed, django_capture_on_commit_callbacks
):
    settings.WAGTAIL_GRANTEE = {"FEED_ITEMS": 100}
    settings.CACHES = ROOMY_CACHE
    if middleware:
        use_feed_cache_middleware(settings)
    home = SiteFactory().root_page
    categories = [CategoryFactory(name="Laporan"), CategoryFactory(name="Mentoring")]
    counts = {}
    for size in (10, 100):
        section = SectionPageFactory(parent=home)
        for n in range(size):
            rich_post(section, n, categories, linked_page=home)
        url = section.url + section.reverse_subpage("feed")
        client.get(url)
        # With an image whose renditions exist (made when the post was first viewed).
        image = section.get_children().specific().first().lead_image
        new = rich_post(section, size, categories, linked_page=home, image=image)
        with django_capture_on_commit_callbacks(execute=committed):
            new.save_revision().publish()

        with CaptureQueriesContext(connection) as queries:
            content = client.get(url).content

        assert f"Heading {size}".encode() in content
        counts[size] = len(queries)
    most = WARMED_QUERIES if committed else NEW_POST_QUERIES
    assert counts[10] == counts[100] <= most - (1 if middleware else 0), counts


@pytest.mark.parametrize("conditional", [False, True], ids=["cached", "304"])
def test_a_cached_feed_costs_only_the_routing_and_the_validators(
    client, home, section, conditional, django_assert_max_num_queries
):
    for n in range(3):
        rich_post(section, n, [CategoryFactory()], linked_page=home)
    url = section.url + section.reverse_subpage("feed")
    etag = client.get(url)["ETag"]
    headers = {"if-none-match": etag} if conditional else {}

    with django_assert_max_num_queries(CACHED_QUERIES):
        response = client.get(url, headers=headers)

    assert response.status_code == (304 if conditional else 200)
    assert response["ETag"] == etag
