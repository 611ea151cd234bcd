"""The admin's "Import from Facebook": upload, preview, background import, report, history."""

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from wagtail.models import GroupPagePermission, PageLogEntry

from wagtail_grantee.importers import runs
from wagtail_grantee.models import ImportRun, PostPage

from .archives import build_zip, image_bytes, media, note

pytestmark = pytest.mark.django_db

UPLOAD_URL = "/admin/import-facebook/"


def archive_upload(tmp_path, notes, files=None, name="facebook-bhinneka.zip"):
    path = build_zip(tmp_path / name, notes=notes, files=files)
    return SimpleUploadedFile(name, path.read_bytes(), content_type="application/zip")


def upload(client, section, archive, publish=False, update=False):
    data = {"archive": archive, "section": section.pk}
    if publish:
        data["publish"] = "1"
    if update:
        data["update"] = "on"
    return client.post(UPLOAD_URL, data)


def confirm_form(response):
    html = response.content.decode()
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    return {"token": token, **response.context["form"].initial}


@pytest.fixture
def editor(django_user_model, section):
    """An editor of the section who may import posts, but not publish them."""
    user = django_user_model.objects.create_user("siska", password="pw")
    group = Group.objects.create(name="Importers")
    group.permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="import_posts"),
    )
    for permission in ("add_page", "change_page"):
        GroupPagePermission.objects.create(
            group=group, page=section, permission=Permission.objects.get(codename=permission)
        )
    user.groups.add(group)
    return user


def test_the_whole_import_from_upload_to_report(
    admin_client, tmp_path, section, django_capture_on_commit_callbacks
):
    archive = archive_upload(
        tmp_path,
        [
            note(title="Catatan satu", media=[media("m/a.jpg", "Peserta")]),
            note(title="", text="", created=5),
        ],
        files={"m/a.jpg": image_bytes()},
    )
    preview = upload(admin_client, section, archive, publish=True)
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "data-import-preview" in html and "Catatan satu" in html
    assert "Created: 1" in html and "Skipped: 1" in html
    assert "no title and no text" in html
    assert PostPage.objects.count() == 0  # a preview writes nothing

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(UPLOAD_URL, confirm_form(preview))
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response.url == f"{UPLOAD_URL}{run.pk}/"
    assert run.status == ImportRun.Status.DONE  # the task ran (tests run django-q2 in sync)
    assert (run.created, run.skipped, run.images_added) == (1, 1, 1)
    assert run.archive_path == "" and not list(runs.UPLOADS_DIR.glob("*.zip"))

    post = PostPage.objects.get()
    assert post.live and post.title == "Catatan satu" and post.lead_image
    report = admin_client.get(response.url).content.decode()
    assert "data-import-report" in report and f'href="{post.full_url}"' in report
    assert reverse("wagtailadmin_pages:edit", args=[post.pk]) in report
    assert "Images added: 1" in report

    assert admin_client.get(f"{UPLOAD_URL}{run.pk}/status/").json() == {
        "status": "done",
        "done": 2,
        "total": 2,
    }
    history = admin_client.get(f"{UPLOAD_URL}history/").content.decode()
    assert "facebook-bhinneka.zip" in history and "Berita" in history
    entry = PageLogEntry.objects.get(page=section, action="wagtail_grantee.facebook_import")
    assert entry.user.is_superuser and entry.data["archive"] == "facebook-bhinneka.zip"
    section_history = admin_client.get(reverse("wagtailadmin_pages:history", args=[section.pk]))
    assert "Imported Facebook notes from facebook-bhinneka.zip" in section_history.content.decode()


def test_an_import_task_that_runs_twice_imports_once(
    admin_client, tmp_path, section, django_capture_on_commit_callbacks
):
    preview = upload(admin_client, section, archive_upload(tmp_path, [note()]))
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(UPLOAD_URL, confirm_form(preview))
    run = ImportRun.objects.get()
    assert runs.run_import(run.pk) is None
    assert PostPage.objects.count() == 1


