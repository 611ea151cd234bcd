"""Vonage (formerly Nexmo), through its SMS API (no SDK).

Sending: ``POST https://rest.nexmo.com/sms/json`` with ``api_key``, ``api_secret``, ``from``,
``to`` (digits, no plus), ``text``, ``type=unicode`` when the text needs UCS-2, and
``client-ref`` (our reference). The reply has one entry per message part, each with a
``status`` ("0" accepted, "1" throttled, ...).

Webhooks (delivery receipts and inbound messages) are signed when the account has signed
webhooks: ``sig`` is, over every other parameter sorted by name and written
``&name=value`` (``&`` and ``=`` in values replaced by ``_``), either the MD5 of that text
followed by the signature secret ("md5hash", Vonage's default) or its HMAC keyed with the
secret ("md5", "sha1", "sha256", "sha512"), in hexadecimal; its ``timestamp`` must be
recent. Without signed webhooks, give a ``webhook_secret`` and put ``?token=<secret>`` in the
webhook URLs configured at Vonage.
"""

import hashlib
import hmac
import time

from django.utils.crypto import constant_time_compare

from .base import (
    INVALID_NUMBER,
    DeliveryReport,
    DeliveryStatus,
    InboundSMS,
    InvalidBackendError,
    SMSBackendError,
    WebhookAuthenticationFailed,
    normalise_sender,
    parse_amount,
    parse_timestamp,
    webhook_params,
)
from .base_requests import RequestsSMSBackend

API_URL = "https://rest.nexmo.com/sms/json"
SIGNATURE_METHODS = ("md5hash", "md5", "sha1", "sha256", "sha512")

# Per-message status codes of the send reply that are worth retrying.
TRANSIENT_SEND_ERRORS = {
    "1",  # throttled
    "5",  # internal error
    "10",  # too many existing binds
}

# Per-message status codes that are about the account, not the message: raised.
ACCOUNT_ERRORS = {
    "4",  # invalid credentials
    "8",  # partner account barred
}

# Delivery receipt status values, normalised.
STATUSES = {
    "accepted": DeliveryStatus.ACCEPTED,
    "buffered": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "expired": DeliveryStatus.FAILED,
    "failed": DeliveryStatus.FAILED,
    "rejected": DeliveryStatus.FAILED,
    "unknown": DeliveryStatus.SENT,
}

# Delivery receipt err-code values worth retrying.
TRANSIENT_RECEIPT_ERRORS = {
    "1",  # unknown
    "2",  # absent subscriber, temporary
    "7",  # handset busy
    "8",  # network error
    "12",  # destination unreachable
    "15",  # prepaid insufficient funds
    "99",  # general error
}


def sign(params, secret, method):
    """The ``sig`` Vonage computes for ``params`` (without ``sig``)."""
    signed = "".join(
        "&{}={}".format(name, str(params[name]).replace("&", "_").replace("=", "_"))
        for name in sorted(params)
    )
    if method == "md5hash":
        return hashlib.md5((signed + secret).encode(), usedforsecurity=False).hexdigest()
    return hmac.new(secret.encode(), signed.encode(), method).hexdigest()


