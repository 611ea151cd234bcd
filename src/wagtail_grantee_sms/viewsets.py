"""The SMS app's admin screens, grouped under one "SMS" menu item."""

import contextlib
import datetime
import re

import phonenumbers
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.urls import path, reverse
from django.utils import formats, timezone, translation
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.widgets import Button, HeaderButton
from wagtail.log_actions import LogContext
from wagtail.models import ModelLogEntry
from wagtail.snippets.views.snippets import EditView, IndexView, InspectView, SnippetViewSet

from . import broadcasting, delivery_views, phones, sending, verification, views
from .broadcast_views import BroadcastViewSet
from .conf import get_setting
from .forms import ContactForm, can_see_full_phone, phone_for_user
from .models import Contact, ContactGroup, ContactNotVerifiable, Delivery, InboundMessage

Status = Contact.Status


def search_digits(query):
    """The digits of ``query`` as stored in E.164: "0812 3456" → "628123456", or ""."""
    digits = re.sub(r"\D", "", query)
    if len(digits) < 3:
        return ""
    if digits.startswith("0") and not digits.startswith("00"):
        country_code = phonenumbers.country_code_for_region(get_setting("DEFAULT_REGION"))
        digits = f"{country_code}{digits[1:]}"
    return digits.lstrip("0")


# Choice fields exported with the user's labels, unless the export asks for codes.
CHOICE_FIELDS = ("status", "language", "consent_source")
EXPORT_CODE_HEADINGS = {"group_names": "groups"}
# A spreadsheet reads a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(text):
    """``text`` made safe for a CSV cell: a leading quote keeps a spreadsheet from running it."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


EMPTY = "—"


def readable(value):
    """``value`` as an editor reads it: the site's local time in the active language's format,
    Yes/No, a person's name, and "—" for nothing."""
    if value is None or value == "" or value == "-":
        return EMPTY
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime.datetime):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "DATE_FORMAT")
    if hasattr(value, "get_full_name") and hasattr(value, "get_username"):
        return value.get_full_name() or value.get_username()
    return value


class ReadableInspectView(InspectView):
    """An inspect view that shows every field through :func:`readable`."""

    def get_field_display_value(self, field_name, field):
        return readable(super().get_field_display_value(field_name, field))


class ContactTitleColumn(TitleColumn):
    """The contact's name links to its page, where its status and the verification actions
    are (the edit form has neither)."""

    def get_link_url(self, instance, parent_context):
        return reverse(Contact.snippet_viewset.get_url_name("inspect"), args=[instance.pk])


class PhoneColumn(Column):
    """The number in full for users with ``view_full_phone``, masked for everyone else."""

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["value"] = phone_for_user(self.get_value(instance), parent_context["request"].user)
        return context


