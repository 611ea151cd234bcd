"""The backends that do not talk HTTP: dummy, filebased and Gammu's spool folders."""

import os
from datetime import datetime

import pytest
from django.utils import timezone

from wagtail_grantee_sms.backends import (
    DeliveryStatus,
    InvalidBackendError,
    OutgoingSMS,
    SMSBackendError,
)
from wagtail_grantee_sms.backends.dummy import SMSBackend as DummyBackend
from wagtail_grantee_sms.backends.filebased import SMSBackend as FileBackend
from wagtail_grantee_sms.backends.gammu import SMSBackend as GammuBackend

MESSAGE = OutgoingSMS(to="+6281234567890", body="Rapat desa jam 3", reference="7f3e-aa01")


def test_dummy_accepts_everything_and_sends_nothing(sms_outbox):
    results = DummyBackend().send_messages([MESSAGE, MESSAGE])
    assert [r.accepted for r in results] == [True, True]
    assert sms_outbox == []


def test_filebased_writes_one_private_file_per_batch(tmp_path):
    backend = FileBackend(file_path=str(tmp_path / "sms"))

    with backend:
        backend.send_messages([MESSAGE])
        backend.send_messages([OutgoingSMS(to="+6281111111111", body="Kedua")])

    [written] = (tmp_path / "sms").iterdir()
    text = written.read_text(encoding="utf-8")
    assert "+6281234567890" in text and "Rapat desa jam 3" in text and "Kedua" in text
    assert oct(written.stat().st_mode & 0o777) == "0o600"


def test_filebased_refuses_a_file_as_its_directory(tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(InvalidBackendError, match="not a directory"):
        FileBackend(file_path=str(tmp_path / "f"))


# -- Gammu ------------------------------------------------------------------------------


@pytest.fixture
def spool(tmp_path):
    folders = {name: tmp_path / name for name in ("outbox", "inbox", "sent", "error")}
    for folder in folders.values():
        folder.mkdir()
    return folders


def gammu(spool, **options):
    return GammuBackend(
        alias="modem",
        outbox_path=str(spool["outbox"]),
        inbox_path=str(spool["inbox"]),
        sent_path=str(spool["sent"]),
        error_path=str(spool["error"]),
        **options,
    )


def test_gammu_writes_outbox_files_the_daemon_reads(spool):
    unicode = OutgoingSMS(to="+6281111111111", body="Terima kasih 🙏", reference="b2")

    results = gammu(spool, priority="B").send_messages([MESSAGE, unicode])

    names = sorted(path.name for path in spool["outbox"].iterdir())
    now = timezone.localtime()
    assert len(names) == 2
    assert names[0].startswith(f"OUTB{now:%Y%m%d}_")
    assert names[0].endswith("_00_+6281234567890_7f3e-aa01.txt")
    assert names[1].endswith("_01_+6281111111111_b2.txt")
    # UTF-16 with a byte order mark, read by Gammu as Unicode whatever its locale.
    data = (spool["outbox"] / names[1]).read_bytes()
    assert data[:2] == b"\xff\xfe"
    assert data.decode("utf-16") == "Terima kasih 🙏"
    assert [r.message_id for r in results] == ["7f3e-aa01", "b2"]
    assert [r.status for r in results] == [DeliveryStatus.ACCEPTED] * 2


def test_gammu_asks_for_delivery_reports_with_the_d_option(spool):
    gammu(spool, delivery_reports=True).send_messages([MESSAGE])
    [path] = spool["outbox"].iterdir()
    assert path.name.endswith(".txtd")


def test_gammu_without_reference_makes_an_id(spool):
    [result] = gammu(spool).send_messages([OutgoingSMS(to="+6281234567890", body="x")])
    [path] = spool["outbox"].iterdir()
    assert len(result.message_id) == 32
    assert result.message_id in path.name


def test_gammu_outbox_that_cannot_be_written_raises(spool):
    backend = gammu(spool)
    backend.outbox_path = spool["outbox"] / "missing"
    with pytest.raises(SMSBackendError, match="Gammu outbox"):
        backend.send_messages([MESSAGE])
    backend.fail_silently = True
    [result] = backend.send_messages([MESSAGE])
    assert (result.accepted, result.permanent) == (False, False)


def test_gammu_refuses_a_bad_priority(spool):
    with pytest.raises(InvalidBackendError, match="priority"):
        gammu(spool, priority="high")


def test_gammu_reports_what_the_daemon_sent_or_gave_up_on_once(spool):
    backend = gammu(spool)
    first, second = backend.send_messages(
        [MESSAGE, OutgoingSMS(to="+6281111111111", body="x", reference="b2")]
    )
    # The daemon moves each outbox file to sent items or errors, under the same name.
    for path in spool["outbox"].iterdir():
        target = spool["sent"] if "7f3e" in path.name else spool["error"]
        path.rename(target / path.name)
    (spool["sent"] / "unrelated.txt").write_text("not ours")

    reports = list(backend.collect_reports())

    assert {(r.message_id, r.status, r.permanent) for r in reports} == {
        ("7f3e-aa01", DeliveryStatus.SENT, False),
        ("b2", DeliveryStatus.FAILED, False),
    }
    assert list(backend.collect_reports()) == []
    assert (spool["sent"] / "processed").is_dir()
    assert (spool["sent"] / "unrelated.txt").exists()


def test_gammu_collects_inbound_messages_joining_parts(spool):
    inbox = spool["inbox"]
    (inbox / "IN20261128_071502_00_+6281234567890_00.txt").write_bytes("Saya mau ".encode("utf-16"))
    (inbox / "IN20261128_071502_00_+6281234567890_01.txt").write_bytes(
        "berhenti 🙏".encode("utf-16")
    )
    (inbox / "IN20261128_071502_01_TELKOMSEL_00.txt").write_bytes(b"Sisa pulsa Rp 5.000")
    (inbox / "IN20261128_071502_02_+6281111111111_00.bin").write_bytes(b"\x00\x01")

    inbound = list(gammu(spool).collect_inbound())

    assert [(m.sender, m.body, m.message_id) for m in inbound] == [
        ("+6281234567890", "Saya mau berhenti 🙏", "20261128_071502_00"),
        ("TELKOMSEL", "Sisa pulsa Rp 5.000", "20261128_071502_01"),
    ]
    assert inbound[0].received_at == timezone.make_aware(datetime(2026, 11, 28, 7, 15, 2))
    assert list(gammu(spool).collect_inbound()) == []
    assert sorted(os.listdir(inbox / "processed")) == [
        "IN20261128_071502_00_+6281234567890_00.txt",
        "IN20261128_071502_00_+6281234567890_01.txt",
        "IN20261128_071502_01_TELKOMSEL_00.txt",
    ]


def test_gammu_without_inbox_path_collects_nothing(spool):
    backend = GammuBackend(outbox_path=str(spool["outbox"]))
    assert list(backend.collect_inbound()) == []
    assert list(backend.collect_reports()) == []
