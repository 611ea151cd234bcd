def feed_path(page, name="feed", **kwargs):
    """The path of one of ``page``'s feed routes, as autodiscovery and aggregators see it."""
    return page.url + page.reverse_subpage(name, kwargs=kwargs)


def use_feed_cache_middleware(settings):
    """Put ``FeedCacheMiddleware`` second in ``settings.MIDDLEWARE``, as the docs advise."""
    settings.MIDDLEWARE = [
        settings.MIDDLEWARE[0],
        "wagtail_grantee.feeds.middleware.FeedCacheMiddleware",
        *settings.MIDDLEWARE[1:],
    ]
