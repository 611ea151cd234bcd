"""Feed items: what one item says, in the terms all three formats share, and the posts' items.

A :class:`FeedItem` is format-free: the same item makes an RSS ``item``, an Atom ``entry`` and
a JSON Feed item (:func:`~wagtail_grantee.feeds.building.write_feed`). Anything that lists
things in a feed (posts here, an aggregator's entries) turns them into ``FeedItem``\\ s.

Posts are turned into items by :func:`post_items`, which keeps each rendered item in Django's
cache under the post's id and the version of it that is published (its revision, its
publication time and its place in the tree), so that after one new post is published only
that post is rendered again; an edited post is a new version, so it is rendered again too.
Which posts a feed carries is never cached here: the feed's own query decides it at every
rendering, so a post that became private, unpublished or expired is not listed, whatever the
cache holds. What a post's item shows that can change without a new version of the post (its
tags and categories, and the default author) is looked up at every rendering, in one query
for all items each.
"""

import hashlib
import mimetypes
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from urllib.parse import urljoin

from django.core.cache import cache
from django.db import connections, router
from django.utils import translation
from django.utils.feedgenerator import Enclosure
from django.utils.html import escape
from wagtail.images.models import Filter

from .. import __version__
from ..conf import get_setting
from .caching import KEY_PREFIX
from .content import clean_html, prefetch_renditions, render_bodies, xml_safe
from .generators import FeedImage


@dataclass
class FeedItem:
    """One item of a feed. Text is plain unless named ``html``; URLs are absolute.

    ``unique_id`` never changes for the same thing (a ``urn:uuid:``, or a URL when
    ``unique_id_is_permalink``); ``content_html`` is sanitised HTML (``None`` in a feed of
    summaries); ``image`` is also written as the item's enclosure. ``version``, when given,
    changes whenever anything else of the item but its ``author_names`` and ``categories``
    does: the feed documents keep the item's rendered element under it
    (:func:`~wagtail_grantee.feeds.building.write_feed`).
    """

    title: str
    link: str
    unique_id: str
    published: datetime | None = None
    updated: datetime | None = None
    summary: str = ""
    content_html: str | None = None
    author_names: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    image: FeedImage | None = None
    unique_id_is_permalink: bool = False
    version: str | None = None

    def as_generator_kwargs(self):
        """The keywords of the feed generators' ``add_item``."""
        summary = xml_safe(self.summary)
        image = self.image
        return {
            "title": xml_safe(self.title),
            "link": self.link,
            "description": escape(summary) if summary else None,
            "summary": summary or None,
            "unique_id": self.unique_id,
            "unique_id_is_permalink": self.unique_id_is_permalink,
            "pubdate": self.published or self.updated,
            "updateddate": self.updated,
            "author_names": [xml_safe(name) for name in self.author_names],
            "categories": list(dict.fromkeys(xml_safe(name) for name in self.categories)),
            "enclosures": [Enclosure(image.url, str(image.length), image.mime_type)]
            if image
            else None,
            "image": image,
            "content_html": self.content_html,
        }


# What a post's cached item depends on, read for the feed's posts in one light query: the
# published version (publishing makes a new revision and publication time, a move or a new
# slug a new path) and the lead image (deleted, its file replaced or its focal point moved, the
# rendition changes without the post changing).
VERSION_FIELDS = (
    "pk",
    "live_revision_id",
    "latest_revision_id",
    "last_published_at",
    "url_path",
    "lead_image_id",
    "lead_image__file",
    "lead_image__focal_point_x",
    "lead_image__focal_point_y",
    "lead_image__focal_point_width",
    "lead_image__focal_point_height",
)