class ContactIndexView(IndexView):
    def _get_title_column(self, field_name, column_class=TitleColumn, **kwargs):
        return super()._get_title_column(field_name, ContactTitleColumn, **kwargs)

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        query = Q(name__icontains=self.search_query)
        if can_see_full_phone(self.request.user):
            if digits := search_digits(self.search_query):
                query |= Q(phone__contains=digits)
        else:
            # A complete number only: parts of a number would rebuild a hidden one digit by
            # digit.
            with contextlib.suppress(ValidationError):
                query |= Q(phone=phones.normalise(self.search_query))
        return queryset.filter(query)

    @cached_property
    def show_export_buttons(self):
        return super().show_export_buttons and self.can_export

    @cached_property
    def can_export(self):
        return self.request.user.has_perm("wagtail_grantee_sms.export_contact")

    def render_to_response(self, context, **response_kwargs):
        if self.is_export and not self.can_export:
            raise PermissionDenied
        return super().render_to_response(context, **response_kwargs)

    @cached_property
    def export_codes(self):
        """``?codes=1``: the machine's codes and field names instead of the user's labels."""
        return self.request.GET.get("codes") == "1"

    @cached_property
    def header_more_buttons(self):
        buttons = super().header_more_buttons
        if self.show_export_buttons:
            buttons.append(
                Button(
                    _("Download CSV with codes (for other software)"),
                    url=self.get_export_url("csv") + "&codes=1",
                    icon_name="download",
                    priority=110,
                )
            )
        return buttons

    def to_row_dict(self, item):
        row = super().to_row_dict(item)
        row["phone"] = (
            item.phone if can_see_full_phone(self.request.user) else phones.mask(item.phone)
        )
        if not self.export_codes:
            for name in CHOICE_FIELDS:
                if name in row:
                    row[name] = getattr(item, f"get_{name}_display")()
        return row

    def stream_csv(self, queryset):
        # The CSV is written after the view returned, when the admin's language and time zone
        # are no longer active: each line is written with the ones of this request.
        lines = super().stream_csv(queryset)
        language = translation.get_language()
        zone = timezone.get_current_timezone()

        def localised():
            while True:
                with translation.override(language), timezone.override(zone):
                    line = next(lines, None)
                if line is None:
                    return
                yield line

        return localised()

    def get_heading(self, queryset, field):
        if self.export_codes:
            return EXPORT_CODE_HEADINGS.get(field, field)
        return super().get_heading(queryset, field)

    def preprocess_field_value(self, field, value, export_format):
        if isinstance(value, datetime.datetime):
            # The site's time, to the second (Wagtail's default writes UTC with microseconds).
            value = timezone.localtime(value).replace(microsecond=0, tzinfo=None)
            if export_format == self.FORMAT_CSV:
                return value.isoformat(sep=" ")
            return value
        value = super().preprocess_field_value(field, value, export_format)
        if export_format == self.FORMAT_CSV and isinstance(value, str):
            return neutralise_formula(value)
        return value

    def get_base_queryset(self):
        return super().get_base_queryset().prefetch_related("groups")

    @cached_property
    def header_buttons(self):
        buttons = super().header_buttons
        if self.request.user.has_perm("wagtail_grantee_sms.add_contact"):
            buttons.append(
                HeaderButton(
                    _("Import"),
                    url=reverse(Contact.snippet_viewset.get_url_name("import")),
                    icon_name="upload",
                )
            )
        return buttons


class ContactEditView(EditView):
    def form_valid(self, form):
        # A changed number is logged (back to unverified) with the editor as its author.
        with LogContext(user=self.request.user):
            return super().form_valid(form)


# How a status change came about (the ``via`` of its audit log entry), and the codes its
# ``reason`` may hold, in words.
VIA_LABELS = {
    "sms_keyword": _("SMS keyword from the contact"),
    "sms_reply": _("SMS reply from the contact"),
    "provider": _("Report from the SMS provider"),
    "admin": _("In the admin"),
    "web_form": _("Sign-up form"),
    "manual": _("Checked by hand"),
    "import": _("Import"),
}
REASON_LABELS = {
    "code": _("6-digit code"),
    "reply": _("reply YA"),
    **dict(Contact.ConsentSource.choices),
}


def history_row(entry):
    data = entry.data or {}
    how = VIA_LABELS.get(data.get("via"), data.get("via") or "")
    reason = data.get("reason") or ""
    reason = REASON_LABELS.get(reason, reason)
    return {
        "when": readable(entry.timestamp),
        "what": entry.message,
        "who": entry.user,
        "how": ": ".join(str(part) for part in (how, reason) if part) or EMPTY,
    }


