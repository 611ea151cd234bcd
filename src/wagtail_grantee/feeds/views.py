"""The feed view the routes of :class:`~wagtail_grantee.feeds.FeedRoutesMixin` call."""

from django.http import HttpResponse
from django.utils.cache import get_conditional_response, quote_etag
from django.utils.http import http_date

from . import caching
from .building import Feed


def serve_feed(request, page, feed_format, tag=None, category=None):
    """Answer from the validators (304), the cache, or by rendering, in that order."""
    feed = Feed(page, feed_format, tag=tag, category=category)
    etag, last_modified = feed.validators(request)
    response = get_conditional_response(request, etag=quote_etag(etag), last_modified=last_modified)
    if response is None:
        content = caching.get_cached_feed(etag)
        if content is None:
            content = feed.render(request)
            caching.set_cached_feed(etag, content)
        response = HttpResponse(content, content_type=feed.content_type)
    response["ETag"] = quote_etag(etag)
    response["Last-Modified"] = http_date(last_modified)
    return response
