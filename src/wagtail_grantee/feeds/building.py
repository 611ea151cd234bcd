"""One feed: what it carries, its validators and its rendered document.

:class:`BaseFeed` is the machinery every feed of the suite shares (validators for ETag and
Last-Modified, the channel, the document in each format); a subclass says what its items are
and what they depend on. :class:`Feed` is the feed of a page's posts (sections and grantee
homes); a page whose items are something else (an aggregator's entries) subclasses
:class:`BaseFeed` and names its class in ``feed_class``
(:class:`~wagtail_grantee.feeds.FeedRoutesMixin`).
"""

import copy
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from urllib.parse import urljoin

from django.core.cache import cache
from django.db.models import Count, Max, Min
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import translation
from django.utils.translation import gettext as _
from taggit.models import Tag

from ..conf import get_setting
from . import caching
from .content import xml_safe
from .generators import FEED_CLASSES
from .items import FeedItem, post_items

__all__ = ["BaseFeed", "Feed", "FeedItem", "FeedState", "feed_title", "write_feed"]


@dataclass
class FeedState:
    """What a feed's content depends on, read without rendering it (one query, ideally).

    ``fingerprint``: values that change whenever the items change (newest change, count...);
    ``changed_at``: when the items last changed, as far as the data says; ``valid_until``:
    the next moment the items will change by themselves (a post's expiry), or ``None``.
    """

    fingerprint: tuple = ()
    changed_at: list[datetime] = field(default_factory=list)
    valid_until: datetime | None = None


def write_feed(
    feed_format,
    items,
    *,
    title,
    link,
    description,
    language,
    author_name,
    author_link,
    feed_url,
    updated=None,
    hub=None,
):
    """The document of ``items`` (:class:`FeedItem`\\ s) in ``feed_format`` (``rss``, ``atom``,
    ``json``), as UTF-8 bytes.

    The element of each item that has a ``version`` is kept in the cache under its version,
    format, categories and author names, so that a feed made again after one new post writes
    one item, not all of them.
    """
    feed = FEED_CLASSES[feed_format](
        title=xml_safe(title),
        link=link,
        description=xml_safe(description),
        language=language,
        author_name=xml_safe(author_name),
        author_link=author_link,
        feed_url=feed_url,
        hub=hub,
        updated=updated,
    )
    items = list(items)
    keys = [_fragment_key(feed_format, item) for item in items]
    fragments = cache.get_many([key for key in keys if key]) if any(keys) else {}
    for item, key in zip(items, keys, strict=True):
        feed.add_item(**item.as_generator_kwargs(), fragment=fragments.get(key))
    document = feed.writeString("utf-8").encode()
    cache.set_many(
        {
            key: written["fragment"]
            for key, written in zip(keys, feed.items, strict=True)
            if key and key not in fragments
        },
        timeout=get_setting("FEED_CACHE_TIMEOUT"),
    )
    return document


def _fragment_key(feed_format, item):
    if item.version is None:
        return None
    parts = json.dumps([feed_format, item.version, item.author_names, item.categories])
    return f"{caching.KEY_PREFIX}:fragment:{hashlib.sha256(parts.encode()).hexdigest()[:32]}"


