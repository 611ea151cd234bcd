"""A backend that writes messages to files instead of sending them.

Each batch (each :meth:`open`/:meth:`close`, or each ``send_messages`` call outside one)
becomes one file ``<timestamp>-<id>.log`` in the directory given by the ``file_path``
option, in the console backend's format. For a staging site whose messages someone reads.
"""

import os
from datetime import datetime
from pathlib import Path

from .base import InvalidBackendError
from .console import SMSBackend as ConsoleSMSBackend


class SMSBackend(ConsoleSMSBackend):
    required_options = ("file_path",)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.file_path = Path(self.file_path)
        if self.file_path.exists() and not self.file_path.is_dir():
            raise InvalidBackendError(
                f"SMS backend {self.alias!r}: file_path {str(self.file_path)!r} is not a directory."
            )
        self.stream = None
        self._fname = None

    def _get_filename(self):
        if self._fname is None:
            timestamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            self._fname = self.file_path / f"{timestamp}-{abs(id(self))}.log"
        return self._fname

    def open(self):
        if self.stream is not None:
            return False
        self.file_path.mkdir(parents=True, exist_ok=True)
        # Messages name people's numbers: only the site's user may read them.
        descriptor = os.open(self._get_filename(), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self.stream = open(descriptor, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        return True

    def close(self):
        if self.stream is not None:
            self.stream.close()
            self.stream = None

    def send_messages(self, messages):
        opened = self.open()
        try:
            return super().send_messages(messages)
        finally:
            if opened:
                self.close()
