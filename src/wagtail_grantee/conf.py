"""Settings of ``wagtail_grantee``, all in one dict ``WAGTAIL_GRANTEE``.

Values are read when they are used, so ``override_settings`` works in tests. Every key and
its default is listed in ``DEFAULTS`` and documented in ``docs/settings.md``.
"""

from django.conf import settings

SETTINGS_NAME = "WAGTAIL_GRANTEE"

DEFAULTS = {
    # Posts per page in a section's list (and in a home's list by tag or category).
    "POSTS_PER_PAGE": 10,
    # How many of the latest posts a grantee home shows.
    "HOME_LATEST_POSTS": 6,
    # The rendition filter of the picture in Open Graph and Twitter card metadata.
    "SOCIAL_IMAGE_FILTER": "fill-1200x630",
    # How many of the latest posts a feed carries (a section's "items in feeds" overrides it).
    "FEED_ITEMS": 20,
    # True: feeds carry each post's full text; False: its summary only (overridable per section).
    "FEED_FULL_CONTENT": True,
    # The rendition filter of a post's lead image in feeds (enclosure and media:content).
    "FEED_IMAGE_FILTER": "width-1200",
    # Seconds a rendered feed stays in Django's cache (publishing replaces it sooner).
    "FEED_CACHE_TIMEOUT": 3600,
    # A WebSub hub URL: feeds name it and it is pinged when a post is published. None: off.
    "WEBSUB_HUB": None,
    # Seconds to wait for the WebSub hub to answer a ping.
    "WEBSUB_TIMEOUT": 10,
    # Aggregator: seconds to wait for a feed's server to connect, and between bytes read.
    "AGGREGATOR_TIMEOUT": 10,
    # Aggregator: the largest feed body read, in bytes; a longer one is cut off and refused.
    "AGGREGATOR_MAX_BYTES": 5 * 1024 * 1024,
    # Aggregator: how many sources are fetched at once.
    "AGGREGATOR_CONCURRENCY": 8,
    # Aggregator: minutes between two fetches of a healthy source.
    "AGGREGATOR_INTERVAL": 60,
    # Aggregator: CIDR networks exempt from the refusal of private addresses.
    "AGGREGATOR_ALLOWED_NETWORKS": [],
    # Aggregator: the User-Agent header; None names the suite, its version and the site.
    "AGGREGATOR_USER_AGENT": None,
}


def get_setting(name):
    """Return the site's value of ``WAGTAIL_GRANTEE[name]``, or its default."""
    configured = getattr(settings, SETTINGS_NAME, None) or {}
    if name in configured:
        return configured[name]
    return DEFAULTS[name]
