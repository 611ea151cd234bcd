"""An editor imports the organisation's Facebook notes and finds them in the section's feed."""

import pytest
from django_q.conf import Conf

from tests.conftest import QueueWorker
from tests.grantee.factories import SectionPageFactory, SiteFactory
from tests.grantee.importers.archives import build_zip, image_bytes, media, note
from wagtail_grantee.models import PostPage

pytestmark = pytest.mark.browser


@pytest.fixture
def editor(transactional_db, django_user_model):
    return django_user_model.objects.create_superuser("editor", "editor@example.org", "s3cret-pass")


def test_editor_previews_imports_and_finds_the_post_in_the_feed(
    live_server, page, editor, tmp_path, monkeypatch
):
    port = int(live_server.url.rsplit(":", 1)[1])
    site = SiteFactory(hostname="localhost", port=port)  # the site the browser visits
    section = SectionPageFactory(parent=site.root_page.specific, title="Berita")
    archive = build_zip(
        tmp_path / "facebook-bhinneka.zip",
        notes=[
            note(
                title="Mentoring CMS di Surabaya",
                text="Tiga hari belajar “CMS” bersama Cipta Media — seru! 🙏",
                media=[media("m/peserta.jpg", "Peserta pelatihan")],
            ),
            note(title="", text="", created=99),
        ],
        files={"m/peserta.jpg": image_bytes()},
    )
    # The import waits in the queue, as on a real site, until a worker takes it.
    monkeypatch.setattr(Conf, "SYNC", False)
    worker = QueueWorker()

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", "editor")
    page.fill("input[name=password]", "s3cret-pass")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")

    page.get_by_role("button", name="Grantee tools").click()  # the menu, then its item
    page.get_by_role("link", name="Import from Facebook").click()
    page.set_input_files("input[name=archive]", str(archive))
    page.get_by_label("Section").select_option(str(section.pk))
    page.get_by_label("Publish, at the notes' original dates").check()
    page.get_by_role("button", name="Check the archive").click()

    preview = page.locator("[data-import-preview]")
    assert "Mentoring CMS di Surabaya" in preview.inner_text()
    assert "Created: 1" in preview.inner_text() and "Skipped: 1" in preview.inner_text()
    page.get_by_role("button", name="Import").click()
    page.wait_for_selector("[data-import-progress]")

    worker.drain()  # the background worker runs the import; the page polls and shows the report
    report = page.locator("[data-import-report]")
    report.wait_for()
    assert "Created: 1" in report.inner_text() and "Images added: 1" in report.inner_text()
    page.get_by_role("link", name="Mentoring CMS di Surabaya").click()  # to the editor
    assert page.locator("#id_title").input_value() == "Mentoring CMS di Surabaya"

    post = PostPage.objects.get()
    page.goto(post.full_url)
    assert "Tiga hari belajar “CMS” bersama Cipta Media — seru! 🙏" in page.content()

    page.goto(f"{section.full_url}feed/")
    feed = page.content()
    assert "Mentoring CMS di Surabaya" in feed
    worker.broker.purge_queue()
