"""A generic HTTP gateway, configured instead of programmed: for the many local gateways
whose API is "call this URL with these parameters".

Example (a gateway that takes a GET with the number and text in the query string and
answers ``OK <id>``)::

    "OPTIONS": {
        "url": "https://sms.example.co.id/api/send",
        "method": "GET",
        "params": {"user": "ngo", "pass": {"env": "GATEWAY_PASSWORD"}, "to": "{to_digits}",
                   "text": "{body}", "unicode": "{unicode}"},
        "success_regex": r"^OK",
        "message_id_regex": r"^OK (\\S+)",
    }

Placeholders in the values of ``params`` and ``headers``: ``{to}`` (E.164), ``{to_digits}``
(without the plus), ``{to_local}`` (0812…), ``{body}``, ``{sender}``, ``{reference}``,
``{unicode}`` ("1" when the text needs UCS-2, else "0"), ``{encoding}`` ("GSM-7"/"UCS-2"),
``{segments}``. ``unicode_params`` are added when the text needs UCS-2.

A reply is a success when its HTTP status is in ``success_status`` and, if given,
``success_regex`` matches its body or the value at ``success_json_path`` (dotted, e.g.
``messages.0.status``) equals ``success_json_value``.

Status reports and inbound messages are read from the fields named in ``status_fields`` and
``inbound_fields``, authenticated with ``webhook_secret``.
"""

import re

import phonenumbers

from .base import (
    DeliveryReport,
    DeliveryStatus,
    InboundSMS,
    InvalidBackendError,
    normalise_sender,
    webhook_params,
)
from .base_requests import RequestsSMSBackend

PLACEHOLDER = re.compile(r"\{(\w+)\}")
PLACEHOLDERS = {
    *("to", "to_digits", "to_local", "body", "sender", "reference"),
    *("unicode", "encoding", "segments"),
}
PARAMS_IN = ("form", "json", "query")
HTTP_METHODS = ("GET", "POST")


def lookup(data, dotted_path):
    """The value at ``dotted_path`` ("a.0.b") in parsed JSON, or None."""
    for key in dotted_path.split("."):
        if isinstance(data, list) and key.isdigit() and int(key) < len(data):
            data = data[int(key)]
        elif isinstance(data, dict) and key in data:
            data = data[key]
        else:
            return None
    return data


