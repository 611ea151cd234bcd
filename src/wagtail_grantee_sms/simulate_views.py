"""The admin's "Simulate an incoming SMS": for sites whose backend receives no SMS at all
(console, file, locmem), a superuser types what a phone would have sent. It goes through
``inbound.simulate``, which hands it to ``inbound.receive`` like a real webhook's message."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from . import inbound, phones
from .models import InboundMessage

URL_NAME = "wagtail_grantee_sms_simulate_inbound"


class SimulateInboundForm(forms.Form):
    backend_alias = forms.ChoiceField(label=_("SMS backend"))
    sender = forms.CharField(
        label=_("From (phone number)"),
        max_length=32,
        help_text=_("As the contact would send it, for example 0812 3456 7890."),
    )
    body = forms.CharField(
        label=_("Message"),
        max_length=1600,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example YA, the 6-digit code or STOP."),
    )

    def __init__(self, *args, aliases=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["backend_alias"]
        field.choices = [(alias, alias) for alias in aliases]
        if len(aliases) == 1:  # nothing to choose: no setting's name on the editor's screen
            field.initial = aliases[0]
            field.widget = forms.HiddenInput()

    def clean_sender(self):
        try:
            return phones.normalise(self.cleaned_data["sender"])
        except ValidationError as error:
            raise ValidationError(_("Enter a valid phone number.")) from error


class SimulateInboundView(WagtailAdminTemplateMixin, FormView):
    form_class = SimulateInboundForm
    template_name = "wagtail_grantee_sms/admin/simulate_inbound.html"
    page_title = _("Simulate an incoming SMS")
    header_icon = "comment"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_superuser:
            raise PermissionDenied
        self.aliases = inbound.simulated_inbound_aliases()
        if not self.aliases:
            raise Http404("No SMS backend here takes simulated messages.")
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {"aliases": self.aliases}

    def get_breadcrumbs_items(self):
        inbox = InboundMessage.snippet_viewset
        return super().get_breadcrumbs_items() + [
            {"url": reverse(inbox.get_url_name("list")), "label": inbox.menu_label},
            {"url": "", "label": self.get_page_title()},
        ]

    def form_valid(self, form):
        message = inbound.simulate(
            form.cleaned_data["backend_alias"],
            form.cleaned_data["sender"],
            form.cleaned_data["body"],
            user=self.request.user,
        )
        messages.success(
            self.request,
            _("Incoming SMS simulated. Action taken: %(action)s")
            % {"action": message.get_action_display()},
        )
        viewset = InboundMessage.snippet_viewset
        return redirect(viewset.get_url_name("inspect"), message.pk)


def simulate_inbound_url(user):
    """The URL of the form, for ``user`` if a superuser and a backend takes simulations."""
    if user.is_superuser and inbound.simulated_inbound_aliases():
        return reverse(URL_NAME)
    return ""
