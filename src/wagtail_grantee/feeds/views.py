"""The feed view the routes of :class:`~wagtail_grantee.feeds.FeedRoutesMixin` call."""

from django.http import HttpResponse
from django.utils.cache import get_conditional_response, quote_etag
from django.utils.http import http_date

from . import caching


def serve_feed(request, page, feed_format, tag=None, category=None):
    """Answer with ``page``'s feed in ``feed_format`` (of a tag or category)."""
    return serve(request, page.get_feed(feed_format, tag=tag, category=category))


def serve(request, feed):
    """Answer with ``feed`` (a :class:`~wagtail_grantee.feeds.building.BaseFeed`): from the
    validators (304), the cache, or by rendering, in that order."""
    page = feed.page
    etag, last_modified = feed.validators(request)
    response = conditional_response(request, etag, last_modified)
    if response is not None:
        return response
    content = caching.get_cached_feed(etag)
    if content is None:
        content = feed.render(request)
        caching.set_cached_feed(etag, content)
    # Only the feed cache middleware reads remembered addresses; without it, remembering would
    # cost every request a privacy check (two queries) and a cache write for nothing.
    remember = feed.remembered_by_address and getattr(request, "remember_feed_address", False)
    if remember and readable_by_anyone(page):  # what anyone may read, anyone may get
        caching.remember_address(
            request, etag, last_modified, feed.content_type, valid_until=feed.valid_until
        )
    return feed_response(content, feed.content_type, etag, last_modified)


def readable_by_anyone(page):
    """Whether no view restriction applies to ``page``: from the restrictions Wagtail's privacy
    check read when it served the page in this request, if it did (no query), else from the
    database."""
    restrictions = getattr(page, "_view_restrictions", None)
    if restrictions is None:
        restrictions = page.get_view_restrictions()
    return not restrictions.exists()  # an evaluated query set answers without a query


def serve_remembered_feed(request, entry):
    """The response to a feed address from what the cache remembers of it (``entry``, from
    :func:`~wagtail_grantee.feeds.caching.recall`), or ``None``."""
    if entry is None:
        return None
    response = conditional_response(request, entry["etag"], entry["last_modified"])
    if response is not None:
        return response
    content = caching.get_cached_feed(entry["etag"])
    if content is None:
        return None
    return feed_response(content, entry["content_type"], entry["etag"], entry["last_modified"])


def conditional_response(request, etag, last_modified):
    """A 304 (or 412) when the client's copy is current, else ``None``."""
    response = get_conditional_response(request, etag=quote_etag(etag), last_modified=last_modified)
    if response is not None:
        set_validators(response, etag, last_modified)
    return response


def feed_response(content, content_type, etag, last_modified):
    response = HttpResponse(content, content_type=content_type)
    # Set here, as the feed cache middleware answers before CommonMiddleware would.
    response["Content-Length"] = str(len(content))
    set_validators(response, etag, last_modified)
    return response


def set_validators(response, etag, last_modified):
    response["ETag"] = quote_etag(etag)
    response["Last-Modified"] = http_date(last_modified)
