"""A feed request costs the same number of queries for 10 posts as for 100."""

import pytest

from tests.grantee.factories import (
    CategoryFactory,
    ImageFactory,
    PostPageFactory,
    SectionPageFactory,
    SiteFactory,
)
from wagtail_grantee.feeds.caching import bump_feed_versions

pytestmark = pytest.mark.django_db

# Wagtail's routing of the request takes 7 (site, pages on the path, privacy); the feed 13:
# validators, home, locale, posts, tags, categories, lead image renditions, body images and
# their renditions, linked pages, and the page's privacy (may the middleware serve it?).
MAX_QUERIES = 20


def rich_post(section, n, categories, linked_page):
    image = ImageFactory(file__width=64, file__height=36)
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


def feed_queries(client, section, name, django_assert_max_num_queries):
    url = section.url + section.reverse_subpage(name)
    client.get(url)  # renditions are created once, on the first request
    bump_feed_versions(section.path)  # so that the next request renders the feed again
    with django_assert_max_num_queries(MAX_QUERIES) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_feed_queries_do_not_grow_with_the_number_of_posts(
    client, settings, django_assert_max_num_queries
):
    settings.WAGTAIL_GRANTEE = {"FEED_ITEMS": 100}
    # Room for every rendition, so that culling a full local-memory cache adds no query.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    }
    home = SiteFactory().root_page
    categories = [CategoryFactory(name="Laporan"), CategoryFactory(name="Mentoring")]
    sections = {}
    for size in (10, 100):
        sections[size] = SectionPageFactory(parent=home)
        for n in range(size):
            rich_post(sections[size], n, categories, linked_page=home)

    for name in ("feed", "feed-atom", "feed-json"):
        counts = {
            size: feed_queries(client, section, name, django_assert_max_num_queries)
            for size, section in sections.items()
        }
        assert counts[10] == counts[100], (name, counts)
