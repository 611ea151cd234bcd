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
from urllib.parse import urljoin

from django.core.cache import cache
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import translation
from django.utils.feedgenerator import Enclosure
from django.utils.html import escape
from wagtail.images import get_image_model
from wagtail.images.models import Filter

from ..conf import get_setting
from .caching import KEY_PREFIX
from .content import clean_html, render_bodies, xml_safe
from .generators import FeedImage


@dataclass
class FeedItem:
    """One item of a feed. Text is plain unless named ``html``; URLs are absolute.

    ``unique_id`` never changes for the same thing (a ``urn:uuid:``, or a URL when
    ``unique_id_is_permalink``); ``content_html`` is sanitised HTML (``None`` in a feed of
    summaries); ``image`` is also written as the item's enclosure.
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


def post_items(posts, request, *, base_url, full_content, default_author):
    """The :class:`FeedItem` of each of ``posts`` (in their order), rendering only those whose
    published version is not in the cache yet.

    ``posts`` come with their lead image (``select_related``); links and images are made
    absolute against ``base_url`` (the site's root URL); ``default_author`` names the items of
    posts that have no authors. Rendered in the active language.
    """
    posts = list(posts)
    if not posts:
        return []
    image_filter = get_setting("FEED_IMAGE_FILTER")
    variant = "|".join(
        str(part) for part in (base_url, translation.get_language(), full_content, image_filter)
    )
    keys = {post.pk: _item_key(post, variant) for post in posts}
    cached = cache.get_many(list(keys.values()))
    missing = [post for post in posts if keys[post.pk] not in cached]
    if missing:
        rendered = _render_items(missing, request, base_url, full_content, image_filter)
        cache.set_many(
            {keys[pk]: item for pk, item in rendered.items()},
            timeout=get_setting("FEED_CACHE_TIMEOUT"),
        )
        cached |= {keys[pk]: item for pk, item in rendered.items()}
    terms = post_terms(posts)
    items = []
    for post in posts:
        item = cached[keys[post.pk]]
        items.append(
            FeedItem(
                **item,
                author_names=post.author_names or [default_author],
                categories=terms.get(post.pk, []),
            )
        )
    return items


def _item_key(post, variant):
    # Everything about the post that its item shows and that a new version changes: publishing
    # makes a new revision and publication time, a move or a new slug a new path; and its lead
    # image as loaded with it (deleted, its file replaced or its focal point moved, the
    # rendition changes without the post changing).
    image = post.lead_image
    version = "|".join(
        str(part)
        for part in (
            post.live_revision_id,
            post.latest_revision_id,
            post.last_published_at and post.last_published_at.timestamp(),
            post.url_path,
            variant,
            image and image.pk,
            image and image.file.name,
            image and image.get_focal_point(),
        )
    )
    digest = hashlib.sha256(version.encode()).hexdigest()[:32]
    return f"{KEY_PREFIX}:item:{post.pk}:{digest}"


def _render_items(posts, request, base_url, full_content, image_filter):
    """``{post.pk: the FeedItem fields of the post}`` for the posts not in the cache."""
    bodies = render_bodies(posts, {"request": request}) if full_content else {}
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
            "image": images.get(post.pk),
        }
        for post in posts
    }


def _lead_images(posts, image_filter, base_url):
    """``{post.pk: FeedImage}`` of the posts with a lead image: their renditions in one query
    (created when missing), and the size of each rendition's file from the cache, where it is
    kept by rendition id once it has been read (a rendition's file never changes)."""
    with_image = [post for post in posts if post.lead_image is not None]
    if not with_image:
        return {}
    renditions_model = get_image_model().get_rendition_model()
    prefetch_related_objects(
        [post.lead_image for post in with_image],
        Prefetch("renditions", renditions_model.objects.filter(filter_spec=image_filter)),
    )
    # One Filter for all lead images: parsing its operations again for each is costly.
    image_filter = Filter(spec=image_filter)
    renditions = {post.pk: post.lead_image.get_rendition(image_filter) for post in with_image}
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


def post_terms(posts):
    """``{post.pk: [tag names, then category names]}``: one query for the tags of all posts
    and one for their categories (taggit's prefetch builds a query set per post)."""
    posts = list(posts)
    if not posts:
        return {}
    model_meta = type(posts[0])._meta
    pks = [post.pk for post in posts]
    terms = defaultdict(list)
    tagged = model_meta.get_field("tags").remote_field.through.objects
    for pk, name in (
        tagged.filter(content_object_id__in=pks)
        .order_by("pk")
        .values_list("content_object_id", "tag__name")
    ):
        terms[pk].append(name)
    categories = model_meta.get_field("categories")
    post_field, category_field = categories.m2m_field_name(), categories.m2m_reverse_field_name()
    for pk, name in (
        categories.remote_field.through.objects.filter(**{f"{post_field}__in": pks})
        .order_by(f"{category_field}__name")
        .values_list(post_field, f"{category_field}__name")
    ):
        terms[pk].append(name)
    return terms