@pytest.mark.parametrize(
    "files, message",
    [
        ({"start_here.html": b"<html>"}, "choose the JSON format"),
        ({"../x.json": b"{}"}, "unsafe name"),
    ],
)
def test_a_bad_archive_is_refused_on_upload(admin_client, tmp_path, section, files, message):
    path = build_zip(tmp_path / "a.zip", files=files)
    response = upload(admin_client, section, SimpleUploadedFile("a.zip", path.read_bytes()))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ImportRun.objects.exists() and not list(runs.UPLOADS_DIR.glob("*.zip"))


def test_an_archive_larger_than_the_upload_limit_is_refused(
    admin_client, tmp_path, section, settings
):
    settings.WAGTAIL_GRANTEE = {"FACEBOOK_IMPORT_MAX_UPLOAD": 100}
    response = upload(admin_client, section, archive_upload(tmp_path, [note()]))
    assert "larger than 100" in response.content.decode()


def test_a_failed_import_shows_its_problem_and_writes_nothing(admin_client, tmp_path, section):
    preview = upload(admin_client, section, archive_upload(tmp_path, [note()]))
    form = confirm_form(preview)
    section.delete()
    response = admin_client.post(UPLOAD_URL, form)
    # The section is gone: the form refuses it before anything is queued.
    assert response.status_code == 200 and not ImportRun.objects.exists()


def test_without_the_permission_every_view_is_refused(client, django_user_model, tmp_path, section):
    user = django_user_model.objects.create_user("tamu", password="pw")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    run = ImportRun.objects.create(source="facebook", archive_name="a.zip", parent=section)
    urls = [
        UPLOAD_URL,
        f"{UPLOAD_URL}history/",
        f"{UPLOAD_URL}{run.pk}/",
        f"{UPLOAD_URL}{run.pk}/status/",
    ]
    for url in urls:
        response = client.get(url)
        # Wagtail answers a PermissionDenied with a redirect to the dashboard and a message.
        assert (response.status_code, response.url) == (302, "/admin/"), url
    response = upload(client, section, archive_upload(tmp_path, [note()]))
    assert (response.status_code, response.url) == (302, "/admin/")
    assert not list(runs.UPLOADS_DIR.glob("*.zip"))
    assert "Import from Facebook" not in client.get("/admin/").content.decode()


def test_an_editor_imports_drafts_into_their_section_but_may_not_publish(
    client, editor, tmp_path, section, django_capture_on_commit_callbacks
):
    client.force_login(editor)
    assert "Import from Facebook" in client.get("/admin/").content.decode()
    response = upload(client, section, archive_upload(tmp_path, [note()]), publish=True)
    assert "You may not publish posts in this section." in response.content.decode()
    preview = upload(client, section, archive_upload(tmp_path, [note()]))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(UPLOAD_URL, confirm_form(preview))
    post = PostPage.objects.get()
    assert not post.live and post.owner == editor


def test_an_upload_token_is_good_for_its_user_only(admin_client, client, editor, tmp_path, section):
    preview = upload(admin_client, section, archive_upload(tmp_path, [note()]))
    client.force_login(editor)
    response = client.post(UPLOAD_URL, confirm_form(preview), follow=True)
    assert "no longer available" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_an_import_that_fails_in_the_background_says_why(admin_client, tmp_path, section):
    broken = tmp_path / "uploads"
    broken.mkdir()
    path = broken / "rusak.zip"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    run = ImportRun.objects.create(
        source="facebook", archive_name="rusak.zip", archive_path=str(path), parent=section
    )
    assert runs.run_import(run.pk) == ImportRun.Status.FAILED
    run.refresh_from_db()
    assert run.error == "rusak.zip is not a zip file." and not path.exists()
    page = admin_client.get(f"{UPLOAD_URL}{run.pk}/").content.decode()
    assert "data-import-failed" in page and "rusak.zip is not a zip file." in page
    assert PostPage.objects.count() == 0
