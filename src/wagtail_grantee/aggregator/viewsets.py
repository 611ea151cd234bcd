"""The feed sources in the admin: their state, "fetch now", filters, OPML import and export."""

import django_filters
from django.db.models import Count
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn
from wagtail.admin.widgets import HeaderButton
from wagtail.admin.widgets.button import MenuItem
from wagtail.snippets.views.snippets import IndexView, InspectView, SnippetViewSet

from . import views
from .models import FeedSource


class SourceStateFilterSet(WagtailFilterSet):
    state = django_filters.ChoiceFilter(
        label=_("State"),
        empty_label=_("All"),
        choices=[
            ("failing", _("Failing")),
            ("inactive", _("Inactive")),
            ("healthy", _("Active and healthy")),
        ],
        method="filter_state",
    )

    class Meta:
        model = FeedSource
        fields = []

    def filter_state(self, queryset, name, value):
        if value == "failing":
            return queryset.failing()
        if value == "inactive":
            return queryset.filter(active=False)
        if value == "healthy":
            return queryset.filter(active=True, error_count=0)
        return queryset


class FeedSourceIndexView(IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().annotate(entry_count=Count("entries"))

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if self.request.user.has_perm("wagtail_grantee.change_feedsource"):
            buttons.append(
                MenuItem(
                    _("Fetch now"),
                    url=reverse(
                        FeedSource.snippet_viewset.get_url_name("fetch"), args=[instance.pk]
                    ),
                    icon_name="resubmit",
                    priority=5,
                )
            )
        return buttons

    @cached_property
    def header_buttons(self):
        buttons = super().header_buttons
        url_name = FeedSource.snippet_viewset.get_url_name
        if self.request.user.has_perm("wagtail_grantee.add_feedsource"):
            buttons.append(
                HeaderButton(
                    _("Import OPML"), url=reverse(url_name("import_opml")), icon_name="upload"
                )
            )
        buttons.append(
            HeaderButton(
                _("Export OPML"), url=reverse(url_name("export_opml")), icon_name="download"
            )
        )
        return buttons


class FeedSourceInspectView(InspectView):
    """The source's state, and "Fetch now" next to its last error."""

    @cached_property
    def header_buttons(self):
        if not self.request.user.has_perm("wagtail_grantee.change_feedsource"):
            return []
        url = reverse(FeedSource.snippet_viewset.get_url_name("fetch"), args=[self.object.pk])
        return [HeaderButton(_("Fetch now"), url=url, icon_name="resubmit")]


class StateColumn(StatusTagColumn):
    """ "Failing" (with the error count), "Inactive" or "OK"."""

    def get_value(self, instance):
        if not instance.active:
            return _("Inactive")
        if instance.error_count:
            return _("Failing (%(count)s)") % {"count": instance.error_count}
        if instance.last_fetched_at is None:
            return _("Not fetched yet")
        return _("OK")


class FeedSourceViewSet(SnippetViewSet):
    model = FeedSource
    icon = "site"
    menu_label = _("Feed sources")
    menu_name = "feed-sources"
    add_to_admin_menu = True
    menu_order = 310
    index_view_class = FeedSourceIndexView
    filterset_class = SourceStateFilterSet
    inspect_view_enabled = True
    inspect_view_class = FeedSourceInspectView
    inspect_view_fields = [
        "name", "site_url", "feed_url", "active", "last_fetched_at", "last_status",
        "error_count", "next_fetch_at", "last_error", "etag", "last_modified",
    ]  # fmt: skip
    list_display = [
        "name",
        StateColumn("state", label=_("State"), primary=lambda s: s.active and not s.error_count),
        DateColumn("last_fetched_at", label=_("Last fetched")),
        Column("last_status", label=_("Status")),
        Column("error_count", label=_("Failures")),
        DateColumn("next_fetch_at", label=_("Next fetch")),
        Column("entry_count", label=_("Entries"), sort_key="entry_count"),
    ]
    list_export = [
        "name", "site_url", "feed_url", "active", "last_fetched_at", "last_status",
        "error_count", "next_fetch_at", "last_error",
    ]  # fmt: skip
    export_filename = "feed-sources"
    search_fields = ["name", "site_url"]
    search_backend_name = None
    ordering = ["name"]

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("fetch/<int:pk>/", views.FetchNowView.as_view(), name="fetch"),
            path("opml/import/", views.ImportOPMLView.as_view(), name="import_opml"),
            path("opml/export/", views.ExportOPMLView.as_view(), name="export_opml"),
        ]
