"""The river's own feeds (RSS 2.0, Atom 1.0, JSON Feed 1.1), made by the sections' feed code.

An adapter: the same generators (``feeds.generators``), the same cache of rendered feeds keyed
by ETag and the same conditional responses (``feeds.views``), with entries instead of posts.

The validators derive from the data only: the newest ``changed_at`` and the count of the
river's entries, its sources (ids, names) and the page's last publication. Entries are written
by the worker, another process than the web server with another cache; the next request to
any web process sees a new ETag, and so a new rendering, without being told.
"""

import hashlib

from django.db.models import Count, Max
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from ..conf import get_setting
from ..feeds import caching, views
from ..feeds.content import xml_safe
from ..feeds.generators import FEED_CLASSES


class RiverFeed:
    def __init__(self, page, feed_format):
        self.page = page
        self.feed_format = feed_format

    @property
    def content_type(self):
        return FEED_CLASSES[self.feed_format].content_type

    @property
    def item_count(self):
        return get_setting("FEED_ITEMS")

    def validators(self, request):
        sources = sorted(self.page.get_sources().values_list("pk", "name"))
        stats = self.page.get_entries().aggregate(latest=Max("changed_at"), count=Count("pk"))
        fingerprint = "|".join(
            str(part)
            for part in (
                "river",
                self.page.pk,
                self.page.last_published_at,
                self.feed_format,
                request.get_host(),
                sources,
                stats["latest"],
                stats["count"],
                self.item_count,
            )
        )
        etag = hashlib.sha256(fingerprint.encode()).hexdigest()[:32]
        changes = [self.page.last_published_at, stats["latest"]]
        last_modified = max([int(moment.timestamp()) for moment in changes if moment] or [0])
        return etag, last_modified

    def title(self):
        return _("Latest from %(page)s") % {"page": self.page.title}

    def render(self, request):
        language = self.page.locale.language_code
        site = self.page.get_site()
        with translation.override(language):
            feed = FEED_CLASSES[self.feed_format](
                title=xml_safe(self.title()),
                link=self.page.get_full_url(request),
                description=xml_safe(
                    getattr(self.page, "search_description", "") or self.page.title
                ),
                language=language,
                author_name=xml_safe(
                    site.site_name if site and site.site_name else self.page.title
                ),
                author_link=self.page.get_full_url(request),
                feed_url=self.page.feed_url(self.feed_format, request=request, full=True),
                updated=self.page.last_published_at,
            )
            for entry in self.page.get_entries()[: self.item_count]:
                summary = xml_safe(entry.summary)
                feed.add_item(
                    title=xml_safe(entry.title or entry.link),
                    link=entry.link or entry.source.site_url,
                    description=escape(summary) if summary else None,
                    summary=summary or None,
                    unique_id=entry_id(entry),
                    unique_id_is_permalink=False,
                    pubdate=entry.published_at,
                    updateddate=entry.updated_at or entry.published_at,
                    author_name=xml_safe(entry.author or entry.source.name),
                    categories=[xml_safe(entry.source.name)],
                    content_html=xml_safe(entry.content) or None,
                )
        return feed.writeString("utf-8").encode()


def entry_id(entry):
    """The entry's guid when it is a URI (an Atom id must be one), else a URN made of it."""
    if ":" in entry.guid and " " not in entry.guid:
        return entry.guid
    return f"urn:wagtail-grantee:feed-entry:{entry.pk}"


def serve_river_feed(request, page, feed_format):
    """Answer from the validators (304), the cache, or by rendering, like a section's feed."""
    feed = RiverFeed(page, feed_format)
    etag, last_modified = feed.validators(request)
    response = views.conditional_response(request, etag, last_modified)
    if response is not None:
        return response
    content = caching.get_cached_feed(etag)
    if content is None:
        content = feed.render(request)
        caching.set_cached_feed(etag, content)
    # Not remembered by address for FeedCacheMiddleware: its generations follow page
    # publishing, and the river changes when the worker saves entries.
    return views.feed_response(content, feed.content_type, etag, last_modified)
