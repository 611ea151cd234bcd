"""Where ``wagtail_grantee`` meets the Wagtail admin."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .aggregator.viewsets import FeedSourceViewSet
from .models import Category


class CategoryViewSet(SnippetViewSet):
    model = Category
    icon = "tag"
    menu_label = _("Post categories")
    add_to_admin_menu = True
    menu_order = 300
    list_display = ["name", "slug"]
    search_fields = ["name"]


register_snippet(CategoryViewSet)


@hooks.register("register_log_actions")
def register_aggregator_log_actions(actions):
    actions.register_action("wagtail_grantee.feed_fetch", _("Fetch now"), _("Fetched now"))
    actions.register_action(
        "wagtail_grantee.opml_import", _("Import OPML"), _("Added from an OPML file")
    )


register_snippet(FeedSourceViewSet)