def post_items(posts, request, *, base_url, full_content, default_author):
    """The :class:`FeedItem` of each of ``posts`` (a query set of posts in the feed's order,
    sliced to its length), rendering only those whose published version is not in the cache.

    Which posts, and their versions, come from one query of a few columns; only the posts
    whose items are not in the cache are loaded whole (with their lead image) and rendered.
    Links and images are made absolute against ``base_url`` (the site's root URL);
    ``default_author`` names the items of posts that have no authors. Rendered in the active
    language.
    """
    versions = list(posts.values_list(*VERSION_FIELDS))
    if not versions:
        return []
    image_filter = get_setting("FEED_IMAGE_FILTER")
    # What else an item depends on: the site's address, the language, the feed's settings, and
    # the code that renders it.
    variant = "|".join(
        str(part)
        for part in (base_url, translation.get_language(), full_content, image_filter, __version__)
    )
    keys = {version[0]: _item_key(version, variant) for version in versions}
    found = cache.get_many(list(keys.values()))
    items = {pk: found[key] for pk, key in keys.items() if key in found}
    missing = [pk for pk in keys if pk not in items]
    if missing:
        loaded = posts.model._default_manager.filter(pk__in=missing).select_related("lead_image")
        rendered = _render_items(list(loaded), request, base_url, full_content, image_filter)
        # Stored under the version they were rendered from (a post published meanwhile is
        # stored under its new version, never an older one).
        cache.set_many(
            {
                _item_key(_version_of(post), variant): rendered[post.pk]
                for post in loaded
                if post.pk in rendered
            },
            timeout=get_setting("FEED_CACHE_TIMEOUT"),
        )
        items |= rendered
    terms = post_terms(posts.model, list(keys))
    return [
        FeedItem(
            **{**items[pk], "author_names": items[pk]["author_names"] or [default_author]},
            categories=terms.get(pk, []),
            version=keys[pk],
        )
        for pk in keys
        if pk in items  # a post deleted since the first query has no item
    ]


def _version_of(post):
    """The :data:`VERSION_FIELDS` of a loaded ``post`` (with its lead image)."""
    image = post.lead_image
    return (
        post.pk,
        post.live_revision_id,
        post.latest_revision_id,
        post.last_published_at,
        post.url_path,
        post.lead_image_id,
        *(
            (image.file.name, image.focal_point_x, image.focal_point_y)
            + (image.focal_point_width, image.focal_point_height)
            if image
            else (None,) * 5
        ),
    )


def _item_key(version, variant):
    """The cache key of a post's item: its id, and a digest of its version and the variant."""
    published_at = version[3]
    parts = (*version[:3], published_at and published_at.timestamp(), *version[4:], variant)
    digest = hashlib.sha256("|".join(str(part) for part in parts).encode()).hexdigest()[:32]
    return f"{KEY_PREFIX}:item:{version[0]}:{digest}"


def _render_items(posts, request, base_url, full_content, image_filter):
    """``{post.pk: the FeedItem fields of the post}`` for the posts not in the cache (their
    authors too: a post's authors change with a new version of it)."""
    lead_images = [post.lead_image for post in posts if post.lead_image is not None]
    bodies = {}
    if full_content:
        # The lead images' renditions come in the bodies' images' query.
        bodies = render_bodies(
            posts, {"request": request}, images=lead_images, image_specs=[image_filter]
        )
    else:
        prefetch_renditions([(image, {image_filter}) for image in lead_images])
    images = _lead_images(posts, image_filter, base_url)
    return {
        post.pk: {
            "title": post.title,
            "link": post.get_full_url(request),
            "unique_id": f"urn:uuid:{post.guid}",
            "published": post.date or post.last_published_at,
            "updated": post.last_published_at or post.date,
            "summary": post.summary,
            "content_html": clean_html(bodies[post.pk], base_url) if post.pk in bodies else None,
            "author_names": post.author_names,
            "image": images.get(post.pk),
        }
        for post in posts
    }


