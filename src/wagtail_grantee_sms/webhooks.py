"""Webhook views: providers report delivery statuses and pass on inbound SMS here.

Each request is authenticated the provider's way (the backend's ``validate_webhook``) before
anything is read or stored: a forged or unsigned request gets 403 and changes nothing. An
unknown backend alias, or a backend that takes no such webhook, gets 404; a payload the
backend cannot read gets 400: too large or too deeply nested JSON, a list where a single value
belongs, a body of a type the provider never sends (``backends.base.webhook_params``). The
secrets that authenticate a request (``?token=``, signatures) are never stored or logged:
``inbound`` stores the payload without them. The views are thin:
``sending.apply_delivery_report`` and ``inbound.receive`` do the work.
"""

import logging

from django.http import Http404, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import inbound, sending
from .backends import WebhookAuthenticationFailed, get_backend
from .conf import get_setting

logger = logging.getLogger(__name__)


@csrf_exempt
@require_http_methods(["GET", "POST"])  # some providers (Zenziva, Vonage) call with GET
def status_webhook(request, alias):
    return handle_webhook(request, alias, "status", sending.apply_delivery_report)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def inbound_webhook(request, alias):
    return handle_webhook(request, alias, "inbound", inbound.receive)


def handle_webhook(request, alias, kind, apply):
    """Authenticate, parse and ``apply(alias, item)`` each item of a ``kind`` webhook."""
    if alias not in get_setting("BACKENDS"):
        raise Http404("No such SMS backend.")
    backend = get_backend(alias)
    if not backend.receives_webhooks:
        raise Http404("This SMS backend takes no webhooks.")
    parse = backend.parse_status_webhook if kind == "status" else backend.parse_inbound_webhook
    try:
        backend.validate_webhook(request)
        items = parse(request)
    except WebhookAuthenticationFailed as error:
        logger.warning("Refused a %s webhook for SMS backend %r: %s", kind, alias, error)
        return HttpResponseForbidden()
    except NotImplementedError as error:
        raise Http404("This SMS backend takes no such webhook.") from error
    except ValueError as error:
        # The error says what is wrong with the payload, never what it holds.
        logger.warning("Unreadable %s webhook for SMS backend %r: %s", kind, alias, error)
        return HttpResponseBadRequest()
    for item in items:
        apply(alias, item)
    return backend.webhook_response(kind)
