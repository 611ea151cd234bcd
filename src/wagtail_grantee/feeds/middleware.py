"""``FeedCacheMiddleware``: repeated feed requests answered before Wagtail routes them.

Optional. Without it feeds are cached too, but each request still pays for Wagtail's routing
(the site, the pages on the path, their privacy) and the feed's validators: eight queries. With
it, a feed that was rendered for anonymous readers is served from the cache (or answered 304)
with two cache reads and no query. A feed request it cannot answer (the feed changed, or was
never rendered) goes through Wagtail's routing, given the site that serves the host from the
first cache read: the costliest query of Wagtail's routing is saved. Put it near the top of
``MIDDLEWARE``, after ``SecurityMiddleware``.
"""

from . import caching
from .views import serve_remembered_feed


class FeedCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Every feed address ends in feed/, feed/atom/ or feed/json/.
        if request.method not in ("GET", "HEAD") or "/feed/" not in request.path:
            return self.get_response(request)
        remembered = caching.recall(request)
        response = serve_remembered_feed(request, remembered.answer)
        if response is not None:
            return response
        if remembered.site is not None:
            # Wagtail's routing takes it instead of finding it again (its costliest query).
            request._wagtail_site = remembered.site
        request.remember_feed_address = True  # so that the feed view remembers it
        response = self.get_response(request)
        if remembered.site is None:
            caching.remember_site(request, remembered.sites_version)
        return response