def _lead_images(posts, image_filter, base_url):
    """``{post.pk: FeedImage}`` of the posts with a lead image (its renditions prefetched):
    the rendition (created when missing), and the size of its file from the cache, where it
    is kept by rendition id once it has been read (a rendition's file never changes)."""
    with_image = [post for post in posts if post.lead_image is not None]
    if not with_image:
        return {}
    # One Filter for all lead images: parsing its operations again for each is costly. (And
    # get_renditions, unlike get_rendition, writes no prefetched rendition to the cache again.)
    image_filter = Filter(spec=image_filter)
    renditions = {
        post.pk: next(iter(post.lead_image.get_renditions(image_filter).values()))
        for post in with_image
    }
    sizes = rendition_sizes(renditions.values())
    return {
        pk: FeedImage(
            url=urljoin(base_url, rendition.url),
            mime_type=mimetypes.guess_type(rendition.file.name)[0] or "image/jpeg",
            length=sizes[rendition.pk],
            width=rendition.width,
            height=rendition.height,
        )
        for pk, rendition in renditions.items()
    }


def rendition_sizes(renditions):
    """``{rendition.pk: size of its file in bytes}``, from the cache where known; a file gone
    from storage counts 0 (the feed still names the image) and is not remembered."""
    renditions = {rendition.pk: rendition for rendition in renditions}  # posts share images
    keys = {pk: f"{KEY_PREFIX}:rendition-size:{pk}" for pk in renditions}
    known = cache.get_many(list(keys.values()))
    sizes, learnt = {}, {}
    for pk, rendition in renditions.items():
        if keys[pk] in known:
            sizes[pk] = known[keys[pk]]
            continue
        try:
            sizes[pk] = learnt[keys[pk]] = rendition.file.size
        except OSError:
            sizes[pk] = 0
    if learnt:
        cache.set_many(learnt, timeout=None)
    return sizes


def post_terms(model, pks):
    """``{pk: [tag names, then category names]}`` of the posts (of ``model``) with ``pks``: the
    tags and categories of all of them in one query (taggit's prefetch builds a query set per
    post); tags in the order they were added, categories by name."""
    if not pks:
        return {}
    alias = router.db_for_read(model)
    with connections[alias].cursor() as cursor:
        cursor.execute(_terms_sql(model, len(pks), alias), [*pks, *pks])
        rows = sorted(
            cursor.fetchall(),
            # Tags by when they were added (their row's id), categories by name.
            key=lambda row: (row[1], row[2] if row[1] == 0 else 0, row[3]),
        )
    terms = defaultdict(list)
    for pk, _kind, _order, name in rows:
        terms[pk].append(name)
    return terms


@lru_cache(maxsize=64)
def _terms_sql(model, count, alias):
    """The query of :func:`post_terms` for ``count`` posts: ``(post id, 0 for a tag or 1 for a
    category, the id of the post's link to it, its name)``. Written out once for each number of
    posts, from the models' tables: the ORM takes twelve times as long to compile the same
    union as the database to answer it."""
    quote = connections[alias].ops.quote_name
    placeholders = ", ".join(["%s"] * count)

    def links(through, post_field, term_field, kind):
        post_column = quote(through._meta.get_field(post_field).column)
        term = through._meta.get_field(term_field)
        term_meta = term.related_model._meta
        # Only quoted names of the models' tables and columns, and placeholders: no value.
        return (
            f"SELECT link.{post_column}, {kind}, link.{quote(through._meta.pk.column)}, "  # noqa: S608
            f"term.{quote(term_meta.get_field('name').column)} "
            f"FROM {quote(through._meta.db_table)} link "
            f"INNER JOIN {quote(term_meta.db_table)} term "
            f"ON link.{quote(term.column)} = term.{quote(term_meta.pk.column)} "
            f"WHERE link.{post_column} IN ({placeholders})"
        )

    categories = model._meta.get_field("categories")
    return " UNION ALL ".join(
        [
            links(model._meta.get_field("tags").remote_field.through, "content_object", "tag", 0),
            links(
                categories.remote_field.through,
                categories.m2m_field_name(),
                categories.m2m_reverse_field_name(),
                1,
            ),
        ]
    )
