"""Feeds of grantee pages: RSS 2.0, Atom 1.0 and JSON Feed 1.1, cached, with WebSub."""

from .building import BaseFeed, Feed, FeedState, write_feed
from .items import FeedItem
from .routes import FeedRoutesMixin, feed_route_name

__all__ = [
    "BaseFeed",
    "Feed",
    "FeedItem",
    "FeedRoutesMixin",
    "FeedState",
    "feed_route_name",
    "write_feed",
]
