"""Where ``wagtail_grantee`` meets the Wagtail admin."""

from django.contrib.auth.models import Permission
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.log_actions import LogFormatter
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


@hooks.register("register_admin_viewset")
def register_import_viewset():
    from .import_views import FacebookImportViewSet

    return FacebookImportViewSet("facebook_import")
