"""An editor composes a broadcast on a phone-sized screen: a curly quote makes it Unicode, one
click replaces it, the cost shows, she confirms and watches the progress reach 100%.

The JavaScript counter is also checked against the shared test vectors of ``encoding``."""

import json
from pathlib import Path

import pytest

import wagtail_grantee_sms
from tests.sms.factories import ContactFactory, ContactGroupFactory, UserFactory
from tests.sms.pipeline_backends import configure
from wagtail_grantee_sms import encoding
from wagtail_grantee_sms.models import Broadcast, Contact, Delivery

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.browser.urls")]

STATIC = Path(wagtail_grantee_sms.__file__).parent / "static" / "wagtail_grantee_sms"
VECTORS = Path(__file__).parents[1] / "sms" / "data" / "encoding_vectors.json"
PHONE = {"width": 390, "height": 844}


def test_the_javascript_counter_agrees_with_the_shared_vectors(page):
    page.set_content("<!doctype html><html><body></body></html>")
    page.add_script_tag(path=str(STATIC / "broadcasts" / "sms-counter.js"))
    tables = json.loads((STATIC / "gsm7.json").read_text(encoding="utf-8"))
    vectors = json.loads(VECTORS.read_text(encoding="utf-8"))

    measured = page.evaluate(
        """([vectors, tables]) => vectors.map((v) => {
            const m = window.wagtailGranteeSms.measureSms(v.text, tables);
            return [m.encoding, m.segments, m.units, m.characters];
        })""",
        [vectors, tables],
    )

    expected = [[v["encoding"], v["segments"], v["units"], v["characters"]] for v in vectors]
    assert measured == expected
    # and the look-alike replacement is the Python one
    text = "\u201cRapat\u201d \u2013 jangan lupa\u2026"
    assert page.evaluate(
        "([t, tables]) => window.wagtailGranteeSms.toGsm7(t, tables)", [text, tables]
    ) == encoding.to_gsm7(text)


@pytest.fixture
def priced_locmem(settings):
    configure(settings, price="350")
    wagtail_grantee_sms.outbox = []


def test_an_editor_composes_checks_the_cost_confirms_and_watches_it_go_out(
    live_server, chromium, transactional_db, priced_locmem
):
    UserFactory(
        username="sri",
        password="s3cret-pass",
        permissions=["add_broadcast", "change_broadcast", "send_broadcast"],
    )
    volunteers = ContactGroupFactory(name="Relawan")
    for n in range(5):
        ContactFactory(name=f"Relawan {n}", status=Contact.Status.VERIFIED).groups.add(volunteers)
    ContactFactory(name="Sudah Berhenti", status=Contact.Status.OPTED_OUT).groups.add(volunteers)

    context = chromium.new_context(locale="en-GB", viewport=PHONE, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("input[name=username]", "sri")
        page.fill("input[name=password]", "s3cret-pass")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/admin/")

        page.goto(f"{live_server.url}/admin/sms/broadcasts/new/")
        counter = page.locator("#id_body-counter")
        page.fill(
            "#id_body",
            "Halo {first_name}, rapat relawan hari Sabtu pukul 09.00 di balai desa. "
            "Jangan lupa bawa KTP dan alat tulis.",
        )
        assert counter.get_attribute("data-encoding") == "GSM-7"
        assert counter.get_attribute("data-segments") == "1"

        # A curly apostrophe, as phones type it: Unicode, and two SMS instead of one.
        page.locator("#id_body").press_sequentially(" Don\u2019t")
        assert counter.get_attribute("data-encoding") == "UCS-2"
        assert counter.get_attribute("data-segments") == "2"
        assert "\u2019" in counter.locator("mark").first.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        counter.get_by_role("button", name="Replace the look-alike characters").click()
        assert page.input_value("#id_body").endswith("Don't")
        assert counter.get_attribute("data-encoding") == "GSM-7"
        assert counter.get_attribute("data-segments") == "1"

        # The groups: who gets it, who is left out, and the cost.
        page.locator(f"input[name=groups][value='{volunteers.pk}']").check()
        summary = page.locator("[data-summary]")
        summary.get_by_text("5 contacts will receive it.").wait_for()
        assert "Opted out: 1 left out" in summary.inner_text()
        total = page.locator("[data-total]")
        page.wait_for_selector("[data-total][data-exact='1']")  # the server's exact estimate
        assert total.get_attribute("data-segments") == "5"
        assert total.get_attribute("data-cost") == "1750.00"
        assert "1,750.00 IDR" in total.inner_text()  # as the page's language writes it
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        page.get_by_role("button", name="Continue to confirm").click()
        page.wait_for_url("**/confirm/")
        assert page.locator("[data-fact=recipients]").inner_text() == "5"
        assert "1,750.00 IDR" in page.locator("[data-fact=cost]").inner_text()
        page.locator("[data-confirm-button]").click()

        page.wait_for_url("**/sms/broadcasts/*/")
        progress = page.locator("[data-sms-progress]")
        # the page asks the server for the progress (without a reload) until it is done
        page.wait_for_function(
            "() => { const p = document.querySelector('[data-sms-progress]').dataset;"
            " return p.polled && p.percentDone === '100'; }"
        )
        assert progress.locator("[data-percent]").inner_text() == "100%"
        assert progress.locator("[data-count=accepted]").inner_text() == "5"
        # nothing on the page is wider than the phone
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()

    broadcast = Broadcast.objects.get()
    assert broadcast.body.endswith("Don't")
    assert Delivery.objects.filter(broadcast=broadcast).count() == 5
    assert len(wagtail_grantee_sms.outbox) == 5
