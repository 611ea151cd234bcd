"""Template tags of the SMS screens in the Wagtail admin."""

from django import template

from .. import background
from ..conf import get_setting
from ..simulate_views import simulate_inbound_url

register = template.Library()


@register.inclusion_tag("wagtail_grantee_sms/admin/worker_banner.html", takes_context=True)
def sms_worker_banner(context):
    """A warning when queued SMS wait because no background worker takes them (one query)."""
    return worker_banner_context(context.get("request"))


def worker_banner_context(request):
    user = getattr(request, "user", None)
    shown = bool(
        user is not None
        and user.has_module_perms("wagtail_grantee_sms")
        and background.worker_seems_stopped()
    )
    return {
        "worker_stopped": shown,
        "minutes": max(1, round(get_setting("WORKER_WARNING_AFTER") / 60)),
        "docs_url": get_setting("WORKER_DOCS_URL"),
    }


@register.simple_tag(takes_context=True)
def sms_simulate_inbound_url(context):
    """The "Simulate an incoming SMS" URL for the inbox listing, or "" (not a superuser, or
    the backends receive real SMS)."""
    opts = context.get("model_opts")
    request = context.get("request")
    if request is None or opts is None or opts.model_name != "inboundmessage":
        return ""
    return simulate_inbound_url(request.user)
