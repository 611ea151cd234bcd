"""Which feeds apply to a page, and their addresses (for autodiscovery, purging, WebSub)."""

import swapper
from wagtail.models import get_page_models

from .generators import FEED_CLASSES
from .routes import FeedRoutesMixin


def feed_pages_for(page):
    """The pages whose feeds carry ``page``: itself if it has feeds, then its ancestors.

    Nearest first, so a post's section comes before its grantee home.
    """
    feed_models = [model for model in get_page_models() if issubclass(model, FeedRoutesMixin)]
    if not feed_models:
        return []
    return list(
        swapper.load_model("wagtailcore", "Page")
        .objects.ancestor_of(page, inclusive=True)
        .type(*feed_models)
        .order_by("-depth")
        .specific()
    )


def feed_urls(feed_page, *, tags=(), categories=(), request=None, full=True):
    """The addresses of every format of ``feed_page``'s feeds: all posts, and by each of
    ``tags`` and ``categories`` (slugs); none when no site serves the page."""
    scopes = [{}, *({"tag": tag} for tag in tags), *({"category": c} for c in categories)]
    urls = [
        feed_page.feed_url(feed_format, request=request, full=full, **scope)
        for scope in scopes
        for feed_format in FEED_CLASSES
    ]
    return [url for url in urls if url is not None]


def media_type(feed_format):
    return FEED_CLASSES[feed_format].content_type.split(";")[0]
