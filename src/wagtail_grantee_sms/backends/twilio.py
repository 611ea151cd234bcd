"""Twilio, through its Messages API (no SDK).

Sending: ``POST https://api.twilio.com/2010-04-01/Accounts/{AccountSid}/Messages.json`` with
HTTP basic auth (Account SID, Auth Token) and the form fields ``To``, ``From`` (or
``MessagingServiceSid``), ``Body`` and ``StatusCallback``.

Webhooks are signed: ``X-Twilio-Signature`` is the base64 HMAC-SHA1, keyed with the Auth
Token, of the full URL Twilio called followed by every POST parameter's name and value,
sorted by name.
"""

import base64
import hashlib
import hmac
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.http import HttpResponse, QueryDict
from django.utils.crypto import constant_time_compare

from .base import (
    INVALID_NUMBER,
    OPTED_OUT,
    DeliveryReport,
    DeliveryStatus,
    InboundSMS,
    SMSBackendError,
    WebhookAuthenticationFailed,
    normalise_sender,
    parse_amount,
    webhook_params,
)
from .base_requests import RequestsSMSBackend

API_URL = "https://api.twilio.com/2010-04-01/Accounts/{account_sid}/Messages.json"

# Bodies whose fields the signature covers (Twilio posts the first).
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

# Twilio's MessageStatus values, normalised.
STATUSES = {
    "accepted": DeliveryStatus.ACCEPTED,
    "scheduled": DeliveryStatus.ACCEPTED,
    "queued": DeliveryStatus.ACCEPTED,
    "sending": DeliveryStatus.ACCEPTED,
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.DELIVERED,
    "undelivered": DeliveryStatus.FAILED,
    "failed": DeliveryStatus.FAILED,
    "canceled": DeliveryStatus.FAILED,
}

# Error codes worth retrying; any other error is permanent.
TRANSIENT_ERRORS = {
    "30001",  # queue overflow
    "30003",  # unreachable destination handset (switched off, out of coverage)
    "30008",  # unknown error
    "30009",  # missing segment
    "30010",  # message price exceeds max price
}


def url_with_and_without_port(url):
    """``url`` as given, plus the same URL with its scheme's default port added or removed."""
    parts = urlsplit(url)
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    host = parts.hostname or ""
    if parts.port is None and default_port:
        other = parts._replace(netloc=f"{host}:{default_port}")
    elif parts.port == default_port:
        other = parts._replace(netloc=host)
    else:
        return [url]
    return [url, urlunsplit(other)]


