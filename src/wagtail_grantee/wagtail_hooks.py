"""Where ``wagtail_grantee`` meets the Wagtail admin."""

from django.contrib.auth.models import Permission
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.log_actions import LogFormatter
from wagtail.snippets.views.snippets import SnippetViewSet

from .aggregator.viewsets import FeedSourceViewSet
from .import_views import FacebookImportViewSet
from .models import Category


class CategoryViewSet(SnippetViewSet):
    model = Category
    icon = "tag"
    menu_label = _("Post categories")
    menu_name = "post-categories"
    menu_item_is_registered = True  # in the "Grantee tools" menu, not under "Snippets"
    list_display = ["name", "slug"]
    search_fields = ["name"]


@hooks.register("register_log_actions")
def register_aggregator_log_actions(actions):
    actions.register_action("wagtail_grantee.feed_fetch", _("Fetch now"), _("Fetched now"))
    actions.register_action(
        "wagtail_grantee.opml_import", _("Import OPML"), _("Added from an OPML file")
    )


class FacebookImportFormatter(LogFormatter):
    label = _("Import from Facebook")

    def format_message(self, log_entry):
        data = log_entry.data or {}
        return _(
            "Imported Facebook notes from %(archive)s: %(created)s created, %(updated)s updated"
        ) % {
            "archive": data.get("archive", ""),
            "created": data.get("created", 0),
            "updated": data.get("updated", 0),
        }


@hooks.register("register_log_actions")
def register_import_log_actions(actions):
    actions.register_action("wagtail_grantee.facebook_import")(FacebookImportFormatter)


@hooks.register("register_permissions")
def register_import_permission():
    return Permission.objects.filter(
        content_type__app_label="wagtail_grantee", codename="import_posts"
    )


class GranteeToolsViewSetGroup(ViewSetGroup):
    """The "Grantee tools" menu: feed sources, the Facebook import and post categories.

    Each item shows only to a user with its permission; a user with none sees no menu.
    """

    menu_label = _("Grantee tools")
    menu_name = "grantee-tools"
    menu_icon = "clipboard-list"
    menu_order = 300
    items = (FeedSourceViewSet, FacebookImportViewSet, CategoryViewSet)


@hooks.register("register_admin_viewset")
def register_grantee_tools():
    return GranteeToolsViewSetGroup()
