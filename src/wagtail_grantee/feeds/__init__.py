"""Feeds of grantee pages: RSS 2.0, Atom 1.0 and JSON Feed 1.1, cached, with WebSub."""

from .routes import FeedRoutesMixin, feed_route_name

__all__ = ["FeedRoutesMixin", "feed_route_name"]