class BaseFeed:
    """The ``feed_format`` feed of ``page`` (a :class:`~wagtail_grantee.feeds.FeedRoutesMixin`
    page). A subclass provides :meth:`get_items` and :meth:`get_state`, and may change
    :meth:`title` and :meth:`url`."""

    #: Whether :class:`~wagtail_grantee.feeds.middleware.FeedCacheMiddleware` may answer the
    #: feed's address from the cache. Its answers hold until a page is published, moved or
    #: deleted anywhere (or ``valid_until``), so a feed whose items change otherwise (the
    #: entries a worker saves) sets it to ``False``: it is then answered by the feed view,
    #: from its validators (304) or the cache of rendered feeds, at every request.
    remembered_by_address = True

    def __init__(self, page, feed_format):
        if feed_format not in FEED_CLASSES:
            raise Http404
        self.page = page
        self.feed_format = feed_format

    def get_items(self, request):
        """The feed's items, newest first, at most :attr:`item_count`: ``[FeedItem]``."""
        raise NotImplementedError

    def get_state(self):
        """A :class:`FeedState` of the items, read without rendering them."""
        raise NotImplementedError

    def title(self):
        return feed_title(self.page)

    def url(self, request=None):
        """The feed's absolute address."""
        return self.page.feed_url(self.feed_format, request=request, full=True)

    def warm(self, post):
        """Render what this feed, in every format, will need of the newly published ``post``
        into the cache ahead of the next request. Nothing by default."""

    @property
    def content_type(self):
        return FEED_CLASSES[self.feed_format].content_type

    @property
    def item_count(self):
        return self.page.feed_items or get_setting("FEED_ITEMS")

    @property
    def full_content(self):
        if self.page.feed_full_content is not None:
            return self.page.feed_full_content
        return get_setting("FEED_FULL_CONTENT")

    def fingerprint(self):
        """What, besides the items' state, the document depends on."""
        return (
            type(self).__qualname__,
            self.page.pk,
            self.page.last_published_at,
            # The channel names its author (the grantee home): a renamed home is a new feed.
            self.author.pk,
            self.author.last_published_at,
            self.feed_format,
            self.item_count,
            self.full_content,
            get_setting("FEED_IMAGE_FILTER"),
            get_setting("WEBSUB_HUB"),
        )

    @cached_property
    def state(self):
        return self.get_state()

    def version(self):
        """The page's feed version in the cache (a timestamp) that publishing, moving and
        deleting pages under it bump. A feed whose state reflects all it carries may return 0,
        so that its validators depend on the data only, the same in every process."""
        return caching.get_feed_version(self.page)

    def validators(self, request):
        """``(etag, last_modified)`` from the items' state and the page's feed version."""
        version = self.version()
        parts = (*self.fingerprint(), request.get_host(), version, *self.state.fingerprint)
        etag = hashlib.sha256("|".join(str(part) for part in parts).encode()).hexdigest()[:32]
        changes = [self.page.last_published_at, self.author.last_published_at]
        changes += self.state.changed_at
        last_modified = max(
            [int(moment.timestamp()) for moment in changes if moment] + [int(version)]
        )
        return etag, last_modified

    @property
    def valid_until(self):
        """When the feed changes by itself next (a post expires), or ``None``."""
        return self.state.valid_until

    @cached_property
    def author(self):
        """The page the channel names as its author: the grantee home, or the page itself."""
        getter = getattr(self.page, "get_grantee_home", None)
        return (getter() if getter else None) or self.page

    @cached_property
    def language(self):
        """The language code of the page's locale (loaded with the author, when it is theirs)."""
        author = self.author
        return (
            author if author.locale_id == self.page.locale_id else self.page
        ).locale.language_code

    def render(self, request, items=None):
        """The feed document as bytes (UTF-8), in the page's language: of its items, or of
        ``items`` (:class:`FeedItem`\\ s) when given."""
        author = self.author
        language = self.language
        with translation.override(language):
            return write_feed(
                self.feed_format,
                self.get_items(request) if items is None else items,
                title=self.title(),
                link=self.page.get_full_url(request),
                description=self.page.get_meta_description() or self.page.title,
                language=language,
                author_name=author.title,
                author_link=author.get_full_url(request),
                feed_url=self.url(request),
                updated=self.page.last_published_at,
                hub=get_setting("WEBSUB_HUB"),
            )


class Feed(BaseFeed):
    """The ``feed_format`` feed of ``page``'s posts, all of them or those of a tag or category.

    ``page`` provides ``get_posts(tag=None, category=None)``; an unknown tag or category
    raises ``Http404``, as the page's HTML lists do.
    """

    def __init__(self, page, feed_format, *, tag=None, category=None):
        super().__init__(page, feed_format)
        self.tag_slug = tag
        self.category_slug = category
        self.tag = get_object_or_404(Tag, slug=tag) if tag else None
        self.category = get_object_or_404(_category_model(), slug=category) if category else None

    @cached_property
    def posts(self):
        """The posts the feed may carry (``get_posts`` leaves out drafts, private and expired
        posts and those of other sites)."""
        return self.page.get_posts(tag=self.tag_slug, category=self.category_slug)

    def fingerprint(self):
        return (*super().fingerprint(), self.tag_slug, self.category_slug)

    def get_state(self):
        # One aggregate: a publication changes the newest date, an unpublication or an expiry
        # the count; the next expiry is when a remembered answer must be checked again.
        stats = self.posts.aggregate(
            latest=Max("last_published_at"), count=Count("pk"), next_expiry=Min("expire_at")
        )
        return FeedState(
            fingerprint=(stats["latest"], stats["count"]),
            changed_at=[stats["latest"]],
            valid_until=stats["next_expiry"],
        )

    def url(self, request=None):
        return self.page.feed_url(
            self.feed_format,
            tag=self.tag_slug,
            category=self.category_slug,
            request=request,
            full=True,
        )

    def title(self):
        return feed_title(self.page, tag=self.tag, category=self.category)

    def get_items(self, request, posts=None):
        """The items of the feed's posts, or of ``posts`` (a query set of them) when given."""
        return post_items(
            self.posts[: self.item_count] if posts is None else posts,
            request,
            base_url=urljoin(self.page.get_full_url(request), "/"),
            full_content=self.full_content,
            default_author=self.author.title,
        )

    def warm(self, post):
        # The item is rendered once; its element in each format is written from it. Nothing
        # when the feed does not carry the post, or no site serves the feed.
        if self.page.get_full_url() is None:
            return
        with translation.override(self.language):
            items = self.get_items(None, posts=self.posts.filter(pk=post.pk))
        for feed_format in FEED_CLASSES if items else ():
            sibling = copy.copy(self)  # with the author, language and posts already loaded
            sibling.feed_format = feed_format
            sibling.render(None, items=items)


def feed_title(page, tag=None, category=None):
    """The title of ``page``'s feed of all posts, or of those with ``tag`` or in ``category``."""
    if tag:
        return _("Posts tagged “%(tag)s” from %(page)s") % {"tag": tag.name, "page": page.title}
    if category:
        return _("Posts in “%(category)s” from %(page)s") % {
            "category": category.name,
            "page": page.title,
        }
    return _("Latest posts from %(page)s") % {"page": page.title}


def _category_model():
    from ..models import Category  # the models import this module through the feed routes

    return Category
