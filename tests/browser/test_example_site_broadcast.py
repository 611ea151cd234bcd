"""The example site as `make demo` runs it — `manage.py setup_demo`, then a django-q2 worker
(`qcluster`) and the web server (`runserver`) as two processes — on a fresh SQLite database:
the demo's admin composes a broadcast to the volunteers with a curly quote in it, sees it cost
two SMS per person, replaces the quote with one click, sees the cost, confirms, and watches
the progress bar reach 100% as the worker sends it, without reloading the page.

The site always runs on SQLite with its ORM broker (its defaults), also when the tests run on
PostgreSQL: it is the configuration a new user starts, and the one where the web server and the
worker compete for one database file. Two workers on PostgreSQL and Redis are proven by
``tests/sms/test_broadcasting_scale.py``.
"""

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from contextlib import closing, suppress
from types import SimpleNamespace

import pytest

from tests.foundation.test_example_site import EXAMPLE_SITE, example_site_env, run_manage

pytestmark = pytest.mark.browser

PASSWORD = "demo-password"  # what example_site_env gives the demo's "admin"
TEXT = (
    "Halo {first_name}, rapat relawan hari Sabtu pukul 09.00 di kantor. Jangan lupa bawa "
    "KTP dan alat tulis."
)
VOLUNTEERS = 14  # the verified members of the demo's group "Relawan"
PRICE = 350  # the demo's IDR per SMS


def free_port():
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, what, timeout=60.0, processes=()):
    deadline = time.monotonic() + timeout
    while not condition():
        for process in processes:
            if process.poll() is not None:
                raise AssertionError(f"{what}: {process.args[2]} stopped ({process.returncode})")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.2)


