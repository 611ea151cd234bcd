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
The middleware also remembers which site serves each host, so that a feed request it cannot
answer goes through Wagtail's routing without Wagtail's site lookup; saving or deleting a site
forgets them (and starts a new generation).
"""

import hashlib
import math
import time
from dataclasses import dataclass

import swapper
from django.core.cache import cache
from django.http.request import split_domain_port

from ..conf import get_setting

KEY_PREFIX = "wagtail-grantee-feeds"
GENERATION_KEY = f"{KEY_PREFIX}:generation"
SITES_KEY = f"{KEY_PREFIX}:sites"


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


@dataclass
class Recalled:
    """What the cache holds for a feed request: the remembered answer to its address
    (:func:`remember_address`), if still current; the site that serves its host
    (:func:`remember_site`), if still current; the version of the sites when read."""

    answer: dict | None
    site: object | None
    sites_version: float | None


def recall(request):
    """What the cache holds for the feed address of ``request``, in one read."""
    address_key, site_key = _address_key(request), _site_key(request)
    found = cache.get_many([address_key, GENERATION_KEY, site_key, SITES_KEY])
    answer = found.get(address_key)
    if answer is not None and not _current(answer, found.get(GENERATION_KEY)):
        answer = None
    sites_version = found.get(SITES_KEY)
    site = found.get(site_key)
    if site is not None and (sites_version is None or site["version"] != sites_version):
        site = None
    return Recalled(answer, site and site["site"], sites_version)


def _current(answer, generation):
    if answer["generation"] != generation:
        return False
    # A post expired since: the feed is not the same any more.
    return answer.get("valid_until") is None or time.time() < answer["valid_until"]


def _site_key(request):
    # The host and port Wagtail finds a site by (Site.find_for_request).
    host = f"{split_domain_port(request.get_host())[0]}:{request.get_port()}"
    return f"{KEY_PREFIX}:site:{hashlib.sha256(host.encode()).hexdigest()}"


# What Wagtail's routing reads of a site's root page before it loads the specific page (the
# root's ``localized.specific``): what never changes of a page, and whether it is live (read,
# but the root page is routed from either way). Its other fields are loaded when read.
ROOT_PAGE_FIELDS = ("id", "content_type_id", "translation_key", "locale_id", "live")


def remember_site(request, sites_version):
    """Note the site Wagtail's routing found for the host of ``request`` (its own fields, and
    its root page's :data:`ROOT_PAGE_FIELDS`), unless the sites changed since
    ``sites_version`` was read, before the routing."""
    site = getattr(request, "_wagtail_site", None)
    if site is None:
        return
    if sites_version is None:
        sites_version = time.time()
        if not cache.add(SITES_KEY, sites_version, timeout=None):
            return  # a site was saved meanwhile: the one found may be out of date
    bare = _bare_copy(type(site), site, [field.attname for field in site._meta.concrete_fields])
    # As the base page model, whatever the class of the root page found: Wagtail's routing
    # loads the specific page from the database.
    page_model = site._meta.get_field("root_page").related_model
    bare.root_page = _bare_copy(page_model, site.root_page, ROOT_PAGE_FIELDS)
    cache.set(
        _site_key(request),
        {"site": bare, "version": sites_version},
        timeout=get_setting("FEED_CACHE_TIMEOUT"),
    )


def _bare_copy(model, instance, attnames):
    """A new ``model`` instance with only the fields ``attnames`` of ``instance`` loaded
    (nothing cached on it), the others loaded from the database when read."""
    # In the order of the model's fields, as from_db expects them.
    attnames = [field.attname for field in model._meta.concrete_fields if field.attname in attnames]
    values = [getattr(instance, attname) for attname in attnames]
    return model.from_db(instance._state.db, attnames, values)


def bump_sites_version():
    """Forget which site serves which host, and the remembered answers (a new generation): a
    site was saved or deleted, so an address may now be another site's, or none."""
    now = time.time()
    cache.set_many({SITES_KEY: now, GENERATION_KEY: now}, timeout=None)