class SMSBackend(RequestsSMSBackend):
    required_options = ("account_sid", "auth_token")
    default_options = {
        # The sending number (E.164) or alphanumeric sender id...
        "from_number": "",
        # ...or a Messaging Service, which picks the sender itself.
        "messaging_service_sid": "",
        # URL Twilio posts status reports to; default: the status webhook of this alias, when
        # WEBHOOK_BASE_URL (or the webhook_base_url option) is set.
        "status_callback": "",
        "api_url": API_URL,
    }
    receives_webhooks = True
    reasons = {
        "21211": INVALID_NUMBER,  # invalid 'To' number
        "21614": INVALID_NUMBER,  # 'To' is not a mobile number
        "30005": INVALID_NUMBER,  # unknown destination handset
        "30006": INVALID_NUMBER,  # landline or unreachable carrier
        "21610": OPTED_OUT,  # the recipient replied STOP
    }

    def has_webhook_secret(self):
        return True  # Twilio signs with the Auth Token, which sending needs anyway

    def signs_webhooks(self):
        return True

    def send_message(self, message):
        data = {"To": message.to, "Body": message.body}
        if message.sender or self.from_number:
            data["From"] = message.sender or self.from_number
        if self.messaging_service_sid and not message.sender:
            data["MessagingServiceSid"] = self.messaging_service_sid
        callback = self.status_callback
        if not callback and (callback := self.status_callback_url()) and message.reference:
            # Twilio's reports do not echo a client reference; in the (signed) URL they do, so
            # a report that overtakes the send result still finds its delivery.
            callback += ("&" if "?" in callback else "?") + urlencode({"ref": message.reference})
        if callback:
            data["StatusCallback"] = callback
        response = self.request(
            "POST",
            self.api_url.format(account_sid=self.account_sid),
            data=data,
            auth=(self.account_sid, self.auth_token),
        )
        payload = self.json(response)
        if response.status_code >= 400:
            code = str(payload.get("code") or response.status_code)
            return self.failed(
                message,
                code=code,
                text=payload.get("message", ""),
                permanent=code not in TRANSIENT_ERRORS,
            )
        message_id = payload.get("sid")
        if not isinstance(message_id, str) or not message_id:
            # Twilio took the request but its answer names no message: it may have gone out.
            raise SMSBackendError("Twilio accepted the request but its answer has no message sid.")
        details = {"currency": str(payload.get("price_unit") or "").upper()}
        segments = str(payload.get("num_segments") or "")
        if segments.isdigit() and int(segments):
            details["segments"] = int(segments)
        # Twilio reports what was charged as a negative amount, often only later.
        details["price"] = parse_amount(payload.get("price"))
        return self.accepted(
            message,
            message_id=message_id,
            status=STATUSES.get(str(payload.get("status")), DeliveryStatus.ACCEPTED),
            **details,
        )

    # -- webhooks -----------------------------------------------------------------------

    def signature(self, url, params):
        """The X-Twilio-Signature Twilio sends for ``url`` and POST ``params`` (a QueryDict)."""
        signed = url + "".join(
            name + value for name in sorted(params) for value in sorted(params.getlist(name))
        )
        digest = hmac.new(self.auth_token.encode(), signed.encode(), hashlib.sha1).digest()
        return base64.b64encode(digest).decode()

    def validate_webhook(self, request):
        # Twilio posts forms (or calls GET, signing the URL alone) and never sends JSON: a
        # signed GET URL replayed as a POST with another body must not pass for Twilio's.
        if request.method == "POST" and request.content_type not in FORM_TYPES:
            raise WebhookAuthenticationFailed(
                f"Twilio never posts {request.content_type!r} bodies."
            )
        presented = request.headers.get("X-Twilio-Signature", "")
        # Twilio signs the URL as it was configured: with or without the default port.
        candidates = url_with_and_without_port(self.webhook_url(request))
        signed_fields = request.POST if request.method == "POST" else QueryDict()
        if not presented or not any(
            constant_time_compare(presented, self.signature(url, signed_fields))
            for url in candidates
        ):
            raise WebhookAuthenticationFailed("Wrong or missing X-Twilio-Signature.")

    def params(self, request):
        """What Twilio sent: exactly what the signature covers."""
        return webhook_params(request, accept_json=False)

    def parse_status_webhook(self, request):
        params = self.params(request)
        code = params.get("ErrorCode", "")
        status = STATUSES.get(params.get("MessageStatus", ""), DeliveryStatus.ACCEPTED)
        return [
            DeliveryReport(
                message_id=params.get("MessageSid", ""),
                status=status,
                reference=request.GET.get("ref", ""),  # from our callback URL, signed
                error_code=code,
                error_message=params.get("ErrorMessage", ""),
                permanent=status == DeliveryStatus.FAILED and code not in TRANSIENT_ERRORS,
                reason=self.failure_reason(code),
                raw=params,
            )
        ]

    def parse_inbound_webhook(self, request):
        params = self.params(request)
        return [
            InboundSMS(
                sender=normalise_sender(params.get("From", "")),
                body=params.get("Body", ""),
                message_id=params.get("MessageSid", ""),
                to=params.get("To", ""),
                raw=params,
            )
        ]

    def webhook_response(self, kind):
        # An empty TwiML document: acknowledge, reply nothing.
        return HttpResponse(
            '<?xml version="1.0" encoding="UTF-8"?><Response></Response>',
            content_type="text/xml",
        )