class SMSBackend(RequestsSMSBackend):
    required_options = ("api_key", "api_secret")
    default_options = {
        # Sender: a number (E.164) or an alphanumeric sender id. Vonage requires one.
        "from_number": "",
        # Signed webhooks: the signature secret and method from the Vonage dashboard.
        "signature_secret": "",
        "signature_method": "md5hash",
        # Seconds a signed request stays valid after its timestamp (None: no limit), so a
        # captured request cannot be replayed later.
        "signature_max_age": 300,
        # Currency of the prices Vonage reports: the account's currency.
        "currency": "EUR",
        "api_url": API_URL,
    }
    receives_webhooks = True
    reasons = {
        "6": INVALID_NUMBER,  # send: invalid message, e.g. an unknown number prefix
        "33": INVALID_NUMBER,  # send: number de-activated
    }
    receipt_reasons = {
        "3": INVALID_NUMBER,  # absent subscriber, permanent
        "9": INVALID_NUMBER,  # illegal number
        "11": INVALID_NUMBER,  # unroutable
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self.signature_method not in SIGNATURE_METHODS:
            raise InvalidBackendError(
                f"SMS backend {self.alias!r}: signature_method must be one of "
                f"{', '.join(SIGNATURE_METHODS)}."
            )

    def has_webhook_secret(self):
        return bool(self.signature_secret or self.webhook_secret)

    def signs_webhooks(self):
        return bool(self.signature_secret)

    def send_message(self, message):
        measured = self.measure(message)
        data = {
            "api_key": self.api_key,
            "api_secret": self.api_secret,
            "from": (message.sender or self.from_number).lstrip("+"),
            "to": message.to.lstrip("+"),
            "text": message.body,
        }
        if measured.is_unicode:
            data["type"] = "unicode"
        if message.reference:
            data["client-ref"] = message.reference
        callback = self.status_callback_url()
        if callback:
            data["callback"] = callback
        response = self.request("POST", self.api_url, data=data)
        parts = self.json(response).get("messages") or [{}]
        refused = next((part for part in parts if str(part.get("status")) != "0"), None)
        if refused is not None:
            code = str(refused.get("status", ""))
            if code in ACCOUNT_ERRORS:
                raise SMSBackendError(
                    f"Vonage refused the account of SMS backend {self.alias!r}: "
                    f"{refused.get('error-text', code)}",
                    maybe_sent=False,
                )
            return self.failed(
                message,
                code=code,
                text=refused.get("error-text", ""),
                permanent=code not in TRANSIENT_SEND_ERRORS,
            )
        prices = [parse_amount(part.get("message-price")) for part in parts]
        return self.accepted(
            message,
            # A long text is several parts with one id each; the first names the message,
            # and each part's delivery receipt carries its own id.
            message_id=parts[0].get("message-id", ""),
            segments=len(parts),
            price=sum(prices) if all(price is not None for price in prices) else None,
            currency=self.currency if prices[0] is not None else "",
        )

    # -- webhooks -----------------------------------------------------------------------

    def validate_webhook(self, request):
        if not self.signature_secret:
            return super().validate_webhook(request)
        try:
            params = webhook_params(request)
        except ValueError as error:
            raise WebhookAuthenticationFailed(str(error)) from error
        presented = str(params.pop("sig", "")).lower()
        expected = sign(params, self.signature_secret, self.signature_method)
        if not presented or not constant_time_compare(presented, expected):
            raise WebhookAuthenticationFailed("Wrong or missing Vonage signature (sig).")
        if self.signature_max_age is not None:
            try:
                age = time.time() - int(params.get("timestamp", ""))
            except ValueError as error:
                raise WebhookAuthenticationFailed("The signed request has no timestamp.") from error
            if abs(age) > self.signature_max_age:
                raise WebhookAuthenticationFailed("The signed request is too old (a replay?).")

    def parse_status_webhook(self, request):
        params = webhook_params(request)
        code = str(params.get("err-code", ""))
        status = STATUSES.get(params.get("status", ""), DeliveryStatus.SENT)
        failed = status == DeliveryStatus.FAILED
        return [
            DeliveryReport(
                message_id=params.get("messageId", ""),
                status=status,
                reference=params.get("client-ref", ""),
                error_code=code if code not in ("", "0") else "",
                permanent=failed and code not in TRANSIENT_RECEIPT_ERRORS,
                reason=self.receipt_reasons.get(code, "") if failed else "",
                timestamp=parse_timestamp(params.get("message-timestamp")),
                raw=params,
            )
        ]

    def parse_inbound_webhook(self, request):
        params = webhook_params(request)
        return [
            InboundSMS(
                sender=normalise_sender("+" + str(params.get("msisdn", "")).lstrip("+")),
                body=params.get("text", ""),
                message_id=params.get("messageId", ""),
                to=params.get("to", ""),
                received_at=parse_timestamp(params.get("message-timestamp")),
                raw=params,
            )
        ]
