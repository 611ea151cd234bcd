"""Keep feeds fresh: when a page is published, unpublished, moved or deleted, the feeds that
carry it get a new cache version, the front-end cache forgets them (when
``wagtail.contrib.frontend_cache`` is installed) and the WebSub hub is told (when configured).
"""

import swapper
from django.apps import apps
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from wagtail.models import PageViewRestriction, Site
from wagtail.signals import page_published, page_unpublished, post_page_move

from . import tasks
from .conf import get_setting
from .feeds.caching import bump_feed_versions, bump_sites_version
from .feeds.discovery import feed_pages_for, feed_urls


def feeds_carrying(page, place=None):
    """The full URLs of every feed that carries ``page`` (by its tags and categories too).

    ``place`` is where in the tree to look, when not the page's own (its old parent on a move).
    """
    page = page.specific_deferred
    tags = [tag.slug for tag in page.tags.all()] if hasattr(page, "tags") else []
    categories = [c.slug for c in page.categories.all()] if hasattr(page, "categories") else []
    return [
        url
        for feed_page in feed_pages_for(place or page)
        for url in feed_urls(feed_page, tags=tags, categories=categories)
    ]


def purge_from_frontend_cache(urls):
    if urls and apps.is_installed("wagtail.contrib.frontend_cache"):
        from wagtail.contrib.frontend_cache.utils import purge_urls_from_cache

        transaction.on_commit(lambda: purge_urls_from_cache(urls))


def on_page_published(sender, instance, **kwargs):
    bump_feed_versions(instance.path)
    urls = feeds_carrying(instance)
    purge_from_frontend_cache(urls)
    if get_setting("WEBSUB_HUB"):
        tasks.enqueue_websub_ping(urls)


on_page_unpublished = on_page_published


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