def answers(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (our own server)
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def example_site(tmp_path):
    """The example site served on a free port with its worker; both stopped afterwards, with
    every process they started (each runs in its own process group)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = example_site_env(tmp_path, url)
    run_manage(env, "setup_demo", "-v0")
    manage = [sys.executable, "manage.py"]
    logs = {name: tmp_path / f"{name}.log" for name in ("qcluster", "runserver")}
    commands = {
        "qcluster": [*manage, "qcluster"],
        "runserver": [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
    }
    processes = {}
    try:
        for name, command in commands.items():
            with logs[name].open("w") as log:
                processes[name] = subprocess.Popen(
                    command,
                    cwd=EXAMPLE_SITE,
                    env=env | {"PYTHONUNBUFFERED": "1"},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        running = list(processes.values())
        wait_for(lambda: answers(f"{url}/admin/login/"), "the web server", processes=running)
        wait_for(
            lambda: "running." in logs["qcluster"].read_text(),
            "the worker",
            processes=running,
        )
        yield SimpleNamespace(
            url=url,
            database=tmp_path / "demo.sqlite3",
            worker=processes["qcluster"],
            worker_log=logs["qcluster"],
        )
    finally:
        for process in processes.values():
            # The main process stops its own children (a cluster whose children are all
            # signalled at once hangs); a held worker must be let go to hear it.
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGCONT)
            process.terminate()
        for process in processes.values():
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
            with suppress(ProcessLookupError):  # whatever is left of its process group
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        for name, log in logs.items():
            if log.exists():
                print(f"--- {name} (last lines)\n" + log.read_text()[-3000:])


def hold(worker, database):
    """Freeze the worker's processes, at a moment when none of them writes to the database
    (SQLite: a frozen writer would keep everyone else waiting)."""
    while True:
        os.killpg(worker.pid, signal.SIGSTOP)
        with closing(sqlite3.connect(database, timeout=0.2, isolation_level=None)) as probe:
            try:
                probe.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:  # it was writing: let it finish
                os.killpg(worker.pid, signal.SIGCONT)
                time.sleep(0.05)
                continue
            probe.execute("ROLLBACK")
        return


def stored(database, query):
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        return connection.execute(query).fetchall()


def test_an_editor_confirms_a_broadcast_and_watches_the_worker_send_it(chromium, example_site):
    site = example_site
    context = chromium.new_context(locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        page.goto(f"{site.url}/admin/login/")
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{site.url}/admin/")
        # the demo's budget, in Indonesian number format
        assert page.locator("[data-sms-broadcast-panel] [data-budget-total]").inner_text() == (
            "500.000,00 IDR"
        )

        page.goto(f"{site.url}/admin/sms/broadcasts/new/")
        counter = page.locator("#id_body-counter")
        page.fill("#id_body", TEXT)
        assert counter.get_attribute("data-encoding") == "GSM-7"
        assert counter.get_attribute("data-segments") == "1"
        assert "karakter" in counter.inner_text()  # the demo's admin speaks Indonesian

        # A curly apostrophe, as phones type it: Unicode, two SMS instead of one.
        page.locator("#id_body").press_sequentially(" Don\u2019t")
        assert counter.get_attribute("data-encoding") == "UCS-2"
        assert counter.get_attribute("data-segments") == "2"
        assert counter.locator("mark").first.inner_text() == "\u2019"
        counter.get_by_role("button", name="Ganti karakter yang mirip").click()
        assert page.input_value("#id_body").endswith("Don't")
        assert counter.get_attribute("data-segments") == "1"

        page.locator("label:has(input[name=groups])", has_text="Relawan").locator("input").check()
        page.get_by_text(f"{VOLUNTEERS} kontak akan menerimanya.").wait_for()
        page.wait_for_selector("[data-total][data-exact='1']")  # the server's exact total
        total = page.locator("[data-total]")
        assert total.get_attribute("data-segments") == str(VOLUNTEERS)
        assert total.get_attribute("data-cost") == f"{VOLUNTEERS * PRICE}.00"
        assert "4.900,00 IDR" in total.inner_text()  # as Indonesian writes amounts
        assert page.locator("[data-sms-compose] [data-budget-committed]").inner_text() == (
            "0,00 IDR"
        )

        page.get_by_role("button", name="Lanjut ke konfirmasi").click()
        page.wait_for_url("**/confirm/")
        assert page.locator("[data-fact=recipients]").inner_text() == str(VOLUNTEERS)
        assert "4.900,00 IDR" in page.locator("[data-fact=cost]").inner_text()

        # The worker is held still while she confirms, so that the page shows the broadcast
        # before anything is sent; it goes on as soon as the page is there.
        hold(site.worker, site.database)
        page.locator("[data-confirm-button]").click()
        page.wait_for_url(re.compile(r".*/sms/broadcasts/\d+/$"))
        progress = page.locator("[data-sms-progress]")
        assert progress.locator("[data-percent]").inner_text() == "0%"
        assert progress.locator("[data-count=queued]").inner_text() == str(VOLUNTEERS)
        page.evaluate("window.notReloaded = true")
        os.killpg(site.worker.pid, signal.SIGCONT)

        page.wait_for_function(
            "() => document.querySelector('[data-sms-progress]').dataset.percentDone === '100'"
            " && document.querySelector('[data-status]').textContent === 'Selesai'"
        )
        assert page.evaluate("window.notReloaded") is True  # the page updated itself
        assert progress.locator("[data-percent]").inner_text() == "100%"
        assert progress.locator("[data-count=accepted]").inner_text() == str(VOLUNTEERS)
        assert progress.locator("[data-count=queued]").inner_text() == "0"
        assert (
            page.locator("[data-sms-progress] [role=progressbar]").get_attribute("aria-valuenow")
            == "100"
        )
    finally:
        context.close()

    [(status, finished_at, body)] = stored(
        site.database,
        "SELECT status, finished_at, body FROM wagtail_grantee_sms_broadcast "
        "ORDER BY id DESC LIMIT 1",
    )
    assert (status, body) == ("done", TEXT + " Don't")
    assert finished_at is not None
    deliveries = stored(
        site.database,
        "SELECT status, COUNT(*) FROM wagtail_grantee_sms_delivery WHERE broadcast_id = "
        "(SELECT MAX(id) FROM wagtail_grantee_sms_broadcast) GROUP BY status",
    )
    assert deliveries == [("accepted", VOLUNTEERS)]
    # the console backend printed each SMS in the worker's terminal, names filled in
    printed = site.worker_log.read_text()
    assert printed.count("rapat relawan hari Sabtu") == VOLUNTEERS
    assert "Halo {first_name}" not in printed
