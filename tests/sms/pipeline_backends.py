"""Backends the pipeline's tests configure by dotted path: locmem with extra abilities."""

import json

from wagtail_grantee_sms.backends import (
    INVALID_NUMBER,
    OPTED_OUT,
    DeliveryReport,
    DeliveryStatus,
    InboundSMS,
    SMSBackendError,
    locmem,
)

# Every backend instance made during a test, to count connections.
opened = []
# Errors the next sends raise, one per send (an SMSBackendError, for example).
raise_next = []


class CountingBackend(locmem.SMSBackend):
    """Records each connection it opens; raises what a test put in ``raise_next``."""

    def open(self):
        opened.append(self)
        return True

    def send_messages(self, messages):
        if raise_next:
            raise raise_next.pop(0)
        return super().send_messages(messages)


def unreachable(message="Connection refused"):
    return SMSBackendError(message, maybe_sent=False)


class WebhookBackend(locmem.SMSBackend):
    """Takes JSON webhooks authenticated by the base class's shared secret."""

    receives_webhooks = True

    def parse_status_webhook(self, request):
        try:
            payload = json.loads(request.body)
            return [
                DeliveryReport(
                    message_id=item["id"],
                    status=DeliveryStatus(item["status"]),
                    error_code=item.get("code", ""),
                    reason=item.get("reason", ""),
                    raw=item,
                )
                for item in payload["reports"]
            ]
        except (KeyError, TypeError) as error:
            raise ValueError("Not a status report.") from error

    def parse_inbound_webhook(self, request):
        try:
            payload = json.loads(request.body)
            return [
                InboundSMS(sender=item["from"], body=item["text"], message_id=item["id"], raw=item)
                for item in payload["messages"]
            ]
        except (KeyError, TypeError) as error:
            raise ValueError("Not an inbound message.") from error


class InboundOnlyBackend(WebhookBackend):
    def parse_status_webhook(self, request):
        raise NotImplementedError


class ProviderCodesBackend(locmem.SMSBackend):
    """Locmem with a provider's error codes that say what is wrong with the number."""

    reasons = {"21610": OPTED_OUT, "21211": INVALID_NUMBER}


LOCMEM = "wagtail_grantee_sms.backends.locmem.SMSBackend"


def configure(
    settings,
    backend=LOCMEM,
    *,
    price=None,
    currency="IDR",
    budget=None,
    rate_limit=None,
    options=None,
    **extra,
):
    """Point the "default" alias at ``backend``: ``price`` per segment in ``currency``, a
    ``budget`` per month, a ``rate_limit`` and ``options`` when given; ``extra`` are other keys
    of the settings dict."""
    default = {"BACKEND": backend}
    if price is not None:
        default |= {"PRICE_PER_SEGMENT": price, "CURRENCY": currency}
    if budget is not None:
        default["MONTHLY_BUDGET"] = budget
    if rate_limit is not None:
        default["RATE_LIMIT"] = rate_limit
    if options is not None:
        default["OPTIONS"] = options
    settings.WAGTAIL_GRANTEE_SMS = {"BACKENDS": {"default": default}, **extra}


# Called with each accepted ``SendResult`` of ``SlowAnswerBackend`` after the provider took
# the message and before the answer reaches the pipeline: what happens elsewhere meanwhile.
meanwhile = []


class SlowAnswerBackend(WebhookBackend):
    """A provider whose answer to a send is slower than something else (a status report
    through the webhook, a recovery run after ``SENDING_TIMEOUT``)."""

    def send_messages(self, messages):
        results = super().send_messages(messages)
        for result in results:
            for event in meanwhile:
                event(result)
        return results