class SMSBackend(RequestsSMSBackend):
    required_options = ("url",)
    default_options = {
        "method": "POST",
        # Where the params go: "form" (urlencoded body), "json" (JSON body) or "query".
        "params_in": "form",
        "params": {"to": "{to}", "message": "{body}"},
        "unicode_params": {},
        "headers": {},
        # HTTP basic auth, if the gateway wants it.
        "username": "",
        "password": "",
        "from_number": "",
        "success_status": [200, 201, 202],
        "success_regex": "",
        "success_json_path": "",
        "success_json_value": "",
        "message_id_regex": "",
        "message_id_json_path": "",
        # A reply that matches this regex is a transient failure (e.g. "busy|throttl").
        "transient_regex": "",
        # Webhooks: field names, e.g. {"message_id": "id", "status": "stat", "error_code": "err"}
        # and the gateway's status values, e.g. {"DELIVRD": "delivered", "UNDELIV": "failed"}.
        "status_fields": {},
        "status_values": {},
        # e.g. {"sender": "from", "body": "text", "message_id": "id", "to": "to"}
        "inbound_fields": {},
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.method = str(self.method).upper()
        problems = []
        if self.method not in HTTP_METHODS:
            problems.append(f"method must be one of {', '.join(HTTP_METHODS)}")
        if self.params_in not in PARAMS_IN:
            problems.append(f"params_in must be one of {', '.join(PARAMS_IN)}")
        templates = [*self.params.values(), *self.unicode_params.values(), *self.headers.values()]
        unknown = {
            name
            for template in templates
            if isinstance(template, str)
            for name in PLACEHOLDER.findall(template)
        } - PLACEHOLDERS
        if unknown:
            problems.append(
                f"unknown placeholder(s) {', '.join(sorted(unknown))}; known: "
                f"{', '.join(sorted(PLACEHOLDERS))}"
            )
        for option in ("success_regex", "message_id_regex", "transient_regex"):
            try:
                re.compile(getattr(self, option))
            except re.error as error:
                problems.append(f"{option} is not a valid regular expression ({error})")
        unknown_statuses = set(self.status_values.values()) - set(DeliveryStatus)
        if unknown_statuses:
            problems.append(f"status_values maps to unknown statuses {sorted(unknown_statuses)}")
        if problems:
            raise InvalidBackendError(f"SMS backend {self.alias!r}: " + "; ".join(problems) + ".")

    @property
    def receives_webhooks(self):
        return bool(self.status_fields or self.inbound_fields)

    def values(self, message):
        measured = self.measure(message)
        number = phonenumbers.parse(message.to)
        return {
            "to": message.to,
            "to_digits": message.to.lstrip("+"),
            "to_local": phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
            .replace(" ", "")
            .replace("-", ""),
            "body": message.body,
            "sender": message.sender or self.from_number,
            "reference": message.reference,
            "unicode": "1" if measured.is_unicode else "0",
            "encoding": measured.encoding,
            "segments": str(measured.segments),
        }

    def fill(self, templates, values):
        return {
            key: PLACEHOLDER.sub(lambda m: values[m[1]], template)
            if isinstance(template, str)
            else template
            for key, template in templates.items()
        }

    def send_message(self, message):
        values = self.values(message)
        params = self.fill(self.params, values)
        if values["unicode"] == "1":
            params |= self.fill(self.unicode_params, values)
        kwargs = {"headers": self.fill(self.headers, values)}
        kwargs[{"form": "data", "json": "json", "query": "params"}[self.params_in]] = params
        if self.username or self.password:
            kwargs["auth"] = (self.username, self.password)
        response = self.request(self.method, self.url, **kwargs)
        text = response.text
        if self.transient_regex and re.search(self.transient_regex, text):
            return self.failed(
                message, code=str(response.status_code), text=text[:200], permanent=False
            )
        succeeded = response.status_code in self.success_status
        if succeeded and self.success_regex:
            succeeded = re.search(self.success_regex, text) is not None
        payload = None
        if self.success_json_path or self.message_id_json_path:
            payload = self.json(response, object_only=False)
        if succeeded and self.success_json_path:
            found = lookup(payload, self.success_json_path)
            succeeded = str(found) == str(self.success_json_value)
        if not succeeded:
            return self.failed(
                message, code=str(response.status_code), text=text[:200], permanent=True
            )
        message_id = ""
        if self.message_id_regex:
            found = re.search(self.message_id_regex, text)
            message_id = found[1] if found and found.groups() else ""
        elif self.message_id_json_path:
            message_id = str(lookup(payload, self.message_id_json_path) or "")
        return self.accepted(message, message_id=message_id)

    # -- webhooks -----------------------------------------------------------------------

    def parse_status_webhook(self, request):
        if not self.status_fields:
            return super().parse_status_webhook(request)
        params = webhook_params(request)
        field = self.status_fields.get
        value = str(params.get(field("status", "status"), ""))
        status = DeliveryStatus(self.status_values.get(value, DeliveryStatus.SENT))
        return [
            DeliveryReport(
                message_id=str(params.get(field("message_id", "id"), "")),
                status=status,
                error_code=str(params.get(field("error_code", ""), "")),
                error_message=str(params.get(field("error_message", ""), "")),
                permanent=status == DeliveryStatus.FAILED,
                raw=params,
            )
        ]

    def parse_inbound_webhook(self, request):
        if not self.inbound_fields:
            return super().parse_inbound_webhook(request)
        params = webhook_params(request)
        field = self.inbound_fields.get
        return [
            InboundSMS(
                sender=normalise_sender(params.get(field("sender", "from"), "")),
                body=str(params.get(field("body", "text"), "")),
                message_id=str(params.get(field("message_id", "id"), "")),
                to=str(params.get(field("to", "to"), "")),
                raw=params,
            )
        ]
