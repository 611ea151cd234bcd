"""One feed: the posts it carries, its validators and its rendered document."""

import hashlib
import mimetypes
from functools import cached_property
from urllib.parse import urljoin

from django.db.models import Count, Max, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import translation
from django.utils.feedgenerator import Enclosure
from django.utils.html import escape
from django.utils.translation import gettext as _
from taggit.models import Tag
from wagtail.images import get_image_model
from wagtail.images.models import Filter

from ..conf import get_setting
from . import caching
from .content import clean_html, render_bodies, xml_safe
from .generators import FEED_CLASSES, FeedImage


class Feed:
    """The ``feed_format`` feed of ``page``'s posts, all of them or those of a tag or category.

    ``page`` is a :class:`~wagtail_grantee.feeds.FeedRoutesMixin` page; an unknown tag or
    category raises ``Http404``, as the page's HTML lists do.
    """

    def __init__(self, page, feed_format, *, tag=None, category=None):
        if feed_format not in FEED_CLASSES:
            raise Http404
        self.page = page
        self.feed_format = feed_format
        self.tag_slug = tag
        self.category_slug = category
        self.tag = get_object_or_404(Tag, slug=tag) if tag else None
        self.category = get_object_or_404(_category_model(), slug=category) if category else None

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

    @cached_property
    def posts(self):
        """The posts the feed may carry (``get_posts`` leaves out drafts, private and expired
        posts and those of other sites)."""
        return self.page.get_posts(tag=self.tag_slug, category=self.category_slug)

    def validators(self, request):
        """``(etag, last_modified)`` from one aggregate query and the page's cache version."""
        stats = self.posts.aggregate(latest=Max("last_published_at"), count=Count("pk"))
        version = caching.get_feed_version(self.page)
        fingerprint = "|".join(
            str(part)
            for part in (
                self.page.pk,
                self.page.last_published_at,
                self.feed_format,
                self.tag_slug,
                self.category_slug,
                request.get_host(),
                stats["latest"],
                stats["count"],
                version,
                self.item_count,
                self.full_content,
                get_setting("FEED_IMAGE_FILTER"),
                get_setting("WEBSUB_HUB"),
            )
        )
        etag = hashlib.sha256(fingerprint.encode()).hexdigest()[:32]
        changes = [self.page.last_published_at, stats["latest"]]
        last_modified = max(
            [int(moment.timestamp()) for moment in changes if moment] + [int(version)]
        )
        return etag, last_modified

    def render(self, request):
        """The feed document as bytes (UTF-8)."""
        home = self.page.get_grantee_home() or self.page
        language = self.page.locale.language_code
        with translation.override(language):
            feed = FEED_CLASSES[self.feed_format](
                title=xml_safe(self.title()),
                link=self.page.get_full_url(request),
                description=xml_safe(self.page.get_meta_description() or self.page.title),
                language=language,
                author_name=xml_safe(home.title),
                author_link=home.get_full_url(request),
                feed_url=self.url(request),
                hub=get_setting("WEBSUB_HUB"),
                updated=self.page.last_published_at,
            )
            self._add_items(feed, request, default_author=home.title)
        return feed.writeString("utf-8").encode()

    def url(self, request=None):
        """The feed's absolute address."""
        return self.page.feed_url(
            self.feed_format,
            tag=self.tag_slug,
            category=self.category_slug,
            request=request,
            full=True,
        )

    def title(self):
        return feed_title(self.page, tag=self.tag, category=self.category)

    def _items_queryset(self):
        image_filter = get_setting("FEED_IMAGE_FILTER")
        renditions = (
            get_image_model().get_rendition_model().objects.filter(filter_spec=image_filter)
        )
        return self.posts.prefetch_related(
            "tags",
            "categories",
            Prefetch("lead_image__renditions", queryset=renditions),
        )[: self.item_count]

    def _add_items(self, feed, request, default_author):
        posts = list(self._items_queryset())
        base_url = urljoin(self.page.get_full_url(request), "/")
        bodies = render_bodies(posts, {"request": request}) if self.full_content else {}
        # One Filter for all lead images: parsing its operations again for each is costly.
        image_filter = Filter(spec=get_setting("FEED_IMAGE_FILTER"))
        for post in posts:
            summary = xml_safe(post.summary)
            image = self._feed_image(post, base_url, image_filter)
            updated = post.last_published_at or post.date
            feed.add_item(
                title=xml_safe(post.title),
                link=post.get_full_url(request),
                description=escape(summary) if summary else None,
                summary=summary or None,
                unique_id=f"urn:uuid:{post.guid}",
                unique_id_is_permalink=False,
                pubdate=post.date or updated,
                updateddate=updated,
                author_names=[xml_safe(name) for name in post.author_names or [default_author]],
                categories=list(
                    dict.fromkeys(
                        xml_safe(name)
                        for name in [tag.name for tag in post.tags.all()]
                        + [category.name for category in post.categories.all()]
                    )
                ),
                enclosures=[Enclosure(image.url, str(image.length), image.mime_type)]
                if image
                else None,
                image=image,
                content_html=clean_html(bodies[post.pk], base_url) if post.pk in bodies else None,
            )

    @staticmethod
    def _feed_image(post, base_url, image_filter):
        if post.lead_image is None:
            return None
        rendition = post.lead_image.get_rendition(image_filter)
        try:
            length = rendition.file.size
        except OSError:  # the file is gone from storage; the feed still names the image
            length = 0
        return FeedImage(
            url=urljoin(base_url, rendition.url),
            mime_type=mimetypes.guess_type(rendition.file.name)[0] or "image/jpeg",
            length=length,
            width=rendition.width,
            height=rendition.height,
        )


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
