"""Keep feeds fresh: when a page is published, unpublished, moved or deleted, the feeds that
carry it get a new cache version, the front-end cache forgets them (when
``wagtail.contrib.frontend_cache`` is installed) and the WebSub hub is told (when configured).

When a post is published, its item in the feeds that carry it is rendered into the cache once
the publication is committed (:func:`warm_feed_items`), so that the first request for those
feeds renders nothing.

Within :func:`feed_invalidation_deferred` (an import), publishing does this once per place at
the end instead of once per page, and renders no item ahead.
"""

import logging
import threading
from contextlib import contextmanager
from functools import partial

import swapper
from django.apps import apps
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from modelsearch import signal_handlers as search_signal_handlers
from wagtail.models import PageViewRestriction, Site
from wagtail.search import index
from wagtail.signals import page_published, page_unpublished, post_page_move

from . import tasks
from .conf import get_setting
from .feeds.caching import bump_feed_versions, bump_sites_version
from .feeds.discovery import feed_pages_for, feed_urls
from .feeds.routes import FeedRoutesMixin
from .models.pages import PostPage, PostPageTag, post_search_index_is_deferred
from .models.snippets import Category

logger = logging.getLogger(__name__)

_deferred = threading.local()


def terms_of(page):
    """The slugs of the tags and of the categories of ``page``."""
    page = page.specific_deferred
    tags = [tag.slug for tag in page.tags.all()] if hasattr(page, "tags") else []
    categories = [c.slug for c in page.categories.all()] if hasattr(page, "categories") else []
    return tags, categories


def feeds_carrying(page, place=None, terms=None):
    """The full URLs of every feed that carries ``page`` (by its tags and categories too).

    ``place`` is where in the tree to look, when not the page's own (its old parent on a move);
    ``terms`` are the tag and category slugs, when not the page's own.
    """
    tags, categories = terms or terms_of(page)
    return [
        url
        for feed_page in feed_pages_for(place or page)
        for url in feed_urls(feed_page, tags=tags, categories=categories)
    ]


def purge_from_frontend_cache(urls):
    if urls and apps.is_installed("wagtail.contrib.frontend_cache"):
        from wagtail.contrib.frontend_cache.utils import purge_urls_from_cache

        transaction.on_commit(lambda: purge_urls_from_cache(urls))


def invalidate_feeds(page, terms=None):
    """New cache versions for the feeds that carry ``page``, which are purged from the
    front-end cache and announced to the WebSub hub."""
    bump_feed_versions(page.path)
    urls = feeds_carrying(page, terms=terms)
    purge_from_frontend_cache(urls)
    if get_setting("WEBSUB_HUB"):
        tasks.enqueue_websub_ping(urls)


@contextmanager
def feed_invalidation_deferred():
    """Within it, pages (un)published in this thread are not invalidated one by one: when the
    block ends without an error, the feeds of each place where pages were published are
    invalidated once, with the tags and categories of the posts among those pages.

    An import that publishes a thousand posts in a section invalidates the section's feeds
    (and its home's) once instead of a thousand times. Other threads are not affected.
    """
    if getattr(_deferred, "places", None) is not None:
        yield  # the outermost block invalidates
        return
    _deferred.places = {}
    try:
        yield
        places = _deferred.places
    finally:
        del _deferred.places
    page_model = swapper.load_model("wagtailcore", "Page")
    for path, page_ids in places.items():
        place = page_model.objects.filter(path=path).first()
        if place is not None:  # else deleted in the meantime, which invalidated its feeds
            invalidate_feeds(place, terms=terms_of_posts(page_ids))


def terms_of_posts(page_ids):
    """The slugs of the tags and of the categories of the posts among ``page_ids``."""
    tags, categories = set(), set()
    page_ids = list(page_ids)
    for start in range(0, len(page_ids), 500):
        batch = page_ids[start : start + 500]
        tags.update(
            PostPageTag.objects.filter(content_object_id__in=batch).values_list(
                "tag__slug", flat=True
            )
        )
        categories.update(Category.objects.filter(posts__in=batch).values_list("slug", flat=True))
    return sorted(tags), sorted(categories)


