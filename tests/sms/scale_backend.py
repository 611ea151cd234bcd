"""A locmem backend whose outbox is a file, so that several worker processes share it."""

import os
import time

from wagtail_grantee_sms.backends import locmem


class FileOutboxBackend(locmem.SMSBackend):
    """Appends "reference number" per message it takes to ``$SCALE_OUTBOX``, in one write per
    batch (after a provider-like pause of ``$SCALE_SEND_DELAY`` seconds per message)."""

    def send_messages(self, messages):
        time.sleep(float(os.environ.get("SCALE_SEND_DELAY", "0")) * len(messages))
        results = super().send_messages(messages)
        taken = [m for m, r in zip(messages, results, strict=True) if r.accepted]
        lines = "".join(f"{m.reference} {m.to}\n" for m in taken)
        fd = os.open(os.environ["SCALE_OUTBOX"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, lines.encode())
        finally:
            os.close(fd)
        return results
