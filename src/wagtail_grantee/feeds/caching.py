"""Feed cache: a version per page that publishing bumps, and the rendered feeds.

A feed's validators (ETag, Last-Modified) come from one aggregate query over its posts
(newest ``last_published_at`` and count) plus the version of its page, so answering a
conditional GET costs no rendering. The rendered feed is stored under its ETag: a change gives
a new ETag, so a stale feed is never served and needs no deleting.

Versions are keyed by tree path, so the handlers that bump the versions of a changed page's
ancestors need no query to find them.

With :class:`~wagtail_grantee.feeds.middleware.FeedCacheMiddleware`, a public feed is also
remembered by its address, so a repeated request is answered before Wagtail routes it. Those
entries hold while the site-wide generation they were made in lasts (any publish, unpublish,
move, deletion or privacy change anywhere starts a new one), and never past the moment the
feed changes by itself: the earliest expiry of the posts it may carry (a scheduled
publication is a publish, and starts a new generation when ``publish_scheduled`` runs it).
"""

import hashlib
import math
import time

import swapper
from django.core.cache import cache

from ..conf import get_setting

KEY_PREFIX = "wagtail-grantee-feeds"
GENERATION_KEY = f"{KEY_PREFIX}:generation"


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
    """Mark the feeds of the page at ``path`` and of its ancestors as changed (and start a new
    generation of remembered addresses)."""
    now = time.time()
    versions = {_version_key(p): now for p in ancestor_paths(path)}
    cache.set_many(versions | {GENERATION_KEY: now}, timeout=None)


def get_cached_feed(etag):
    return cache.get(f"{KEY_PREFIX}:feed:{etag}")


def set_cached_feed(etag, feed):
    cache.set(f"{KEY_PREFIX}:feed:{etag}", feed, timeout=get_setting("FEED_CACHE_TIMEOUT"))


def _address_key(request):
    address = f"{request.get_host()}{request.path}"
    return f"{KEY_PREFIX}:address:{hashlib.sha256(address.encode()).hexdigest()}"


def remember_address(request, etag, last_modified, content_type, valid_until=None):
    """Note which feed (by ETag) the address of ``request`` serves, in this generation, and
    until ``valid_until`` (an aware datetime) when given."""
    timeout = get_setting("FEED_CACHE_TIMEOUT")
    until = valid_until.timestamp() if valid_until else None
    if until is not None:
        remaining = until - time.time()
        if remaining <= 0:
            return
        timeout = math.ceil(remaining) if timeout is None else min(timeout, math.ceil(remaining))
    generation = cache.get_or_set(GENERATION_KEY, time.time, timeout=None)
    cache.set(
        _address_key(request),
        {
            "etag": etag,
            "last_modified": last_modified,
            "content_type": content_type,
            "generation": generation,
            "valid_until": until,
        },
        timeout=timeout,
    )


def recall_address(request):
    """What :func:`remember_address` noted for the address of ``request``, if still current."""
    key = _address_key(request)
    found = cache.get_many([key, GENERATION_KEY])
    entry = found.get(key)
    if entry is None or entry["generation"] != found.get(GENERATION_KEY):
        return None
    if entry.get("valid_until") is not None and time.time() >= entry["valid_until"]:
        return None  # a post expired since: the feed is not the same any more
    return entry