class ContactInspectView(ReadableInspectView):
    template_name = "wagtail_grantee_sms/contacts/inspect.html"

    def get_phone_display_value(self):
        return phone_for_user(self.object.phone, self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        contact = self.object
        user = self.request.user

        def url(name):
            return reverse(Contact.snippet_viewset.get_url_name(name), args=[contact.pk])

        actions = []
        can_change = user.has_perm("wagtail_grantee_sms.change_contact")
        methods = verification.allowed_methods()
        not_verifiable = None
        if contact.status in verification.VERIFIABLE:
            try:
                contact.check_verifiable()
            except ContactNotVerifiable as error:
                # Said once, instead of offering actions that would each refuse.
                not_verifiable = error.message
        verifiable = contact.status in verification.VERIFIABLE and not not_verifiable
        if can_change and verifiable and {"code", "reply"} & set(methods):
            actions.append((_("Send verification SMS"), url("send_verification")))
        if can_change and contact.status == Status.PENDING and "code" in methods:
            actions.append((_("Enter code"), url("enter_code")))
        if (
            verifiable
            and "manual" in methods
            and user.has_perm("wagtail_grantee_sms.verify_contact")
        ):
            actions.append((_("Mark as verified"), url("mark_verified")))
        if can_change and contact.status not in (Status.BLOCKED, Status.OPTED_OUT):
            actions.append((_("Block"), url("block")))
        if can_change and contact.status == Status.BLOCKED:
            actions.append((_("Unblock"), url("unblock")))
        context.update(
            contact_actions=actions,
            not_verifiable=not_verifiable,
            history=[
                history_row(entry)
                for entry in ModelLogEntry.objects.for_instance(contact).select_related("user")[
                    :100
                ]
            ],
            deliveries=with_error_texts(Delivery.objects.filter(contact=contact)[:50]),
            inbound_messages=InboundMessage.objects.filter(contact=contact)[:50],
        )
        return context


def with_error_texts(deliveries):
    """``deliveries`` as a list, each with ``shown_error``: why it failed, in the editor's
    language where the suite wrote the reason (:func:`broadcasting.error_text`)."""
    texts = broadcasting.error_texts()
    deliveries = list(deliveries)
    for delivery in deliveries:
        delivery.shown_error = broadcasting.error_text(delivery, texts)
    return deliveries


class ContactViewSet(SnippetViewSet):
    model = Contact
    icon = "user"
    menu_order = 100
    menu_item_is_registered = True
    index_view_class = ContactIndexView
    edit_view_class = ContactEditView
    inspect_view_class = ContactInspectView
    inspect_view_enabled = True
    inspect_view_fields = [
        "name", "phone", "status", "groups", "language", "consent_source", "consent_given_at",
        "consent_recorded_by", "consent_note", "last_message_received_at", "created_at",
        "updated_at",
    ]  # fmt: skip
    list_display = [
        "name",
        PhoneColumn("phone", label=_("Phone number")),
        "status",
        Column("group_names", label=_("Groups")),
        "language",
        "updated_at",
    ]
    list_filter = ["status", "groups", "language"]
    list_export = ["name", "phone", "status", "language", "group_names", "consent_source",
                   "consent_given_at", "created_at"]  # fmt: skip
    export_headings = {"group_names": _("Groups")}
    export_filename = "contacts"
    search_fields = ["name", "phone"]
    search_backend_name = None  # plain database search, digits normalised by the index view
    ordering = ["name"]
    # No status field: the status changes only through the verification workflow.
    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldPanel("phone"),
            FieldPanel("groups", widget=forms.CheckboxSelectMultiple),
            FieldPanel("language"),
            MultiFieldPanel(
                [
                    FieldPanel("consent_source"),
                    FieldPanel("consent_given_at"),
                    FieldPanel("consent_note"),
                ],
                heading=_("Consent"),
            ),
        ],
        base_form_class=ContactForm,
    )

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("import/", views.ImportUploadView.as_view(), name="import"),
            path("import/<str:token>/", views.ImportMappingView.as_view(), name="import_map"),
            path("verify/<int:pk>/send/", views.SendVerificationView.as_view(),
                 name="send_verification"),
            path("verify/<int:pk>/code/", views.EnterCodeView.as_view(), name="enter_code"),
            path("verify/<int:pk>/manual/", views.MarkVerifiedView.as_view(),
                 name="mark_verified"),
            path("block/<int:pk>/", views.BlockView.as_view(), name="block"),
            path("unblock/<int:pk>/", views.UnblockView.as_view(), name="unblock"),
        ]  # fmt: skip


