"""The river's own feeds (RSS 2.0, Atom 1.0, JSON Feed 1.1): the sections' feed code
(:class:`~wagtail_grantee.feeds.BaseFeed`) with entries instead of posts.

The state of the feed derives from the data only, in one query: the newest ``changed_at`` and
the count of the river's entries (which the river's sources decide), besides the page's last
publication that every feed's validators include. Entries are written by the worker, another
process than the web server with another cache; the next request to any web process sees a new
ETag, and so a new rendering, without being told: the validators include no per-process
cache version (``version()`` is 0). For the same reason the feed cache middleware does not
answer the river's addresses from memory (``remembered_by_address``).
"""

from django.db.models import Count, Max
from django.http import Http404
from django.utils.translation import gettext as _

from ..feeds import BaseFeed, FeedItem, FeedState
from ..feeds.content import clean_html


class EntryFeed(BaseFeed):
    """The ``feed_format`` feed of an :class:`~wagtail_grantee.models.AggregatorPage`'s
    entries, newest first. The river has no tag or category feeds: those addresses are 404."""

    remembered_by_address = False

    def __init__(self, page, feed_format, *, tag=None, category=None):
        if tag or category:
            raise Http404
        super().__init__(page, feed_format)

    def version(self):
        return 0  # the state says it all: no per-process cache in the validators

    def fingerprint(self):
        return (*super().fingerprint(), self.page.url_path)  # a moved river: new addresses

    def title(self):
        return _("Latest from %(page)s") % {"page": self.page.title}

    def get_state(self):
        # A new or changed entry moves the newest change (a source's new name or address
        # touches its entries); an entry pruned, or a source left out or deactivated, the
        # count. A new choice of sources is a new publication of the page.
        stats = self.page.get_entries().aggregate(latest=Max("changed_at"), count=Count("pk"))
        return FeedState(
            fingerprint=(stats["latest"], stats["count"]), changed_at=[stats["latest"]]
        )

    def get_items(self, request):
        return [
            entry_item(entry, full_content=self.full_content)
            for entry in self.page.get_entries()[: self.item_count]
        ]


def entry_item(entry, *, full_content):
    """The :class:`~wagtail_grantee.feeds.FeedItem` of ``entry``: a link to the original post,
    its grantee as author (unless the entry names one) and as category."""
    link = entry.link or entry.source.site_url
    # Sanitised when fetched; once more here, so that whatever the database holds leaves the
    # site sanitised, with its addresses absolute against the original post.
    content = clean_html(entry.content, link) if full_content and entry.content else None
    return FeedItem(
        title=entry.title or entry.link,
        link=link,
        unique_id=entry_id(entry),
        published=entry.published_at,
        updated=entry.updated_at or entry.published_at,
        summary=entry.summary,
        content_html=content,
        author_names=[entry.author or entry.source.name],
        categories=[entry.source.name],
    )


def entry_id(entry):
    """The entry's guid when it is a URI (an Atom id must be one), else a URN made of it."""
    if ":" in entry.guid and " " not in entry.guid:
        return entry.guid
    return f"urn:wagtail-grantee:feed-entry:{entry.pk}"
