"""The broadcasts screens of the admin: compose, confirm, watch, history.

Views are thin: every change goes through ``broadcasting`` (create, confirm, pause, resume,
cancel, retry, test send), with the user, so the audit log records who did it.
"""

import csv
import time

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import FormView, TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.widgets import AdminDateTimeInput, AdminTimeInput

from . import broadcasting, encoding
from .backends import get_backend_settings
from .forms import phone_for_user
from .models import Broadcast, Contact, ContactGroup, Delivery
from .permissions import broadcast_policy

Status = Broadcast.Status
URL_NAMESPACE = "wagtail_grantee_sms_broadcasts"
PREVIEW_RECIPIENTS = 3
MAX_BODY = 1600
DELIVERIES_PER_PAGE = 50
# Compose tokens map a compose form to the draft it created, so that a double click, the back
# button or a resubmitted form reach the same draft instead of creating another one.
COMPOSE_KEY = "wagtail_grantee_sms:broadcast-compose:%s"
TOKEN_TIMEOUT = 7 * 24 * 3600
# Cells a spreadsheet would read as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def url_name(name):
    return f"{URL_NAMESPACE}:{name}"


def can(user, action, broadcast=None):
    """Whether ``user`` may do ``action`` (``permissions.BroadcastPermissionPolicy``), to
    ``broadcast`` if given."""
    if broadcast is not None:
        return broadcast_policy.user_has_permission_for_instance(user, action, broadcast)
    return broadcast_policy.user_has_permission(user, action)


def require(user, action, broadcast=None):
    """Raise ``PermissionDenied`` unless ``user`` may do ``action`` (to ``broadcast``)."""
    if not can(user, action, broadcast):
        raise PermissionDenied


def neutralise(value):
    """A CSV cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def price_per_segment(backend_alias="default"):
    """The backend's ``PRICE_PER_SEGMENT`` and ``CURRENCY`` (None, "" when it has no price)."""
    backend = get_backend_settings(backend_alias or "default")
    price = backend.get("PRICE_PER_SEGMENT")
    return (None if price is None else str(price)), backend.get("CURRENCY") or ""


def language_choices():
    """The site's languages (``settings.LANGUAGES``) that a contact can choose: a text in any
    other language would reach nobody."""
    return [(code, name) for code, name in settings.LANGUAGES if code in Contact.Language.values]


def recipient_counts(groups, exclude_groups=()):
    """Who a broadcast to ``groups`` would reach: total, by language, who is left out and why."""
    by_language = dict(
        broadcasting.eligible_contacts(groups, exclude_groups)
        .order_by()
        .values_list("language")
        .annotate(count=Count("pk", distinct=True))
    )
    summary = broadcasting.recipient_summary(groups, exclude_groups)
    return {
        "total": summary["included"],
        "by_language": by_language,
        "left_out": [[str(label), count] for label, count in summary["left_out"]],
    }


def preview(broadcast, user):
    """How the first recipients will receive ``broadcast``: name, masked number, text, size."""
    contacts = broadcasting.eligible_contacts(
        broadcast.groups.all(), broadcast.exclude_groups.all()
    ).order_by("name", "pk")[:PREVIEW_RECIPIENTS]
    rows = []
    for contact in contacts:
        text = broadcasting.render_body(broadcast, contact)
        rows.append(
            {
                "name": contact.name,
                "phone": phone_for_user(contact.phone, user),
                "language": contact.get_language_display(),
                "text": text,
                "measure": encoding.measure(text),
            }
        )
    return rows


# -- compose -------------------------------------------------------------------------------


class GroupsField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple


class BroadcastForm(forms.Form):
    body = forms.CharField(
        label=_("Message"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 5, "data-sms-body": ""}),
        help_text=_(
            "{name}, {first_name} and {organisation} are replaced by each contact's name, "
            "first name and the name of your organisation."
        ),
    )
    groups = GroupsField(queryset=ContactGroup.objects.order_by("name"), label=_("Send to"))
    exclude_groups = GroupsField(
        queryset=ContactGroup.objects.order_by("name"),
        label=_("Except the members of"),
        required=False,
    )
    when = forms.ChoiceField(
        label=_("When"),
        choices=[("now", _("Send as soon as it is confirmed")), ("later", _("Schedule"))],
        widget=forms.RadioSelect,
        initial="now",
    )
    scheduled_at = forms.DateTimeField(
        label=_("Send at"),
        required=False,
        widget=AdminDateTimeInput,
        help_text=_("In the site's time zone (%(zone)s).") % {"zone": settings.TIME_ZONE},
    )
    quiet_hours_start = forms.TimeField(
        label=_("Quiet hours from"), required=False, widget=AdminTimeInput
    )
    quiet_hours_end = forms.TimeField(
        label=_("Quiet hours until"),
        required=False,
        widget=AdminTimeInput,
        help_text=_("Optional: sending pauses during these hours and resumes after them."),
    )
    compose_token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language_fields = []
        for code, name in language_choices():
            field_name = f"body_{code}"
            self.fields[field_name] = forms.CharField(
                label=_("Message in %(language)s") % {"language": name},
                max_length=MAX_BODY,
                required=False,
                widget=forms.Textarea(attrs={"rows": 3, "data-sms-body": code}),
                help_text=_("Optional: contacts whose language is %(language)s get this text.")
                % {"language": name},
            )
            self.language_fields.append(field_name)
        # Keep the compose fields together, the per-language texts after the main message.
        self.order_fields(["body", *self.language_fields, "groups", "exclude_groups", "when",
                           "scheduled_at", "quiet_hours_start", "quiet_hours_end"])  # fmt: skip

    @classmethod
    def initial_for(cls, broadcast):
        local = timezone.localtime(broadcast.scheduled_at) if broadcast.scheduled_at else None
        initial = {
            "body": broadcast.body,
            "groups": list(broadcast.groups.all()),
            "exclude_groups": list(broadcast.exclude_groups.all()),
            "when": "later" if broadcast.scheduled_at else "now",
            "scheduled_at": local,
            "quiet_hours_start": broadcast.quiet_hours_start,
            "quiet_hours_end": broadcast.quiet_hours_end,
        }
        for code, text in (broadcast.bodies or {}).items():
            initial[f"body_{code}"] = text
        return initial

    def clean(self):
        data = super().clean()
        if data.get("when") == "later":
            at = data.get("scheduled_at")
            if not at:
                self.add_error("scheduled_at", _("Choose the date and time to send it."))
            elif at <= timezone.now():
                self.add_error("scheduled_at", _("Choose a time in the future."))
        else:
            data["scheduled_at"] = None
        if (data.get("quiet_hours_start") is None) != (data.get("quiet_hours_end") is None):
            self.add_error(
                "quiet_hours_end", _("Give both the start and the end of the quiet hours.")
            )
        elif data.get("quiet_hours_start") and data["quiet_hours_start"] == data.get(
            "quiet_hours_end"
        ):
            self.add_error("quiet_hours_end", _("The quiet hours must end at another time."))
        return data

    @property
    def bodies(self):
        return {
            field.removeprefix("body_"): self.cleaned_data[field].strip()
            for field in self.language_fields
            if self.cleaned_data.get(field, "").strip()
        }

    def save(self, user, broadcast=None):
        """Create the draft, or update ``broadcast`` (a draft), in one transaction."""
        data = self.cleaned_data
        with transaction.atomic():
            if broadcast is None:
                broadcast = broadcasting.create_broadcast(
                    data["body"],
                    data["groups"],
                    exclude_groups=data["exclude_groups"],
                    user=user,
                    scheduled_at=data["scheduled_at"],
                    bodies=self.bodies,
                )
            else:
                broadcast = Broadcast.objects.select_for_update().get(pk=broadcast.pk)
                if not broadcast.editable:
                    raise ValidationError(_("A confirmed broadcast cannot be changed."))
                broadcast.body = data["body"]
                broadcast.bodies = self.bodies
                broadcast.scheduled_at = data["scheduled_at"]
                broadcast.groups.set(data["groups"])
                broadcast.exclude_groups.set(data["exclude_groups"])
            broadcast.quiet_hours_start = data["quiet_hours_start"]
            broadcast.quiet_hours_end = data["quiet_hours_end"]
            broadcast.save()
        return broadcast


