"""The admin's "Import from Facebook": upload and preview, background import, report, history.

Views are thin: the preview is the importer's dry run, the import is ``importers.runs``
queued through ``tasks``. Every view asks for ``wagtail_grantee.import_posts``, and the
section must be one where the user may add (and, to publish, publish) pages.
"""

from django import forms
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView, View
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from .conf import get_setting
from .importers import runs
from .importers.archives import ArchiveError
from .importers.facebook import import_archive
from .models import ImportRun, SectionPage

PERMISSION = "wagtail_grantee.import_posts"
UPLOAD_SALT = "wagtail_grantee.facebook_import"
URL_NAMESPACE = "wagtail_grantee_facebook_import"


def url(name, *args):
    return reverse(f"{URL_NAMESPACE}:{name}", args=args)


def sections_for(user):
    """The sections where ``user`` may add posts."""
    return [
        section
        for section in SectionPage.objects.order_by("path")
        if section.permissions_for_user(user).can_add_subpage()
    ]


class SectionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, section):
        home = section.get_parent()
        return f"{home.title} › {section.title}" if home else section.title


class ImportOptionsForm(forms.Form):
    section = SectionChoiceField(
        queryset=SectionPage.objects.none(),
        label=_("Section"),
        help_text=_("The posts go into this section."),
    )
    publish = forms.TypedChoiceField(
        label=_("Posts"),
        choices=[("", _("Save as drafts")), ("1", _("Publish, at the notes' original dates"))],
        coerce=bool,
        empty_value=False,
        required=False,
        widget=forms.RadioSelect,
    )
    update = forms.BooleanField(
        label=_("Update posts whose note changed since an earlier import"), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["section"].queryset = SectionPage.objects.filter(
            pk__in=[section.pk for section in sections_for(user)]
        )

    def clean(self):
        cleaned = super().clean()
        section = cleaned.get("section")
        if (
            section
            and cleaned.get("publish")
            and not section.permissions_for_user(self.user).can_publish_subpage()
        ):
            self.add_error("publish", _("You may not publish posts in this section."))
        return cleaned


class UploadForm(ImportOptionsForm):
    archive = forms.FileField(
        label=_("Facebook archive (.zip)"),
        help_text=_(
            "The .zip file from Facebook's “Download Your Information”, in JSON format. "
            "It is checked first: nothing is imported before you confirm."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )
    field_order = ["archive", "section", "publish", "update"]

    def clean_archive(self):
        archive = self.cleaned_data["archive"]
        limit = get_setting("FACEBOOK_IMPORT_MAX_UPLOAD")
        if archive.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s, the most allowed.")
                % {"limit": filesizeformat(limit)}
            )
        return archive


class ConfirmForm(ImportOptionsForm):
    token = forms.CharField(widget=forms.HiddenInput)


class ImportPermissionMixin:
    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ImportAdminView(ImportPermissionMixin, WagtailAdminTemplateMixin):
    header_icon = "upload"

    def get_breadcrumbs_items(self):
        return [
            {"url": url("upload"), "label": _("Import from Facebook")},
            {"url": "", "label": self.get_page_title()},
        ]


def upload_token(path, user, name):
    return signing.dumps({"file": path.name, "user": user.pk, "name": name}, salt=UPLOAD_SALT)


def read_token(token, user):
    try:
        data = signing.loads(token, salt=UPLOAD_SALT, max_age=runs.UPLOAD_MAX_AGE)
    except signing.BadSignature:
        return None
    if data.get("user") != user.pk or not (path := runs.upload_path(data.get("file"))):
        return None
    return path, data.get("name", "")


class UploadView(ImportAdminView, FormView):
    """Upload the archive and choose the options; the answer is the dry run's preview."""

    template_name = "wagtail_grantee/facebook_import/upload.html"
    page_title = _("Import from Facebook")

    def get_form(self, form_class=None):
        if self.request.method == "POST" and self.request.POST.get("token"):
            return ConfirmForm(data=self.request.POST, user=self.request.user)
        return UploadForm(user=self.request.user, **self.get_form_kwargs())

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            action_url=url("upload"),
            history_url=url("history"),
            submit_button_label=_("Check the archive"),
            submit_button_active_label=_("Checking…"),
            max_upload=get_setting("FACEBOOK_IMPORT_MAX_UPLOAD"),
            **kwargs,
        )

    def form_valid(self, form):
        options = form.cleaned_data
        if isinstance(form, ConfirmForm):
            return self.start(form)
        upload = options["archive"]
        stored = runs.store_upload(upload)
        try:
            report = import_archive(
                stored,
                options["section"],
                user=self.request.user,
                publish=options["publish"],
                update=options["update"],
                dry_run=True,
                label=upload.name,
            )
        except ArchiveError as error:
            stored.unlink(missing_ok=True)
            form.add_error("archive", error.message)
            return self.form_invalid(form)
        confirm = ConfirmForm(
            initial={
                "token": upload_token(stored, self.request.user, upload.name),
                "section": options["section"].pk,
                "publish": "1" if options["publish"] else "",
                "update": options["update"],
            },
            user=self.request.user,
        )
        return self.render_to_response(
            self.get_context_data(
                form=confirm, report=report, archive_name=upload.name, section=options["section"]
            )
        )

    def start(self, form):
        found = read_token(form.cleaned_data["token"], self.request.user)
        if found is None:
            messages.error(
                self.request, _("This upload is no longer available; upload the archive again.")
            )
            return redirect(url("upload"))
        stored, name = found
        run = runs.start_import(
            stored,
            name,
            form.cleaned_data["section"],
            self.request.user,
            publish=form.cleaned_data["publish"],
            update=form.cleaned_data["update"],
        )
        return redirect(url("detail", run.pk))


