import socket
from types import SimpleNamespace

import pytest

from wagtail_grantee_sms.backends import locmem


@pytest.fixture(autouse=True)
def sms_outbox():
    """Every test starts with an empty ``wagtail_grantee_sms.outbox`` and no forced failures."""
    import wagtail_grantee_sms

    locmem.reset()
    yield wagtail_grantee_sms.outbox
    locmem.reset()


@pytest.fixture(autouse=True)
def import_uploads_dir(tmp_path, monkeypatch):
    """Each test keeps import uploads in its own folder (erasure empties the folder)."""
    from wagtail_grantee_sms import importing

    monkeypatch.setattr(importing, "UPLOADS_DIR", tmp_path / "imports")
    return importing.UPLOADS_DIR


@pytest.fixture
def refusing_url():
    """The URL of a local port nothing listens on: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/send"


@pytest.fixture
def silent_gateway():
    """A local gateway that takes every request and never answers (a read timeout).

    ``silent_gateway.url`` is its address; ``silent_gateway.requests()`` counts the requests
    that reached it so far.
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)  # the kernel completes connections without accept()
    listener.setblocking(False)
    received = []

    def requests():
        while True:
            try:
                connection, _ = listener.accept()
            except BlockingIOError:
                return len(received)
            received.append(connection)

    gateway = SimpleNamespace(url=f"http://127.0.0.1:{listener.getsockname()[1]}/send")
    gateway.requests = requests
    yield gateway
    for connection in received:
        connection.close()
    listener.close()
