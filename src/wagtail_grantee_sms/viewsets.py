"""The SMS app's admin screens, grouped under one "SMS" menu item."""

import re

import phonenumbers
from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.widgets import HeaderButton
from wagtail.log_actions import LogContext
from wagtail.models import ModelLogEntry
from wagtail.snippets.views.snippets import EditView, IndexView, InspectView, SnippetViewSet

from . import delivery_views, phones, verification, views
from .broadcast_views import BroadcastViewSet
from .conf import get_setting
from .forms import ContactForm, can_see_full_phone, phone_for_user
from .models import Contact, ContactGroup, Delivery, InboundMessage

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


class PhoneColumn(Column):
    """The number in full for users with ``view_full_phone``, masked for everyone else."""

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["value"] = phone_for_user(self.get_value(instance), parent_context["request"].user)
        return context


class ContactIndexView(IndexView):
    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        query = Q(name__icontains=self.search_query)
        if digits := search_digits(self.search_query):
            query |= Q(phone__contains=digits)
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

    def to_row_dict(self, item):
        row = super().to_row_dict(item)
        row["phone"] = (
            item.phone if can_see_full_phone(self.request.user) else phones.mask(item.phone)
        )
        return row

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


class ContactInspectView(InspectView):
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
        if (
            can_change
            and contact.status in verification.VERIFIABLE
            and {"code", "reply"} & set(methods)
        ):
            actions.append((_("Send verification SMS"), url("send_verification")))
        if can_change and contact.status == Status.PENDING and "code" in methods:
            actions.append((_("Enter code"), url("enter_code")))
        if (
            contact.status in verification.VERIFIABLE
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
            log_entries=ModelLogEntry.objects.for_instance(contact).select_related("user")[:100],
            deliveries=Delivery.objects.filter(contact=contact)[:50],
            inbound_messages=InboundMessage.objects.filter(contact=contact)[:50],
        )
        return context


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
        "language",
        "updated_at",
    ]
    list_filter = ["status", "groups", "language"]
    list_export = ["name", "phone", "status", "language", "group_names", "consent_source",
                   "consent_given_at", "created_at"]  # fmt: skip
    export_headings = {"group_names": _("groups")}
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
    list_display = ["name", "description"]
    search_fields = ["name"]
    search_backend_name = None


# -- the sending pipeline: deliveries and the inbox (read-only, see permissions.py) ---------


class DeliveryInspectView(InspectView):
    template_name = "wagtail_grantee_sms/deliveries/inspect.html"

    def get_phone_display_value(self):
        return phone_for_user(self.object.phone, self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.object.status == Delivery.Status.REVIEW and self.request.user.has_perm(
            delivery_views.RESOLVE_PERMISSION
        ):
            viewset = Delivery.snippet_viewset
            context.update(
                can_resolve=True,
                resend_url=reverse(viewset.get_url_name("resend"), args=[self.object.pk]),
                give_up_url=reverse(viewset.get_url_name("give_up"), args=[self.object.pk]),
            )
        return context


class DeliveryViewSet(SnippetViewSet):
    model = Delivery
    icon = "mail"
    menu_label = _("Deliveries")
    menu_order = 130
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


class InboundMessageInspectView(InspectView):
    def get_sender_display_value(self):
        return phone_for_user(self.object.sender, self.request.user)


class InboundMessageViewSet(SnippetViewSet):
    model = InboundMessage
    icon = "comment"
    menu_label = _("Inbox")
    menu_order = 120
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