class RunView(ImportAdminView, TemplateView):
    """An import: its progress while it runs, then its report."""

    template_name = "wagtail_grantee/facebook_import/run.html"
    page_title = _("Import")

    def get_context_data(self, **kwargs):
        run = get_object_or_404(
            ImportRun.objects.select_related("parent", "user"), pk=self.kwargs["pk"]
        )
        report = runs.report_of(run)
        return super().get_context_data(
            run=run,
            report=report,
            progress=runs.progress(run),
            status_url=url("status", run.pk),
            finished=run.status in (ImportRun.Status.DONE, ImportRun.Status.FAILED),
            **kwargs,
        )

    def get_page_subtitle(self):
        return get_object_or_404(ImportRun, pk=self.kwargs["pk"]).archive_name


class StatusView(ImportPermissionMixin, View):
    """The progress of an import, as JSON, for the bar that updates without a reload."""

    def get(self, request, pk):
        run = get_object_or_404(ImportRun, pk=pk)
        return JsonResponse(runs.progress(run))


class HistoryView(ImportAdminView, TemplateView):
    template_name = "wagtail_grantee/facebook_import/history.html"
    page_title = _("Import history")

    def get_context_data(self, **kwargs):
        paginator = Paginator(ImportRun.objects.select_related("parent", "user"), 50)
        return super().get_context_data(
            runs=paginator.get_page(self.request.GET.get("p")),
            detail_url_name=f"{URL_NAMESPACE}:detail",
            **kwargs,
        )


class ImportMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(PERMISSION)


class FacebookImportViewSet(ViewSet):
    name = "facebook_import"
    url_prefix = "import-facebook"
    url_namespace = URL_NAMESPACE
    icon = "upload"
    menu_icon = "upload"
    menu_label = _("Import from Facebook")
    menu_name = "import-facebook"
    menu_item_class = ImportMenuItem

    def get_urlpatterns(self):
        return [
            path("", UploadView.as_view(), name="upload"),
            path("history/", HistoryView.as_view(), name="history"),
            path("<int:pk>/", RunView.as_view(), name="detail"),
            path("<int:pk>/status/", StatusView.as_view(), name="status"),
        ]
