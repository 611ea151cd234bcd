from django.db import models
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField

from .base import active_base_page_model
from .contacts import Contact, ContactGroup

BasePage = active_base_page_model()

SESSION_KEY = "wagtail_grantee_sms_signup"


class SignupRequest(models.Model):
    """A sign-up from the public page, until the background worker has acted on it.

    Normally gone within seconds. One whose verification SMS waits for the site's hourly
    ceiling (``VERIFICATION_SENDS_PER_HOUR_TOTAL``) stays, linked to its contact, until the
    SMS is queued; deleting the contact deletes it.
    """

    name = models.CharField(_("name"), max_length=255)
    phone = models.CharField(_("phone number"), max_length=32)
    language = models.CharField(_("preferred language"), max_length=8)
    consent_note = models.TextField(_("consent note"), blank=True)
    group = models.ForeignKey(
        ContactGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Set while the verification SMS waits for the hourly limit."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("sign-up request")
        verbose_name_plural = _("sign-up requests")

    def __str__(self):
        return f"{self._meta.verbose_name} {self.pk}"


class SignupPage(RoutablePageMixin, BasePage):
    """A public form where supporters sign up for SMS, and prove their number with a code."""

    intro = RichTextField(_("introduction"), blank=True)
    consent_text = RichTextField(
        _("consent text"),
        help_text=_("What supporters agree to: which SMS they will get, how often, how to stop."),
    )
    thank_you_text = RichTextField(_("thank-you text"), blank=True)
    group = models.ForeignKey(
        ContactGroup,
        verbose_name=_("add new supporters to the group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    content_panels = BasePage.content_panels + [
        FieldPanel("intro"),
        FieldPanel("consent_text"),
        FieldPanel("thank_you_text"),
        FieldPanel("group"),
    ]

    template = "wagtail_grantee_sms/signup_page.html"
    subpage_types = []

    class Meta:
        verbose_name = _("SMS sign-up page")

    def _render(self, request, step, **context):
        return TemplateResponse(
            request, self.template, {"page": self, "self": self, "step": step, **context}
        )

    @path("")
    def signup(self, request):
        from .. import signup
        from ..forms import SignupForm

        form = SignupForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            phone = form.cleaned_data["phone"]
            if refusal := signup.region_refusal(phone):
                form.add_error("phone", refusal)
            elif signup.throttled(signup.client_address(request), phone):
                form.add_error(None, _("Too many attempts. Please try again in an hour."))
            else:
                try:
                    method = signup.sign_up(
                        name=form.cleaned_data["name"],
                        phone=phone,
                        language=form.cleaned_data["language"],
                        consent_note=_("Sign-up form “%(page)s”: %(text)s")
                        % {"page": self.title, "text": strip_tags(self.consent_text)[:500]},
                        group=self.group,
                    )
                except signup.TooManyWaiting:
                    form.add_error(
                        None,
                        _("Many people are signing up right now. Please try again in an hour."),
                    )
                    return self._render(request, "signup", form=form)
                if method != "code":
                    return self._render(request, "reply")
                request.session[SESSION_KEY] = phone
                return redirect(self.url + self.reverse_subpage("verify"))
        return self._render(request, "signup", form=form)

    @path("verify/")
    def verify(self, request):
        from .. import signup
        from ..forms import CodeForm

        phone = request.session.get(SESSION_KEY)
        if not phone:
            return redirect(self.url)
        form = CodeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            if signup.throttled(signup.client_address(request)):
                form.add_error(None, _("Too many attempts. Please try again in an hour."))
            elif signup.confirm(phone, form.cleaned_data["code"]):
                del request.session[SESSION_KEY]
                return self._render(request, "done")
            else:
                form.add_error("code", _("This code is not right, or it has expired."))
        return self._render(request, "verify", form=form)
