"""``FeedCacheMiddleware``: repeated feed requests answered before Wagtail routes them.

Optional. Without it feeds are cached too, but each request still pays for Wagtail's routing
(the site, the pages on the path, their privacy) and the feed's validators: eight queries. With
it, a feed that was rendered for anonymous readers is served from the cache (or answered 304)
with two cache reads and no query. Put it near the top of ``MIDDLEWARE``, after
``SecurityMiddleware``.
"""

from .views import serve_remembered_feed


class FeedCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Every feed address ends in feed/, feed/atom/ or feed/json/.
        if request.method in ("GET", "HEAD") and "/feed/" in request.path:
            response = serve_remembered_feed(request)
            if response is not None:
                return response
            request.remember_feed_address = True  # so that the feed view remembers it
        return self.get_response(request)