def defer_invalidation(page, places):
    """Remember that ``page`` changed, under its nearest place with feeds of its own."""
    # A page without feeds (a post) is carried by the feeds of its parent and its ancestors,
    # so the posts of a section make one place, the section.
    if isinstance(page, FeedRoutesMixin) or page.depth <= 1:
        path = page.path
    else:
        path = page.path[: -page.steplen]
    places.setdefault(path, set()).add(page.pk)


def warm_feed_items(post_id):
    """Render the item of the post ``post_id`` in every format of the feeds that carry it into
    the cache (the tag and category feeds share them). A failure is logged, never raised: the
    feed renders the item at its next request instead."""
    try:
        post = PostPage.objects.live().filter(pk=post_id).first()
        if post is None:  # unpublished or deleted in the meantime
            return
        for feed_page in feed_pages_for(post):
            feed_page.get_feed("rss").warm(post)  # and the other formats
    except Exception:
        logger.exception("Rendering the feed items of post %s ahead failed", post_id)


def invalidate_or_defer(page):
    """Invalidate the feeds that carry ``page`` now, or remember them for the end of
    :func:`feed_invalidation_deferred`; whether now."""
    places = getattr(_deferred, "places", None)
    if places is not None:
        defer_invalidation(page, places)
        return False
    invalidate_feeds(page)
    return True


def on_page_published(sender, instance, **kwargs):
    if invalidate_or_defer(instance) and isinstance(instance, PostPage):
        transaction.on_commit(partial(warm_feed_items, instance.pk))


def on_page_unpublished(sender, instance, **kwargs):
    invalidate_or_defer(instance)


def on_page_moved(sender, instance, parent_page_before, **kwargs):
    bump_feed_versions(parent_page_before.path)
    bump_feed_versions(instance.path)
    purge_from_frontend_cache(
        feeds_carrying(instance, place=parent_page_before) + feeds_carrying(instance)
    )


def on_page_deleted(sender, instance, **kwargs):
    # A deleted page sends post_delete once per model in its inheritance chain; the chain's
    # root (the one without parents) is enough. Its tags are gone with it: the feeds of all
    # posts are purged, those by tag and category expire from the front-end cache.
    page_model = swapper.load_model("wagtailcore", "Page")
    if isinstance(instance, page_model) and not instance._meta.parents:
        bump_feed_versions(instance.path)
        purge_from_frontend_cache(
            [url for feed_page in feed_pages_for(instance) for url in feed_urls(feed_page)]
        )


def on_view_restriction_changed(sender, instance, **kwargs):
    # A page made private (or public again) changes what its and its descendants' feeds may
    # carry; a new generation stops the middleware serving them from the cache.
    page_model = swapper.load_model("wagtailcore", "Page")
    page = page_model.objects.filter(pk=instance.page_id).only("path").first()
    if page is not None:  # else the page is being deleted, which bumps them itself
        bump_feed_versions(page.path)


def index_post_on_save(sender, instance, **kwargs):
    # As Wagtail's own handler (a task that indexes the post), unless the thread's caller
    # indexes the posts it writes itself; deciding here spares a task per save.
    if not post_search_index_is_deferred():
        search_signal_handlers.post_save_signal_handler(instance, **kwargs)


def on_site_changed(sender, instance, **kwargs):
    # The feed cache middleware remembers which site serves which host.
    bump_sites_version()


def register_signal_handlers():
    page_published.connect(on_page_published, dispatch_uid="wagtail_grantee_feeds_published")
    page_unpublished.connect(on_page_unpublished, dispatch_uid="wagtail_grantee_feeds_unpublished")
    post_page_move.connect(on_page_moved, dispatch_uid="wagtail_grantee_feeds_moved")
    post_delete.connect(on_page_deleted, dispatch_uid="wagtail_grantee_feeds_deleted")
    for signal in (post_save, post_delete):
        signal.connect(
            on_view_restriction_changed,
            sender=PageViewRestriction,
            dispatch_uid=f"wagtail_grantee_feeds_restriction_{signal is post_save}",
        )
        signal.connect(
            on_site_changed,
            sender=Site,
            dispatch_uid=f"wagtail_grantee_feeds_site_{signal is post_save}",
        )
    for model in index.get_indexed_models():
        if issubclass(model, PostPage) and not getattr(model, "search_auto_update", True):
            post_save.connect(index_post_on_save, sender=model)
            post_delete.connect(search_signal_handlers.post_delete_signal_handler, sender=model)
