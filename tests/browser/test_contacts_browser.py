"""An editor imports supporters, sends a verification SMS, and the reply verifies the number."""

import pytest

import wagtail_grantee_sms
from wagtail_grantee_sms.models import Contact

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.browser.urls")]

WEBHOOK_SECRET = "browser-test-secret"

CSV = (
    "nama,no hp,bahasa,grup\n"
    "Ani Lubis,0812-3456-7890,Indonesia,Relawan\n"
    "Nomor Salah,12345,,\n"
    "Ani Lagi,+62 812 3456 7890,,\n"
    "Budi Santoso,0857 1111 2222,English,\n"
)


@pytest.fixture
def sms_settings(settings):
    settings.WAGTAIL_GRANTEE_SMS = {
        "BACKENDS": {
            "default": {"BACKEND": "wagtail_grantee_sms.backends.locmem.SMSBackend"},
            # The gateway whose inbound webhook the simulated reply comes through.
            "gateway": {
                "BACKEND": "wagtail_grantee_sms.backends.http.SMSBackend",
                "OPTIONS": {
                    "url": "https://sms.example.invalid/send",
                    "webhook_secret": WEBHOOK_SECRET,
                    "inbound_fields": {"sender": "from", "body": "text"},
                },
            },
        }
    }
    wagtail_grantee_sms.outbox = []
    return settings


@pytest.fixture
def editor(transactional_db, django_user_model):
    return django_user_model.objects.create_superuser("editor", "editor@example.org", "s3cret-pass")


def test_editor_imports_sends_verification_and_the_reply_verifies(
    live_server, page, editor, sms_settings, tmp_path
):
    csv_file = tmp_path / "pendukung.csv"
    csv_file.write_text(CSV)

    # Log in.
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", "editor")
    page.fill("input[name=password]", "s3cret-pass")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")

    # Import: upload, check the rows, see the errors, import.
    page.goto(f"{live_server.url}/admin/snippets/wagtail_grantee_sms/contact/")
    page.get_by_role("link", name="Import").click()
    page.set_input_files("input[name=file]", str(csv_file))
    page.get_by_role("button", name="Upload").click()
    page.get_by_role("button", name="Check the rows").click()
    errors = page.locator("[data-import-errors]")
    assert "Nomor Salah" in errors.inner_text()  # the name and the masked number, not a row only
    assert "Missing or not a valid phone number." in errors.inner_text()
    assert "Same number as row 2 of the file." in errors.inner_text()
    # "Relawan" does not exist: the preview asks before creating it.
    assert "Relawan" in page.locator("[data-import-new-groups]").inner_text()
    page.get_by_label("Create the groups").check()
    page.get_by_role("button", name="Import 2 contacts").click()
    page.wait_for_url("**/admin/snippets/wagtail_grantee_sms/contact/")
    assert "2 contacts imported" in page.content()

    # From the list, the name opens the contact's page: its status and the actions.
    ani = Contact.objects.get(phone="+6281234567890")
    assert ani.status == Contact.Status.UNVERIFIED
    assert ani.consent_given_at is not None
    assert list(ani.groups.values_list("name", flat=True)) == ["Relawan"]
    page.get_by_role("link", name="Ani Lubis").click()
    page.wait_for_url(f"**/contact/inspect/{ani.pk}/")
    assert "Unverified" in page.inner_text("main")

    # Send a verification SMS asking for a reply.
    page.get_by_role("link", name="Send verification SMS").click()
    page.get_by_label("Ask the contact to reply YA").check()
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(f"**/contact/inspect/{ani.pk}/")
    assert "Pending verification" in page.content()
    assert [sms.to for sms in wagtail_grantee_sms.outbox] == ["+6281234567890"]
    assert "balas YA" in wagtail_grantee_sms.outbox[0].body

    # Ani replies YA; the gateway passes it on to the inbound webhook.
    response = page.request.post(
        f"{live_server.url}/grantee/sms/webhooks/gateway/inbound/?token={WEBHOOK_SECRET}",
        form={"from": "6281234567890", "text": "YA"},
    )
    assert response.ok

    page.reload()
    ani.refresh_from_db()
    assert ani.status == Contact.Status.VERIFIED
    history = page.inner_text("main")
    assert "Verified" in history
    assert "SMS reply from the contact: reply YA" in history
