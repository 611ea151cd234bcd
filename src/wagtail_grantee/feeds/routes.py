"""``FeedRoutesMixin``: the feed URLs of a page that lists posts, and its feed settings."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path

from . import views
from .building import Feed

# URL suffix of each format after ``feed/``; RSS is the feed a plain ``feed/`` serves.
FORMAT_SUFFIXES = {"rss": "", "atom": "atom/", "json": "json/"}
# A feed of all posts, or of the posts with one tag or in one category.
SCOPE_PREFIXES = {"": "", "tag": "tag/<str:tag>/", "category": "category/<slug:category>/"}


def feed_route_name(feed_format, scope=""):
    """The ``reverse_subpage`` name of a feed, e.g. ``feed``, ``feed-atom``, ``tag-feed-json``."""
    return "-".join(
        part for part in (scope, "feed", "" if feed_format == "rss" else feed_format) if part
    )


def feed_routes(feed_format):
    """Route the decorated view at the plain, tag and category URLs of ``feed_format``."""

    def decorate(view):
        for scope, prefix in SCOPE_PREFIXES.items():
            view = path(
                f"{prefix}feed/{FORMAT_SUFFIXES[feed_format]}",
                name=feed_route_name(feed_format, scope),
            )(view)
        return view

    return decorate


class FeedRoutesMixin(RoutablePageMixin, models.Model):
    """Serves RSS 2.0, Atom 1.0 and JSON Feed 1.1 of the posts ``get_posts()`` returns.

    The page class provides ``get_posts(tag=None, category=None)`` (live, public posts under
    it, newest first). Links are built with ``page.url + page.reverse_subpage("feed")``.

    A page whose feeds carry something else than posts sets ``feed_class`` to its own
    subclass of :class:`~wagtail_grantee.feeds.building.BaseFeed` (or overrides
    :meth:`get_feed`); validators, caching, 304s and the three formats come with it.
    """

    feed_class = Feed

    feed_items = models.PositiveSmallIntegerField(
        _("items in feeds"),
        null=True,
        blank=True,
        help_text=_("How many of the latest posts the feeds carry. Empty: the site's default."),
    )
    feed_full_content = models.BooleanField(
        _("feed content"),
        null=True,
        blank=True,
        choices=[(True, _("Full text of each post")), (False, _("Summary only"))],
        help_text=_("Empty: the site's default."),
    )

    feed_settings_panels = [
        MultiFieldPanel(
            [FieldPanel("feed_items"), FieldPanel("feed_full_content")], heading=_("Feeds")
        )
    ]

    class Meta:
        abstract = True

    def get_view_restrictions(self):
        # Kept for the feed view: serving a page, Wagtail's privacy check asks first (and reads
        # the query set), then the feed view asks whether anyone may read the feed, of the
        # same page instance in the same request (views.readable_by_anyone).
        self._view_restrictions = super().get_view_restrictions()
        return self._view_restrictions

    def get_feed(self, feed_format, *, tag=None, category=None):
        """The feed this page serves at one of its feed routes."""
        return self.feed_class(self, feed_format, tag=tag, category=category)

    @feed_routes("rss")
    def rss_feed(self, request, tag=None, category=None):
        return views.serve_feed(request, self, "rss", tag=tag, category=category)

    @feed_routes("atom")
    def atom_feed(self, request, tag=None, category=None):
        return views.serve_feed(request, self, "atom", tag=tag, category=category)

    @feed_routes("json")
    def json_feed(self, request, tag=None, category=None):
        return views.serve_feed(request, self, "json", tag=tag, category=category)

    def feed_url(self, feed_format="rss", *, tag=None, category=None, request=None, full=False):
        """The address of one of this page's feeds; ``full`` makes it absolute. ``None`` when
        the page has no address (no site serves it)."""
        scope, kwargs = ("tag", {"tag": tag}) if tag else ("", {})
        if category:
            scope, kwargs = "category", {"category": category}
        base = self.get_full_url(request) if full else self.get_url(request)
        if base is None:
            return None
        return base + self.reverse_subpage(feed_route_name(feed_format, scope), kwargs=kwargs)