class BroadcastAdminMixin(WagtailAdminTemplateMixin):
    header_icon = "mail"

    def get_breadcrumbs_items(self):
        items = [{"url": reverse(url_name("list")), "label": _("Broadcasts")}]
        return (
            super().get_breadcrumbs_items() + items + [{"url": "", "label": self.get_page_title()}]
        )


class ComposeView(BroadcastAdminMixin, FormView):
    """New draft (``add_broadcast``) or a draft edited (``change_broadcast``)."""

    form_class = BroadcastForm
    template_name = "wagtail_grantee_sms/broadcasts/compose.html"
    page_title = _("New broadcast")
    broadcast = None

    def dispatch(self, request, *args, **kwargs):
        if "pk" in kwargs:
            self.broadcast = get_object_or_404(Broadcast, pk=kwargs["pk"])
            require(request.user, "change", self.broadcast)
            if not self.broadcast.editable:
                messages.info(request, _("This broadcast is confirmed: it can no longer change."))
                return redirect(url_name("detail"), self.broadcast.pk)
        else:
            require(request.user, "add")
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return _("Edit draft") if self.broadcast else self.page_title

    def get_initial(self):
        initial = BroadcastForm.initial_for(self.broadcast) if self.broadcast else {}
        initial["compose_token"] = get_random_string(32)
        return initial

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        price, currency = price_per_segment()
        budget = broadcasting.budget_status()
        user = self.request.user
        context.update(
            broadcast=self.broadcast,
            tables=encoding.export_tables(),
            words=counter_words(),
            price_per_segment=price,
            currency=currency,
            budget=budget,
            preview=preview(self.broadcast, user) if self.broadcast else None,
            can_send=can(user, "send"),
            can_test=bool(self.broadcast),
        )
        return context

    def form_valid(self, form):
        user = self.request.user
        try:
            broadcast = self.save_once(form)
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        if broadcast.status != Status.DRAFT:
            messages.info(self.request, _("This broadcast is confirmed: it can no longer change."))
            return redirect(url_name("detail"), broadcast.pk)
        action = self.request.POST.get("action")
        if action == "test":
            try:
                broadcasting.send_test(broadcast, user)
            except (broadcasting.NoTestNumber, broadcasting.TooManyTests) as error:
                messages.error(self.request, str(error))
            else:
                messages.success(self.request, _("A test SMS is on its way to your phone."))
            return redirect(url_name("edit"), broadcast.pk)
        if action == "continue" and can(user, "send"):
            return redirect(url_name("confirm"), broadcast.pk)
        messages.success(self.request, _("Draft saved."))
        return redirect(url_name("edit"), broadcast.pk)  # its author or an editor: may edit

    def save_once(self, form):
        """Save the form into its own draft: the first submission creates it, any other one
        (double click, back button, another tab) finds it through the compose token."""
        key = COMPOSE_KEY % form.cleaned_data["compose_token"]
        user = self.request.user
        if self.broadcast is None and cache.add(key, 0, TOKEN_TIMEOUT):
            try:
                broadcast = form.save(user)
            except BaseException:
                cache.delete(key)
                raise
            cache.set(key, broadcast.pk, TOKEN_TIMEOUT)
            return broadcast
        broadcast = self.broadcast or self.draft_of_token(key)
        if broadcast.status != Status.DRAFT:
            return broadcast
        require(user, "change", broadcast)
        return form.save(user, broadcast)

    @staticmethod
    def draft_of_token(key, wait=10.0):
        # The first submission may still be saving its draft: wait for it (a few seconds).
        deadline = time.monotonic() + wait
        while not (pk := cache.get(key)):
            if pk is None or time.monotonic() > deadline:
                raise ValidationError(_("This form was already sent. Open the draft again."))
            time.sleep(0.1)
        return get_object_or_404(Broadcast, pk=pk)


def counter_words():
    """The counter's sentences, translated here: the JavaScript fills in the numbers."""
    return {
        "counter": gettext(
            "%(characters)s characters · %(encoding)s · %(segments)s SMS "
            "(%(remaining)s left in the last one)"
        ),
        "no_replacement": gettext("has no GSM-7 equivalent"),
        "nothing": gettext("(removed)"),
        "total": gettext("%(recipients)s recipients · %(segments)s SMS in total."),
        "cost": gettext("Estimated cost: %(cost)s %(currency)s."),
        "included": gettext("%(count)s contacts will receive it."),
        "left_out": gettext("%(status)s: %(count)s left out"),
    }


