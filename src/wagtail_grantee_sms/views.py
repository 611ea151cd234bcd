"""Admin screens of the contacts: verification actions on one contact, and the import.

Views are thin: the work is done by ``verification`` and ``importing``, which the management
command, the sign-up page and tests call too.
"""

import json
import secrets
import tempfile
import time
from pathlib import Path

from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.log_actions import LogContext

from . import forms, importing, verification
from .models import Contact, ContactNotVerifiable

# ---------------------------------------------------------------------------------------------
# Actions on one contact


class ContactActionView(WagtailAdminTemplateMixin, FormView):
    """A small form on one contact (reason, note or code) that runs one workflow step."""

    template_name = "wagtail_grantee_sms/contacts/action_form.html"
    permission_required = "wagtail_grantee_sms.change_contact"
    header_icon = "user"
    submit_button_label = _("Save")
    success_message = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(self.permission_required):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def contact(self):
        return get_object_or_404(Contact, pk=self.kwargs["pk"])

    def get_page_subtitle(self):
        return self.contact.name

    def get_breadcrumbs_items(self):
        return [
            {"url": reverse("wagtailsnippets_wagtail_grantee_sms_contact:list"),
             "label": Contact._meta.verbose_name_plural},
            {"url": self.inspect_url, "label": self.contact.name},
            {"url": "", "label": self.get_page_title()},
        ]  # fmt: skip

    @property
    def inspect_url(self):
        return reverse(
            "wagtailsnippets_wagtail_grantee_sms_contact:inspect", args=[self.contact.pk]
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            action_url=self.request.path,
            submit_button_label=self.submit_button_label,
            submit_button_active_label=self.submit_button_label,
            **kwargs,
        )

    def form_valid(self, form):
        try:
            with LogContext(user=self.request.user):
                self.perform(form)
        except (verification.VerificationError, ContactNotVerifiable) as error:
            self.contact.refresh_from_db()
            form.add_error(None, error.message)
            return self.form_invalid(form)
        except verification.TransitionNotAllowed:
            form.add_error(
                None,
                _("This is not possible while the contact is “%(status)s”.")
                % {"status": self.contact.get_status_display()},
            )
            return self.form_invalid(form)
        if self.success_message:
            messages.success(self.request, self.success_message % {"name": self.contact.name})
        return redirect(self.inspect_url)

    def perform(self, form):
        raise NotImplementedError


class SendVerificationView(ContactActionView):
    form_class = forms.SendVerificationForm
    page_title = _("Send a verification SMS")
    submit_button_label = _("Send")
    success_message = _("Verification SMS queued for %(name)s.")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "methods": verification.allowed_methods()}

    def perform(self, form):
        verification.start_verification(
            self.contact, form.cleaned_data["method"], user=self.request.user
        )


class EnterCodeView(ContactActionView):
    form_class = forms.CodeForm
    page_title = _("Enter the code the contact received")
    submit_button_label = _("Check the code")
    success_message = _("%(name)s is verified.")

    def perform(self, form):
        if not verification.verify_code(
            self.contact, form.cleaned_data["code"], user=self.request.user
        ):
            raise verification.VerificationError(_("This is not the code that was sent."))


class MarkVerifiedView(ContactActionView):
    form_class = forms.ManualVerificationForm
    permission_required = "wagtail_grantee_sms.verify_contact"
    page_title = _("Mark as verified")
    submit_button_label = _("Mark as verified")
    success_message = _("%(name)s is verified.")

    def perform(self, form):
        verification.mark_verified(self.contact, self.request.user, form.cleaned_data["note"])


class BlockView(ContactActionView):
    form_class = forms.ReasonForm
    page_title = _("Block")
    submit_button_label = _("Block")
    success_message = _("%(name)s is blocked: no SMS will be sent to this number.")

    def perform(self, form):
        verification.block(self.contact, self.request.user, reason=form.cleaned_data["reason"])


class UnblockView(ContactActionView):
    form_class = forms.ReasonForm
    page_title = _("Unblock")
    submit_button_label = _("Unblock")
    success_message = _("%(name)s is unblocked and must be verified again.")

    def perform(self, form):
        verification.unblock(self.contact, self.request.user, reason=form.cleaned_data["reason"])


# ---------------------------------------------------------------------------------------------
# Import: upload, then map columns and preview, then import

