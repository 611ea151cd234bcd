"""Africa's Talking, through its SMS API (no SDK).

Sending: ``POST https://api.africastalking.com/version1/messaging`` (the sandbox:
``https://api.sandbox.africastalking.com/version1/messaging``, username ``sandbox``) with the
``apiKey`` header, ``Accept: application/json`` and the form fields ``username``, ``to``,
``message``, ``from`` (a sender id or short code, optional) and ``enqueue=1`` (Africa's
Talking queues the message and answers at once, as it advises for bulk sending). The reply
lists each recipient with a ``statusCode`` (100-102 accepted, 4xx/5xx refused).

Delivery reports and inbound messages are form posts that Africa's Talking does not sign:
protect them with a ``webhook_secret`` (``?token=`` in the callback URLs you configure, or
HTTP basic auth in them).
"""

from .base import (
    INVALID_NUMBER,
    OPTED_OUT,
    DeliveryReport,
    DeliveryStatus,
    InboundSMS,
    normalise_sender,
    parse_amount,
    parse_timestamp,
    webhook_params,
)
from .base_requests import RequestsSMSBackend

API_URL = "https://api.africastalking.com/version1/messaging"
SANDBOX_API_URL = "https://api.sandbox.africastalking.com/version1/messaging"

ACCEPTED_CODES = {"100", "101", "102"}  # processed, sent, queued
TRANSIENT_SEND_ERRORS = {
    "401",  # RiskHold
    "405",  # InsufficientBalance
    "500",  # InternalServerError
    "501",  # GatewayError
}

# Delivery report status values, normalised.
STATUSES = {
    "Submitted": DeliveryStatus.SENT,
    "Buffered": DeliveryStatus.SENT,
    "Sent": DeliveryStatus.SENT,
    "Success": DeliveryStatus.DELIVERED,
    "Rejected": DeliveryStatus.FAILED,
    "Failed": DeliveryStatus.FAILED,
    "AbsentSubscriber": DeliveryStatus.FAILED,
    "Expired": DeliveryStatus.FAILED,
}

TRANSIENT_FAILURE_REASONS = {"InsufficientCredit", "DeliveryFailure", "UserIsInactive", ""}


class SMSBackend(RequestsSMSBackend):
    required_options = ("username", "api_key")
    default_options = {
        # Sender id or short code registered with Africa's Talking ("" = theirs).
        "from_number": "",
        # True for the sandbox (username "sandbox"), which only reaches the simulator.
        "sandbox": False,
        "api_url": "",
    }
    receives_webhooks = True
    reasons = {
        # statusCode of the send reply
        "403": INVALID_NUMBER,  # InvalidPhoneNumber
        "404": INVALID_NUMBER,  # UnsupportedNumberType
        "406": OPTED_OUT,  # UserInBlacklist
        "409": OPTED_OUT,  # DoNotDisturbRejection
        # failureReason of a delivery report
        "UserInBlackList": OPTED_OUT,
        "DoNotDisturbRejection": OPTED_OUT,
        "UserDoesNotExist": INVALID_NUMBER,
        "NotNetworkSubcriber": INVALID_NUMBER,
    }

    def endpoint(self):
        return self.api_url or (SANDBOX_API_URL if self.sandbox else API_URL)

    def send_message(self, message):
        data = {
            "username": self.username,
            "to": message.to,
            "message": message.body,
            "enqueue": "1",
        }
        if message.sender or self.from_number:
            data["from"] = message.sender or self.from_number
        response = self.request(
            "POST",
            self.endpoint(),
            data=data,
            headers={"apiKey": self.api_key, "Accept": "application/json"},
        )
        if response.status_code >= 400:
            # The whole request was refused (e.g. a sender id not registered): its text says why.
            return self.failed(
                message, code=str(response.status_code), text=response.text[:200], permanent=True
            )
        recipients = self.json(response).get("SMSMessageData", {}).get("Recipients") or []
        if not recipients:
            return self.failed(
                message, code="no_recipient", text="No recipient accepted.", permanent=True
            )
        recipient = recipients[0]
        code = str(recipient.get("statusCode", ""))
        if code not in ACCEPTED_CODES:
            return self.failed(
                message,
                code=code,
                text=recipient.get("status", ""),
                permanent=code not in TRANSIENT_SEND_ERRORS,
            )
        currency, _, amount = str(recipient.get("cost", "")).partition(" ")
        price = parse_amount(amount)
        return self.accepted(
            message,
            message_id=recipient.get("messageId", ""),
            status=DeliveryStatus.SENT if code == "101" else DeliveryStatus.ACCEPTED,
            price=price,
            currency=currency if price is not None else "",
        )

    # -- webhooks -----------------------------------------------------------------------

    def parse_status_webhook(self, request):
        params = webhook_params(request)
        status = STATUSES.get(params.get("status", ""), DeliveryStatus.SENT)
        failure = params.get("failureReason", "")
        failed = status == DeliveryStatus.FAILED
        return [
            DeliveryReport(
                message_id=params.get("id", ""),
                status=status,
                error_code=failure if failed else "",
                error_message=params.get("status", "") if failed else "",
                permanent=failed and failure not in TRANSIENT_FAILURE_REASONS,
                reason=self.failure_reason(failure) if failed else "",
                raw=params,
            )
        ]

    def parse_inbound_webhook(self, request):
        params = webhook_params(request)
        return [
            InboundSMS(
                sender=normalise_sender(params.get("from", "")),
                body=params.get("text", ""),
                message_id=params.get("id", ""),
                to=params.get("to", ""),
                received_at=parse_timestamp(params.get("date")),
                raw=params,
            )
        ]