class RecipientsView(View):
    """JSON for the compose form: who the chosen groups reach, without a reload."""

    def get(self, request):
        if not broadcast_policy.user_has_any_permission(request.user, ["add", "change"]):
            raise PermissionDenied
        groups = group_ids(request.GET.getlist("groups"))
        exclude = group_ids(request.GET.getlist("exclude_groups"))
        groups = ContactGroup.objects.filter(pk__in=groups)
        exclude = ContactGroup.objects.filter(pk__in=exclude)
        data = recipient_counts(groups, exclude)
        if body := request.GET.get("body", "")[:MAX_BODY]:
            # The exact total for the texts as typed: names filled in for each contact.
            bodies = {
                code: text[:MAX_BODY]
                for code, _name in language_choices()
                if (text := request.GET.get(f"body_{code}", "").strip())
            }
            estimate = broadcasting.estimate(body, groups, exclude, bodies=bodies)
            data["estimate"] = {
                "segments": estimate.segments,
                "cost": None if estimate.cost is None else f"{estimate.cost:.2f}",
                "currency": estimate.currency,
                "encoding": estimate.encoding,
            }
        return JsonResponse(data)


def group_ids(values):
    return [int(value) for value in values if value.isdigit()]


# -- confirm -------------------------------------------------------------------------------


def confirmation_facts(broadcast):
    estimate = broadcasting.estimate(
        broadcast.body,
        broadcast.groups.all(),
        broadcast.exclude_groups.all(),
        bodies=broadcast.bodies,
        backend_alias=broadcast.backend_alias,
    )
    budget = broadcasting.budget_status(broadcast.backend_alias)
    return estimate, budget, not budget.allows(estimate.cost)


