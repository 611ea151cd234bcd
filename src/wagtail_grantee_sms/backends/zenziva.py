"""Zenziva, an Indonesian gateway, through its console API (version 2).

Zenziva publishes its API as examples on its site rather than as a specification; this is
the documented "SMS reguler" endpoint of the console (``console.zenziva.net``):
``POST https://console.zenziva.net/reguler/api/sendsms/`` with the form fields ``userkey``,
``passkey``, ``to`` and ``message``. It answers JSON ``{"messageId", "to", "status",
"text", "cost"}`` where ``status`` "1" means accepted and anything else carries the reason
in ``text``. Zenziva chooses the encoding itself (no Unicode flag) and calls no webhooks;
masking and "SMS center" accounts use another URL (option ``api_url``).
"""

from .base import DeliveryStatus, SMSBackendError, parse_amount
from .base_requests import RequestsSMSBackend

API_URL = "https://console.zenziva.net/reguler/api/sendsms/"

# Texts of refusals that will not pass on a retry (compared lower-case, by inclusion).
PERMANENT_TEXTS = ("invalid", "tidak valid", "format", "blacklist")


class SMSBackend(RequestsSMSBackend):
    required_options = ("userkey", "passkey")
    default_options = {
        "api_url": API_URL,
        # Currency of the cost Zenziva reports.
        "currency": "IDR",
    }

    def send_message(self, message):
        response = self.request(
            "POST",
            self.api_url,
            data={
                "userkey": self.userkey,
                "passkey": self.passkey,
                # Zenziva takes Indonesian numbers as 62812…, without the plus.
                "to": message.to.lstrip("+"),
                "message": message.body,
            },
        )
        payload = self.json(response)
        if str(payload.get("status")) != "1":
            text = str(payload.get("text", ""))
            if "userkey" in text.lower() or "passkey" in text.lower():
                raise SMSBackendError(
                    f"Zenziva refused the userkey/passkey of SMS backend {self.alias!r}: {text}",
                    maybe_sent=False,
                )
            return self.failed(
                message,
                code=str(payload.get("status", response.status_code)),
                text=text,
                permanent=any(word in text.lower() for word in PERMANENT_TEXTS),
            )
        price = parse_amount(payload.get("cost"))
        return self.accepted(
            message,
            message_id=str(payload.get("messageId", "")),
            status=DeliveryStatus.ACCEPTED,
            price=price,
            currency=self.currency if price is not None else "",
        )
