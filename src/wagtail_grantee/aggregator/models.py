"""The aggregator's models: the feeds followed (``FeedSource``), what they carry (``FeedEntry``)
and the page that republishes them (``AggregatorPage``).

A source's fetch state is written only by :mod:`wagtail_grantee.aggregator.fetching`; the
admin shows it read-only.
"""

from django import forms
from django.core.paginator import Paginator
from django.db import models
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField
from wagtail.search import index

from ..conf import get_setting
from ..models.base import active_base_page_model
from ..models.pages import GranteePageMixin, search_description

BasePage = active_base_page_model()


class FeedSourceQuerySet(models.QuerySet):
    def due(self, now):
        """Active sources whose next fetch time has come (or that were never fetched)."""
        return self.filter(active=True).filter(
            models.Q(next_fetch_at__isnull=True) | models.Q(next_fetch_at__lte=now)
        )

    def failing(self):
        return self.filter(error_count__gt=0)


class FeedSource(index.Indexed, models.Model):
    """A grantee's feed that the aggregator follows; a snippet."""

    name = models.CharField(
        _("name"), max_length=255, help_text=_("The grantee's name, shown with each entry.")
    )
    site_url = models.URLField(
        _("website"), max_length=1000, help_text=_("The grantee's home page.")
    )
    feed_url = models.URLField(
        _("feed address"),
        max_length=1000,
        blank=True,
        help_text=_(
            "RSS, Atom or JSON Feed. Left empty, it is found from the website's feed links "
            "on the next fetch."
        ),
    )
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive sources are not fetched.")
    )
    # The fetch state, written by the fetcher only.
    etag = models.CharField(_("ETag"), max_length=255, blank=True, editable=False)
    last_modified = models.CharField(_("Last-Modified"), max_length=64, blank=True, editable=False)
    last_fetched_at = models.DateTimeField(_("last fetched"), null=True, editable=False)
    last_status = models.PositiveSmallIntegerField(
        _("last HTTP status"),
        null=True,
        editable=False,
        help_text=_("Empty before the first fetch, or when the server could not be reached."),
    )
    error_count = models.PositiveIntegerField(_("failures in a row"), default=0, editable=False)
    next_fetch_at = models.DateTimeField(_("next fetch"), null=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)

    objects = FeedSourceQuerySet.as_manager()

    panels = [
        FieldPanel("name"),
        FieldPanel("site_url"),
        FieldPanel("feed_url"),
        FieldPanel("active"),
    ]
    search_fields = [
        index.SearchField("name"),
        index.AutocompleteField("name"),
        index.SearchField("site_url"),
    ]

    class Meta:
        ordering = ["name"]
        verbose_name = _("feed source")
        verbose_name_plural = _("feed sources")

    def __str__(self):
        return self.name

    @property
    def is_failing(self):
        return self.error_count > 0


class FeedEntry(models.Model):
    """One item of a source's feed, de-duplicated by ``guid`` (or its link when it has none)."""

    source = models.ForeignKey(
        FeedSource, verbose_name=_("source"), on_delete=models.CASCADE, related_name="entries"
    )
    guid = models.CharField(_("guid"), max_length=255)
    link = models.URLField(_("link"), max_length=1000, blank=True)
    title = models.CharField(_("title"), max_length=1000, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    content = models.TextField(_("content"), blank=True)
    author = models.CharField(_("author"), max_length=255, blank=True)
    published_at = models.DateTimeField(_("published"), db_index=True)
    updated_at = models.DateTimeField(_("updated"), null=True, blank=True)
    image_url = models.URLField(_("image"), max_length=1000, blank=True)
    image_width = models.PositiveIntegerField(null=True, blank=True)
    image_height = models.PositiveIntegerField(null=True, blank=True)
    # When the aggregator first saw the entry, and last changed it: the river's feeds derive
    # their validators from these, so every process sees a change at its next request.
    fetched_at = models.DateTimeField(_("fetched"), auto_now_add=True)
    changed_at = models.DateTimeField(_("changed"), auto_now=True, db_index=True)

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("feed entry")
        verbose_name_plural = _("feed entries")
        constraints = [
            models.UniqueConstraint(fields=["source", "guid"], name="unique_feed_entry_guid")
        ]

    def __str__(self):
        return self.title or self.link or self.guid


class AggregatorPage(GranteePageMixin, RoutablePageMixin, BasePage):
    """The river: the entries of the chosen sources, newest first, with its own feeds."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])
    sources = ParentalManyToManyField(
        FeedSource,
        blank=True,
        verbose_name=_("sources"),
        related_name="aggregator_pages",
        help_text=_("None chosen: all active sources."),
    )

    content_panels = BasePage.content_panels + [
        FieldPanel("intro"),
        MultiFieldPanel(
            [FieldPanel("sources", widget=forms.CheckboxSelectMultiple)], heading=_("Sources")
        ),
    ]
    search_fields = BasePage.search_fields + [index.SearchField("intro")]
    subpage_types = []

    class Meta:
        verbose_name = _("aggregator page")
        verbose_name_plural = _("aggregator pages")

    def get_meta_description(self):
        return search_description(self) or strip_tags(self.intro).strip()

    def get_sources(self):
        """The active sources of the river: those chosen, or all when none is."""
        chosen = FeedSource.objects.filter(aggregator_pages=self) if self.pk else None
        if chosen is not None and chosen.exists():
            return chosen.filter(active=True)
        return FeedSource.objects.filter(active=True)

    def get_entries(self, source=None):
        """The river's entries, newest first; those of ``source`` (a pk) only when given."""
        entries = FeedEntry.objects.filter(source__in=self.get_sources()).select_related("source")
        if source is not None:
            entries = entries.filter(source_id=source)
        return entries.order_by("-published_at", "-pk")

    @path("", name="entries")
    def entries_route(self, request):
        sources = list(self.get_sources())
        chosen = _int_or_none(request.GET.get("source"))
        filter_source = next((s for s in sources if s.pk == chosen), None)
        entries = self.get_entries(source=filter_source.pk if filter_source else None)
        paginator = Paginator(entries, get_setting("POSTS_PER_PAGE"))
        return self.render(
            request,
            context_overrides={
                "entries": paginator.get_page(request.GET.get("page")),
                "river_sources": sources,
                "filter_source": filter_source,
            },
        )

    @path("feed/", name="feed")
    def rss_feed(self, request):
        return self._serve_feed(request, "rss")

    @path("feed/atom/", name="feed-atom")
    def atom_feed(self, request):
        return self._serve_feed(request, "atom")

    @path("feed/json/", name="feed-json")
    def json_feed(self, request):
        return self._serve_feed(request, "json")

    def _serve_feed(self, request, feed_format):
        from .feeds import serve_river_feed  # the feed code imports the models

        return serve_river_feed(request, self, feed_format)

    def feed_url(self, feed_format="rss", *, request=None, full=False):
        """The address of one of the river's feeds (``None`` when no site serves the page)."""
        base = self.get_full_url(request) if full else self.get_url(request)
        if base is None:
            return None
        name = "feed" if feed_format == "rss" else f"feed-{feed_format}"
        return base + self.reverse_subpage(name)


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
