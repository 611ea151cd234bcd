"""Admin screens of the feed sources beyond the snippet views: "fetch now" and OPML.

Thin: the work is done by :mod:`.fetching` and :mod:`.opml`, which the management commands
and the background task call too.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import FormView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.log_actions import log

from . import fetching, opml
from .models import FeedSource

FORM_TEMPLATE = "wagtail_grantee/admin/feed_source_form.html"


def _list_url():
    return reverse(FeedSource.snippet_viewset.get_url_name("list"))


class PermissionRequiredMixin:
    permission_required = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(self.permission_required):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class SourceAdminFormView(PermissionRequiredMixin, WagtailAdminTemplateMixin, FormView):
    template_name = FORM_TEMPLATE
    header_icon = "site"
    submit_button_label = _("Save")

    def get_breadcrumbs_items(self):
        return [
            {"url": _list_url(), "label": FeedSource._meta.verbose_name_plural.capitalize()},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            action_url=self.request.path,
            submit_button_label=self.submit_button_label,
            submit_button_active_label=self.submit_button_label,
            **kwargs,
        )


class FetchNowView(SourceAdminFormView):
    """Fetch one source at once, whatever its schedule and backoff, and say how it went."""

    form_class = forms.Form
    permission_required = "wagtail_grantee.change_feedsource"
    page_title = _("Fetch now")
    submit_button_label = _("Fetch now")

    @cached_property
    def source(self):
        return get_object_or_404(FeedSource, pk=self.kwargs["pk"])

    def get_page_subtitle(self):
        return self.source.name

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            intro=_("Fetch the feed of “%(name)s” now, even if it is backing off after errors.")
            % {"name": self.source.name},
            **kwargs,
        )

    def form_valid(self, form):
        summary = fetching.run([self.source.pk], force=True)
        if not summary.outcomes:  # another run is claiming it this very moment
            messages.warning(
                self.request,
                _("%(name)s is being fetched by another run; look again in a moment.")
                % {"name": self.source.name},
            )
            return redirect(_list_url())
        (outcome,) = summary.outcomes
        log(self.source, "wagtail_grantee.feed_fetch", user=self.request.user,
            data={"result": outcome.describe()})  # fmt: skip
        if outcome.error:
            messages.error(self.request, outcome.describe())
        else:
            messages.success(self.request, outcome.describe())
        return redirect(_list_url())


class OPMLUploadForm(forms.Form):
    file = forms.FileField(
        label=_("OPML file"),
        help_text=_("The list of feeds as exported by a feed reader (.opml or .xml)."),
    )


class ImportOPMLView(SourceAdminFormView):
    form_class = OPMLUploadForm
    permission_required = "wagtail_grantee.add_feedsource"
    page_title = _("Import an OPML file")
    submit_button_label = _("Import")
    header_icon = "upload"

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        if upload.size > opml.MAX_OPML_BYTES:
            form.add_error("file", _("The file is too large for an OPML list."))
            return self.form_invalid(form)
        try:
            result = opml.import_opml(upload.read())
        except opml.OPMLError as error:
            form.add_error("file", str(error))
            return self.form_invalid(form)
        for source in result.added:
            log(source, "wagtail_grantee.opml_import", user=self.request.user)
        messages.success(self.request, result.describe())
        for title, reason in result.skipped:
            messages.warning(self.request, f"{title}: {reason}")
        return redirect(_list_url())


class ExportOPMLView(View):
    def dispatch(self, request, *args, **kwargs):
        # Anyone who may see the list in the admin may download it.
        policy = FeedSource.snippet_viewset.permission_policy
        if not policy.user_has_any_permission(request.user, ["add", "change", "delete", "view"]):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        response = HttpResponse(opml.export_opml(), content_type="text/x-opml; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="feed-sources.opml"'
        return response
