"""A GSM modem in the office, through the spool folders of Gammu SMSD's "files" service.

Gammu SMSD (``Service = files`` in its ``smsdrc``) sends what it finds in its outbox folder,
moves each file to its sent-items or error folder afterwards, and writes each message it
receives to its inbox folder. This backend only reads and writes those folders; it never
talks to the modem. The site's user and the daemon's user must both be able to write them.

- Sending writes ``OUT<priority><date>_<time>_<serial>_<recipient>_<id>.txt`` (the third
  name format of the files service; ``d`` is appended when delivery reports are asked for)
  in UTF-16 with a byte order mark, which Gammu reads as Unicode whatever its locale. The
  file is written under a name Gammu ignores and renamed, so the daemon never reads half a
  message. ``<id>`` is the message id of the result.
- :meth:`collect_reports` turns the files the daemon moved to its sent-items and error
  folders into delivery reports (SENT or FAILED), and :meth:`collect_inbound` turns the
  inbox's ``IN<date>_<time>_<serial>_<sender>_<part>.txt`` files (the parts of one long
  message joined) into inbound messages. Both move what they return into a ``processed``
  subfolder once the caller has stored it, so each file is reported once and none is lost.
  The task ``tasks.poll_backends`` calls them every minute (``needs_polling``).
"""

import logging
import re
import uuid
from datetime import datetime
from pathlib import Path

from django.utils import timezone

from ..phones import mask
from .base import (
    BaseSMSBackend,
    DeliveryReport,
    DeliveryStatus,
    InboundSMS,
    InvalidBackendError,
    SMSBackendError,
    normalise_sender,
)

logger = logging.getLogger(__name__)

PROCESSED = "processed"

OUTBOX_NAME = re.compile(
    r"^OUT(?P<priority>[A-Z])(?P<date>\d{8})_(?P<time>\d{6})_(?P<serial>\d+)_"
    r"(?P<recipient>[^_]+)_(?P<id>[A-Za-z0-9-]+)\.txt[a-z]*$"
)
INBOX_NAME = re.compile(
    r"^IN(?P<date>\d{8})_(?P<time>\d{6})_(?P<serial>\d+)_(?P<sender>[^_]+)_(?P<part>\d+)\.txt$"
)


def read_text(path):
    """A spool file's text: UTF-16 when it starts with a byte order mark (Gammu's
    "unicode" format), else UTF-8, else Latin-1 (its "standard" format)."""
    data = path.read_bytes()
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


class SMSBackend(BaseSMSBackend):
    required_options = ("outbox_path",)
    default_options = {
        # Gammu's InboxPath, SentSMSPath and ErrorSMSPath ("" = not collected).
        "inbox_path": "",
        "sent_path": "",
        "error_path": "",
        # Priority letter of the outbox files, A (first) to Z.
        "priority": "C",
        # Ask the network for delivery reports (Gammu logs them; see the docs).
        "delivery_reports": False,
    }
    needs_polling = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if not re.fullmatch(r"[A-Z]", str(self.priority)):
            raise InvalidBackendError(
                f"SMS backend {self.alias!r}: priority must be one letter from A to Z."
            )
        self.outbox_path = Path(self.outbox_path)

    # -- sending ------------------------------------------------------------------------

    def send_messages(self, messages):
        results = []
        for serial, message in enumerate(messages):
            try:
                message_id = self.write_outbox_file(message, serial)
            except OSError as error:
                logger.warning("SMS backend %r cannot write its outbox: %s", self.alias, error)
                return self.backend_error(
                    # Gammu reads only complete files under their final name: nothing left.
                    SMSBackendError(
                        f"Cannot write to the Gammu outbox: {error.strerror}", maybe_sent=False
                    ),
                    messages,
                    results,
                )
            logger.info("SMS to %s queued for Gammu as %s", mask(message.to), message_id)
            results.append(self.accepted(message, message_id=message_id))
        return results

    def write_outbox_file(self, message, serial):
        message_id = re.sub(r"[^A-Za-z0-9-]", "", message.reference) or uuid.uuid4().hex
        now = timezone.localtime()
        name = (
            f"OUT{self.priority}{now:%Y%m%d}_{now:%H%M%S}_{serial:02d}_"
            f"{message.to}_{message_id}.txt{'d' if self.delivery_reports else ''}"
        )
        temporary = self.outbox_path / f".{name}.tmp"
        temporary.write_text(message.body, encoding="utf-16")
        temporary.replace(self.outbox_path / name)
        return message_id

    # -- collecting ---------------------------------------------------------------------

    def collect_reports(self):
        """Delivery reports for the outbox files Gammu has sent or given up on.

        A generator: a file moves to ``processed/`` when the caller asks for the next report,
        that is once it has stored this one, so a worker that dies meanwhile leaves the file
        for the next poll (storing a report twice changes nothing)."""
        for folder, status in (
            (self.sent_path, DeliveryStatus.SENT),
            (self.error_path, DeliveryStatus.FAILED),
        ):
            for path, match in self._spool_files(folder, OUTBOX_NAME):
                yield DeliveryReport(
                    message_id=match["id"],
                    status=status,
                    error_code="gammu_error" if status == DeliveryStatus.FAILED else "",
                    error_message=(
                        "The modem could not send the message."
                        if status == DeliveryStatus.FAILED
                        else ""
                    ),
                    # A modem fails for passing reasons (signal, credit): worth a retry.
                    permanent=False,
                    timestamp=self._file_time(path),
                    raw={"file": path.name},
                )
                self._mark_processed(path)

    def collect_inbound(self):
        """The messages Gammu has received, long ones joined from their parts.

        A generator, like :meth:`collect_reports`: a message's files move to ``processed/``
        once the caller has stored it (the provider message id makes a second store a no-op).
        """
        groups = {}
        for path, match in self._spool_files(self.inbox_path, INBOX_NAME):
            key = (match["date"], match["time"], match["serial"], match["sender"])
            groups.setdefault(key, []).append((int(match["part"]), path))
        for (date, time, serial, sender), parts in sorted(groups.items()):
            parts.sort()
            received_at = timezone.make_aware(datetime.strptime(date + time, "%Y%m%d%H%M%S"))
            yield InboundSMS(
                sender=normalise_sender(sender),
                body="".join(read_text(path) for _, path in parts),
                # Serials tell apart the messages of one second.
                message_id=f"{date}_{time}_{serial}",
                received_at=received_at,
                raw={"files": [path.name for _, path in parts]},
            )
            for _, path in parts:
                self._mark_processed(path)

    def _spool_files(self, folder, pattern):
        if not folder:
            return []
        found = []
        for path in sorted(Path(folder).iterdir()):
            match = pattern.match(path.name)
            if match and path.is_file():
                found.append((path, match))
        return found

    def _file_time(self, path):
        return datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.get_current_timezone())

    def _mark_processed(self, path):
        processed = path.parent / PROCESSED
        processed.mkdir(exist_ok=True)
        path.replace(processed / path.name)
