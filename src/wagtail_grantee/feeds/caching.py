"""Feed cache: a version per page that publishing bumps, and the rendered feeds.

A feed's validators (ETag, Last-Modified) come from one aggregate query over its posts
(newest ``last_published_at`` and count) plus the version of its page, so answering a
conditional GET costs no rendering. The rendered feed is stored under its ETag: a change gives
a new ETag, so a stale feed is never served and needs no deleting.

Versions are keyed by tree path, so the handlers that bump the versions of a changed page's
ancestors need no query to find them.
"""

import time

import swapper
from django.core.cache import cache

from ..conf import get_setting

KEY_PREFIX = "wagtail-grantee-feeds"


def _version_key(path):
    return f"{KEY_PREFIX}:version:{path}"


def ancestor_paths(path):
    """The tree paths of the page at ``path`` and of all its ancestors."""
    steplen = swapper.load_model("wagtailcore", "Page").steplen
    return [path[:end] for end in range(steplen, len(path) + 1, steplen)]


def get_feed_version(page):
    """The time (a float timestamp) the feeds of ``page`` last changed, as far as we know."""
    return cache.get_or_set(_version_key(page.path), time.time, timeout=None)


def bump_feed_versions(path):
    """Mark the feeds of the page at ``path`` and of its ancestors as changed."""
    now = time.time()
    cache.set_many({_version_key(p): now for p in ancestor_paths(path)}, timeout=None)


def get_cached_feed(etag):
    return cache.get(f"{KEY_PREFIX}:feed:{etag}")


def set_cached_feed(etag, feed):
    cache.set(f"{KEY_PREFIX}:feed:{etag}", feed, timeout=get_setting("FEED_CACHE_TIMEOUT"))