class ConfirmView(BroadcastAdminMixin, TemplateView):
    """The last step (``send_broadcast``): recipients, SMS and cost stated, then confirmed."""

    template_name = "wagtail_grantee_sms/broadcasts/confirm.html"
    page_title = _("Confirm the broadcast")

    def dispatch(self, request, pk):
        require(request.user, "send")
        self.broadcast = get_object_or_404(Broadcast, pk=pk)
        if not self.broadcast.editable:
            messages.info(request, _("This broadcast is already confirmed."))
            return redirect(url_name("detail"), pk)
        return super().dispatch(request, pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        estimate, budget, over_budget = confirmation_facts(self.broadcast)
        context.update(
            broadcast=self.broadcast,
            estimate=estimate,
            budget=budget,
            over_budget=over_budget,
            can_exceed=can(self.request.user, "exceed_budget"),
            preview=preview(self.broadcast, self.request.user),
        )
        return context

    def post(self, request, pk):
        # The budget and the recipients are checked again by the core, in the transaction
        # that confirms: the page may be hours old.
        try:
            confirmed = broadcasting.confirm_broadcast(self.broadcast, request.user)
        except broadcasting.BudgetExceeded as error:
            ask = gettext("Ask someone allowed to exceed the budget to confirm it.")
            messages.error(request, f"{error} {ask}")
            return redirect(url_name("confirm"), pk)
        except broadcasting.BroadcastError as error:
            messages.error(request, str(error))
            return redirect(url_name("edit"), pk)
        if confirmed:
            messages.success(request, _("Broadcast confirmed."))
        return redirect(url_name("detail"), pk)


# -- watch -------------------------------------------------------------------------------


def progress_data(broadcast):
    data = dict(broadcasting.progress(broadcast))
    data.update(
        status=broadcast.status,
        status_label=str(broadcast.get_status_display()),
        # Done as soon as its last message is answered; the page polls until then.
        finished=broadcast.status in (Status.DONE, Status.CANCELLED, Status.DRAFT),
    )
    return data


PROGRESS_STATES = [
    ("queued", _("Queued")),
    ("sending", _("Sending")),
    ("accepted", _("Accepted by the provider")),
    ("delivered", _("Delivered")),
    ("failed", _("Failed")),
    ("review", _("Needs review")),
]


def available_actions(broadcast, progress):
    """The buttons of the broadcast page: (action, label, button class)."""
    actions = []
    if broadcast.status in (Status.SCHEDULED, Status.SENDING):
        actions.append(("pause", _("Pause"), "button-secondary"))
    if broadcast.status == Status.PAUSED:
        actions.append(("resume", _("Resume"), ""))
    if broadcast.status in (Status.SCHEDULED, Status.SENDING, Status.PAUSED):
        actions.append(("cancel", _("Cancel the rest"), "no"))
    if progress.get("failed") and broadcast.status != Status.DRAFT:
        actions.append(("retry", _("Retry the failed ones"), "button-secondary"))
    return actions


class DetailView(BroadcastAdminMixin, TemplateView):
    template_name = "wagtail_grantee_sms/broadcasts/detail.html"

    def dispatch(self, request, pk):
        require(request.user, "view")
        self.broadcast = get_object_or_404(
            Broadcast.objects.select_related("created_by", "confirmed_by"), pk=pk
        )
        return super().dispatch(request, pk)

    def get_page_title(self):
        return str(self.broadcast)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        broadcast = self.broadcast
        user = self.request.user
        progress = progress_data(broadcast)
        deliveries = broadcast.deliveries.select_related("contact").order_by("pk")
        status_filter = self.request.GET.get("status", "")
        if status_filter in Delivery.Status.values:
            deliveries = deliveries.filter(status=status_filter)
        else:
            status_filter = ""
        page = Paginator(deliveries, DELIVERIES_PER_PAGE).get_page(self.request.GET.get("p"))
        for delivery in page:
            delivery.shown_phone = phone_for_user(delivery.phone, user)
            delivery.shown_error = broadcasting.error_text(delivery)
        context.update(
            broadcast=broadcast,
            progress=progress,
            states=[(key, label, progress.get(key, 0)) for key, label in PROGRESS_STATES],
            actions=available_actions(broadcast, progress) if can(user, "send") else [],
            deliveries=page,
            status_filter=status_filter,
            status_choices=Delivery.Status.choices,
            bodies=[
                (dict(language_choices()).get(code, code), text)
                for code, text in (broadcast.bodies or {}).items()
            ],
            can_inspect=user.has_perm("wagtail_grantee_sms.view_delivery"),
            can_edit=broadcast.editable and can(user, "change", broadcast),
            can_confirm=broadcast.editable and can(user, "send"),
        )
        return context


class ProgressView(View):
    def get(self, request, pk):
        require(request.user, "view")
        return JsonResponse(progress_data(get_object_or_404(Broadcast, pk=pk)))


class ActionView(View):
    """POST only, ``send_broadcast``: pause, resume, cancel or retry the failed deliveries."""

    http_method_names = ["post"]
    functions = {
        "pause": (broadcasting.pause_broadcast, _("Broadcast paused.")),
        "resume": (broadcasting.resume_broadcast, _("Broadcast resumed.")),
        "cancel": (broadcasting.cancel_broadcast, _("The rest of the broadcast is cancelled.")),
        "retry": (broadcasting.retry_failed, _("The failed messages are queued again.")),
    }

    def post(self, request, pk, action):
        require(request.user, "send")
        if action not in self.functions:
            raise Http404
        broadcast = get_object_or_404(Broadcast, pk=pk)
        function, message = self.functions[action]
        try:
            done = function(broadcast, user=request.user)
        except broadcasting.BroadcastError as error:
            messages.error(request, str(error))
        else:
            if done:
                messages.success(request, message)
            else:
                messages.warning(request, _("Nothing to do: the broadcast's state has changed."))
        return redirect(url_name("detail"), pk)


class ExportView(View):
    """The deliveries of a broadcast as CSV; numbers masked unless ``view_full_phone``."""

    def get(self, request, pk):
        require(request.user, "view")
        broadcast = get_object_or_404(Broadcast, pk=pk)
        user = request.user

        # Translated now, in the request's language, not later while streaming.
        heading = [gettext("Name"), gettext("Phone number"), gettext("Status"),
                   gettext("Attempts"), gettext("Sent at"), gettext("Segments"),
                   gettext("Price"), gettext("Currency"), gettext("Error")]  # fmt: skip
        reasons = broadcasting.error_texts()

        def rows():
            yield heading
            deliveries = broadcast.deliveries.select_related("contact").order_by("pk")
            for delivery in deliveries.iterator(chunk_size=2000):
                sent_at = delivery.sent_at and timezone.localtime(delivery.sent_at).isoformat()
                yield [
                    neutralise(value)
                    for value in (
                        delivery.contact.name if delivery.contact else "",
                        phone_for_user(delivery.phone, user),
                        delivery.get_status_display(),
                        delivery.attempts,
                        sent_at or "",
                        delivery.segments,
                        delivery.price,
                        delivery.currency,
                        broadcasting.error_text(delivery, reasons),
                    )
                ]

        # Streamed row by row: the export of 100,000 deliveries stays small in memory.
        writer = csv.writer(EchoBuffer())
        response = StreamingHttpResponse(
            (writer.writerow(row) for row in rows()), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="broadcast-{broadcast.pk}.csv"'
        return response


class EchoBuffer:
    """A file-like object whose ``write`` returns what it is given, for streaming CSV."""

    def write(self, value):
        return value


# -- history and dashboard -----------------------------------------------------------------


def with_totals(queryset):
    return queryset.select_related("created_by").annotate(
        delivery_count=Count("deliveries"),
        delivered_count=Count("deliveries", filter=Q(deliveries__status="delivered")),
        spent=Sum("deliveries__price"),
    )


def delivered_rate(broadcast):
    if not broadcast.delivery_count:
        return None
    return round(100 * broadcast.delivered_count / broadcast.delivery_count)


class HistoryView(BroadcastAdminMixin, TemplateView):
    template_name = "wagtail_grantee_sms/broadcasts/index.html"
    page_title = _("Broadcasts")

    def dispatch(self, request, *args, **kwargs):
        require(request.user, "view")
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return WagtailAdminTemplateMixin.get_breadcrumbs_items(self) + [
            {"url": "", "label": self.get_page_title()}
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = Paginator(with_totals(Broadcast.objects.order_by("-created_at", "-pk")), 25)
        broadcasts = page.get_page(self.request.GET.get("p"))
        for broadcast in broadcasts:
            broadcast.delivered_rate = delivered_rate(broadcast)
        context.update(broadcasts=broadcasts, can_add=can(self.request.user, "add"))
        return context


def dashboard_context(user):
    """What the dashboard panel shows, or None for a user who may not see broadcasts."""
    if not can(user, "view"):
        return None
    recent = list(with_totals(Broadcast.objects.exclude(status=Status.DRAFT))[:5])
    for broadcast in recent:
        broadcast.delivered_rate = delivered_rate(broadcast)
    return {
        "verified": Contact.objects.filter(status=Contact.Status.VERIFIED).count(),
        "budget": broadcasting.budget_status(),
        "recent": recent,
        "list_url": reverse(url_name("list")),
    }


class BroadcastViewSet(ViewSet):
    """The broadcast screens, under the SMS menu."""

    name = URL_NAMESPACE
    url_prefix = "sms/broadcasts"
    icon = "mail"
    menu_label = _("Broadcasts")
    menu_order = 90

    def get_urlpatterns(self):
        return [
            path("", HistoryView.as_view(), name="list"),
            path("new/", ComposeView.as_view(), name="add"),
            path("recipients/", RecipientsView.as_view(), name="recipients"),
            path("<int:pk>/", DetailView.as_view(), name="detail"),
            path("<int:pk>/edit/", ComposeView.as_view(), name="edit"),
            path("<int:pk>/confirm/", ConfirmView.as_view(), name="confirm"),
            path("<int:pk>/progress/", ProgressView.as_view(), name="progress"),
            path("<int:pk>/export/", ExportView.as_view(), name="export"),
            path("<int:pk>/<str:action>/", ActionView.as_view(), name="action"),
        ]

    @property
    def menu_item_class(self):
        from wagtail.admin.menu import MenuItem

        class BroadcastMenuItem(MenuItem):
            def is_shown(self, request):
                return can(request.user, "view")

        return BroadcastMenuItem