class ContactGroupViewSet(SnippetViewSet):
    model = ContactGroup
    icon = "group"
    menu_order = 110
    menu_item_is_registered = True
    list_display = [
        "name",
        "description",
        Column("member_count", label=_("Members"), sort_key="member_count"),
        Column("verified_count", label=_("Verified members"), sort_key="verified_count"),
    ]
    search_fields = ["name"]
    search_backend_name = None

    def get_queryset(self, request):
        # The counts in the listing's one query, not one query per group.
        return ContactGroup.objects.annotate(
            member_count=Count("contacts", distinct=True),
            verified_count=Count(
                "contacts", filter=Q(contacts__status=Status.VERIFIED), distinct=True
            ),
        )


# -- the sending pipeline: deliveries and the inbox (read-only, see permissions.py) ---------


class DeliveryInspectView(ReadableInspectView):
    template_name = "wagtail_grantee_sms/deliveries/inspect.html"

    def get_phone_display_value(self):
        return phone_for_user(self.object.phone, self.request.user)

    def get_error_message_display_value(self):
        return broadcasting.error_text(self.object)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.object.status == Delivery.Status.REVIEW and self.request.user.has_perm(
            delivery_views.RESOLVE_PERMISSION
        ):
            viewset = Delivery.snippet_viewset
            context.update(
                can_resolve=True,
                can_resend=sending.can_resend(self.object),
                resend_url=reverse(viewset.get_url_name("resend"), args=[self.object.pk]),
                give_up_url=reverse(viewset.get_url_name("give_up"), args=[self.object.pk]),
            )
        return context


class DeliveryViewSet(SnippetViewSet):
    model = Delivery
    icon = "mail"
    menu_label = _("Deliveries")
    menu_order = 130
    menu_item_is_registered = True
    inspect_view_enabled = True
    inspect_view_class = DeliveryInspectView
    inspect_view_fields = [
        "contact", "phone", "purpose", "body", "status", "backend_alias", "attempts",
        "next_attempt_at", "provider_message_id", "error_code", "error_message",
        "permanent_error", "segments", "price", "currency", "created_at", "claimed_at",
        "sent_at", "updated_at", "uuid",
    ]  # fmt: skip
    list_display = [
        "__str__",
        PhoneColumn("phone", label=_("Phone number")),
        "status",
        "attempts",
        "created_at",
        "sent_at",
    ]
    list_filter = ["status", "purpose", "backend_alias"]
    search_fields = ["body", "provider_message_id"]
    search_backend_name = None
    ordering = ["-created_at"]

    def get_queryset(self, request):
        return Delivery.objects.select_related("contact")

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("review/<int:pk>/resend/", delivery_views.ResendView.as_view(), name="resend"),
            path("review/<int:pk>/give-up/", delivery_views.ResolveReviewView.as_view(),
                 name="give_up"),
        ]  # fmt: skip


class InboundMessageInspectView(ReadableInspectView):
    def get_sender_display_value(self):
        return phone_for_user(self.object.sender, self.request.user)


class InboundMessageViewSet(SnippetViewSet):
    model = InboundMessage
    icon = "comment"
    menu_label = _("Inbox")
    menu_order = 120
    menu_item_is_registered = True
    inspect_view_enabled = True
    inspect_view_class = InboundMessageInspectView
    # Not the provider's raw payload: it holds the number in full.
    inspect_view_fields = [
        "sender", "contact", "body", "received_at", "action", "to", "backend_alias",
        "provider_message_id",
    ]  # fmt: skip
    list_display = [
        "body",  # the title column: links to the message
        PhoneColumn("sender", label=_("From")),
        "contact",
        "action",
        "received_at",
    ]
    list_filter = ["action", "backend_alias"]
    search_fields = ["body"]
    search_backend_name = None
    ordering = ["-received_at"]

    def get_queryset(self, request):
        return InboundMessage.objects.select_related("contact")


class SMSViewSetGroup(ViewSetGroup):
    """The "SMS" menu. Each part of the app adds its screens to ``items``."""

    menu_label = _("SMS")
    menu_icon = "mail"
    menu_order = 250
    items = (
        BroadcastViewSet,
        ContactViewSet,
        ContactGroupViewSet,
        InboundMessageViewSet,
        DeliveryViewSet,
    )
