"""Admin screens of the contacts: verification actions on one contact, and the import.

Views are thin: the work is done by ``verification`` and ``importing``, which the management
command, the sign-up page and tests call too.
"""

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

UPLOAD_SALT = "wagtail_grantee_sms.import"


def upload_token(name, user):
    """A signed token for upload ``name`` that only ``user`` can use."""
    return signing.dumps({"file": name, "user": user.pk}, salt=UPLOAD_SALT)


def upload_name(token, user):
    try:
        data = signing.loads(token, salt=UPLOAD_SALT, max_age=importing.UPLOAD_MAX_AGE)
    except signing.BadSignature as error:
        raise Http404 from error
    if data.get("user") != user.pk:
        raise Http404
    return data["file"]


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
        name = importing.store_upload(table, self.request.user.pk)
        return redirect(
            "wagtailsnippets_wagtail_grantee_sms_contact:import_map",
            token=upload_token(name, self.request.user),
        )


class ImportMappingView(ImportPermissionMixin, WagtailAdminTemplateMixin, FormView):
    """Map the columns, then "Check" shows counts and per-row errors, "Import" writes.

    "Cancel" removes the upload at once; so does the import.
    """

    template_name = "wagtail_grantee_sms/contacts/import_mapping.html"
    page_title = _("Import contacts")
    header_icon = "upload"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("wagtail_grantee_sms.add_contact"):
            raise PermissionDenied
        self.upload = upload_name(kwargs["token"], request.user)
        try:
            self.table = importing.load_upload(self.upload)
        except FileNotFoundError:
            messages.error(request, _("This upload is no longer available; upload the file again."))
            return redirect("wagtailsnippets_wagtail_grantee_sms_contact:import")
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if request.POST.get("action") == "cancel":
            importing.discard_upload(self.upload)
            messages.success(request, _("Import cancelled; the uploaded file is deleted."))
            return redirect("wagtailsnippets_wagtail_grantee_sms_contact:list")
        return super().post(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.table["name"]

    @cached_property
    def reveals_numbers(self):
        return forms.can_see_full_phone(self.request.user)

    def get_form(self, form_class=None):
        return forms.ImportMappingForm(
            **self.get_form_kwargs(),
            headers=self.table["headers"],
            user=self.request.user,
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
            reveals_numbers=self.reveals_numbers,
            **kwargs,
        )

    def form_valid(self, form):
        plan = importing.plan_import(
            self.table["rows"],
            form.mapping(),
            update_existing=form.cleaned_data.get("update_existing", False),
            reveal_existing=self.reveals_numbers,
        )
        options = {
            "verified": form.cleaned_data.get("import_verified", False),
            "create_groups": form.cleaned_data.get("create_groups", False),
        }
        if self.request.POST.get("action") != "import" or not plan.valid_count:
            return self.render_to_response(self.get_context_data(form=form, plan=plan))
        try:
            with LogContext(user=self.request.user):
                result = importing.run_import(
                    plan,
                    consent_source=form.cleaned_data["consent_source"],
                    group=form.cleaned_data["group"],
                    user=self.request.user,
                    note=_("Imported from %(file)s") % {"file": self.table["name"][:100]},
                    **options,
                )
        except importing.ImportNotAllowed as error:
            form.add_error(error.option if error.option in form.fields else None, error.message)
            return self.render_to_response(self.get_context_data(form=form, plan=plan))
        importing.discard_upload(self.upload)
        if self.reveals_numbers:
            message = _(
                "%(created)d contacts imported, %(updated)d updated, %(errors)d rows skipped."
            ) % {"created": result.created, "updated": result.updated, "errors": len(plan.errors)}
        else:
            message = _("%(count)d rows imported, %(errors)d rows skipped.") % {
                "count": result.created + result.updated,
                "errors": len(plan.errors),
            }
        messages.success(self.request, message)
        return redirect("wagtailsnippets_wagtail_grantee_sms_contact:list")