UPLOADS_DIR = Path(tempfile.gettempdir()) / "wagtail_grantee_sms_imports"
UPLOAD_SALT = "wagtail_grantee_sms.import"
UPLOAD_MAX_AGE = 24 * 3600


def store_upload(table, user):
    """Keep the parsed table between steps; return a signed token only ``user`` can use."""
    UPLOADS_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    expired = time.time() - UPLOAD_MAX_AGE
    for old in UPLOADS_DIR.glob("*.json"):  # uploads nobody finished importing
        if old.stat().st_mtime < expired:
            old.unlink(missing_ok=True)
    name = secrets.token_hex(16)
    (UPLOADS_DIR / f"{name}.json").write_text(json.dumps(table))
    return signing.dumps({"file": name, "user": user.pk}, salt=UPLOAD_SALT)


def upload_path(token, user):
    try:
        data = signing.loads(token, salt=UPLOAD_SALT, max_age=UPLOAD_MAX_AGE)
    except signing.BadSignature as error:
        raise Http404 from error
    if data.get("user") != user.pk:
        raise Http404
    return UPLOADS_DIR / f"{data['file']}.json"


class ImportPermissionMixin:
    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("wagtail_grantee_sms.add_contact"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [
            {"url": reverse("wagtailsnippets_wagtail_grantee_sms_contact:list"),
             "label": Contact._meta.verbose_name_plural},
            {"url": "", "label": self.get_page_title()},
        ]  # fmt: skip


class ImportUploadView(ImportPermissionMixin, WagtailAdminTemplateMixin, FormView):
    template_name = "wagtail_grantee_sms/contacts/action_form.html"
    form_class = forms.ImportUploadForm
    page_title = _("Import contacts")
    header_icon = "upload"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            action_url=self.request.path,
            submit_button_label=_("Upload"),
            submit_button_active_label=_("Uploading…"),
            **kwargs,
        )

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        try:
            headers, rows = importing.read_table(upload, upload.name)
        except importing.ImportFileError as error:
            form.add_error("file", error.message)
            return self.form_invalid(form)
        table = {"name": upload.name, "headers": headers, "rows": rows}
        token = store_upload(table, self.request.user)
        return redirect("wagtailsnippets_wagtail_grantee_sms_contact:import_map", token=token)


class ImportMappingView(ImportPermissionMixin, WagtailAdminTemplateMixin, FormView):
    """Map the columns, then "Check" shows counts and per-row errors, "Import" writes."""

    template_name = "wagtail_grantee_sms/contacts/import_mapping.html"
    page_title = _("Import contacts")
    header_icon = "upload"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("wagtail_grantee_sms.add_contact"):
            raise PermissionDenied
        self.path = upload_path(kwargs["token"], request.user)
        try:
            self.table = json.loads(self.path.read_text())
        except FileNotFoundError:
            messages.error(request, _("This upload is no longer available; upload the file again."))
            return redirect("wagtailsnippets_wagtail_grantee_sms_contact:import")
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.table["name"]

    def get_form(self, form_class=None):
        return forms.ImportMappingForm(
            **self.get_form_kwargs(),
            headers=self.table["headers"],
            initial_mapping={
                name: str(index)
                for name, index in importing.guess_mapping(self.table["headers"]).items()
            },
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            action_url=self.request.path,
            row_count=len(self.table["rows"]),
            sample=[self.table["headers"]] + self.table["rows"][:5],
            **kwargs,
        )

    def form_valid(self, form):
        plan = importing.plan_import(
            self.table["rows"],
            form.mapping(),
            update_existing=form.cleaned_data["update_existing"],
        )
        if self.request.POST.get("action") != "import" or not plan.valid_count:
            return self.render_to_response(self.get_context_data(form=form, plan=plan))
        result = importing.run_import(
            plan,
            consent_source=form.cleaned_data["consent_source"],
            group=form.cleaned_data["group"],
            user=self.request.user,
            note=_("Imported from %(file)s") % {"file": self.table["name"][:100]},
        )
        self.path.unlink(missing_ok=True)
        messages.success(
            self.request,
            _("%(created)d contacts imported, %(updated)d updated, %(errors)d rows skipped.")
            % {"created": result.created, "updated": result.updated, "errors": len(plan.errors)},
        )
        return redirect("wagtailsnippets_wagtail_grantee_sms_contact:list")
