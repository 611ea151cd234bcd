"""The feed sources in the admin, the management commands, OPML and the schedule."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_q.models import Schedule
from wagtail.models import ModelLogEntry

from tests.grantee.aggregator.server import rss, rss_items
from tests.grantee.factories import FeedEntryFactory, FeedSourceFactory
from wagtail_grantee import tasks
from wagtail_grantee.aggregator.opml import export_opml, import_opml
from wagtail_grantee.models import FeedSource

pytestmark = pytest.mark.django_db

LIST_URL = "/admin/snippets/wagtail_grantee/feedsource/"

OPML = b"""<?xml version="1.0"?>
<opml version="2.0"><head><title>Mitra</title></head><body>
  <outline text="Mitra Cipta Media">
    <outline text="Lembaga Bhinneka" type="rss" xmlUrl="https://bhinneka.example.org/feed/"
             htmlUrl="https://bhinneka.example.org/"/>
    <outline text="Only a website" htmlUrl="https://web.example.org/"/>
    <outline text="Not http" xmlUrl="file:///etc/passwd"/>
  </outline>
</body></opml>"""


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("admin", "a@example.org", "pw")
    client.force_login(user)
    return client


@pytest.fixture
def editor_client(client, django_user_model):
    """An editor with access to the admin but no permission on feed sources."""
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("editor", "e@example.org", "pw")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    return client


def test_list_shows_the_state_of_each_source(admin_client):
    failing = FeedSourceFactory(name="Sumber Gagal", error_count=3, last_status=500)
    FeedEntryFactory.create_batch(2, source=failing)
    FeedSourceFactory(name="Sumber Mati", active=False)

    response = admin_client.get(LIST_URL)

    content = response.content.decode()
    assert response.status_code == 200
    assert "Failing (3)" in content and "Inactive" in content
    assert "Fetch now" in content and "Import OPML" in content and "Export OPML" in content


def test_filters_for_failing_and_inactive_sources(admin_client):
    FeedSourceFactory(name="Sumber Gagal", error_count=1)
    FeedSourceFactory(name="Sumber Mati", active=False)
    FeedSourceFactory(name="Sumber Sehat")

    failing = admin_client.get(LIST_URL, {"state": "failing"}).content.decode()
    inactive = admin_client.get(LIST_URL, {"state": "inactive"}).content.decode()

    assert "Sumber Gagal" in failing and "Sumber Sehat" not in failing
    assert "Sumber Mati" in inactive and "Sumber Gagal" not in inactive


def test_fetch_now_fetches_a_backing_off_source_and_logs_it(admin_client, server):
    server.feed("/feed/", rss(rss_items(3)))
    source = FeedSourceFactory(feed_url=server.url("/feed/"), error_count=4)
    url = reverse("wagtailsnippets_wagtail_grantee_feedsource:fetch", args=[source.pk])

    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, follow=True)

    source.refresh_from_db()
    assert source.entries.count() == 3 and source.error_count == 0
    assert "fetched, 3 new, 0 updated" in response.content.decode()
    assert ModelLogEntry.objects.filter(action="wagtail_grantee.feed_fetch").count() == 1


def test_the_inspect_view_shows_the_last_error_and_offers_fetch_now(admin_client):
    source = FeedSourceFactory(error_count=2, last_error="The server answered HTTP 503.")
    url = reverse("wagtailsnippets_wagtail_grantee_feedsource:inspect", args=[source.pk])

    content = admin_client.get(url).content.decode()

    assert "The server answered HTTP 503." in content
    fetch_url = reverse("wagtailsnippets_wagtail_grantee_feedsource:fetch", args=[source.pk])
    assert f'href="{fetch_url}"' in content


def test_fetch_now_reports_the_error(admin_client, server):
    server.add("/feed/", status=404)
    source = FeedSourceFactory(feed_url=server.url("/feed/"))
    url = reverse("wagtailsnippets_wagtail_grantee_feedsource:fetch", args=[source.pk])

    response = admin_client.post(url, follow=True)

    assert "The server answered HTTP 404." in response.content.decode()


def test_admin_views_need_permissions(editor_client):
    source = FeedSourceFactory()
    for name, args in [("fetch", [source.pk]), ("import_opml", []), ("export_opml", [])]:
        url = reverse(f"wagtailsnippets_wagtail_grantee_feedsource:{name}", args=args)
        assert editor_client.get(url).status_code in (302, 403)
        assert editor_client.post(url).status_code in (302, 403)
    assert FeedSource.objects.get().last_fetched_at is None


def test_opml_upload_and_download_in_the_admin(admin_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = admin_client.post(
        reverse("wagtailsnippets_wagtail_grantee_feedsource:import_opml"),
        {"file": SimpleUploadedFile("mitra.opml", OPML)},
        follow=True,
    )
    assert "2 sources added, 1 skipped." in response.content.decode()

    download = admin_client.get(reverse("wagtailsnippets_wagtail_grantee_feedsource:export_opml"))
    assert download["Content-Disposition"] == 'attachment; filename="feed-sources.opml"'
    assert b'xmlUrl="https://bhinneka.example.org/feed/"' in download.content


def test_a_broken_opml_upload_says_why_and_adds_nothing(admin_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = admin_client.post(
        reverse("wagtailsnippets_wagtail_grantee_feedsource:import_opml"),
        {"file": SimpleUploadedFile("x.opml", b"<opml><body><outline")},
    )
    assert response.status_code == 200
    assert "The file is not valid OPML" in response.content.decode()
    assert FeedSource.objects.count() == 0


def test_opml_round_trip(tmp_path):
    result = import_opml(OPML)
    assert [s.name for s in result.added] == ["Lembaga Bhinneka", "Only a website"]
    assert result.skipped == [("Not http", "not an http or https address")]
    website_only = FeedSource.objects.get(name="Only a website")
    assert (website_only.site_url, website_only.feed_url) == ("https://web.example.org/", "")

    exported = tmp_path / "out.opml"
    call_command("export_opml", output=exported, stderr=StringIO())
    FeedSource.objects.all().delete()
    out = StringIO()
    call_command("import_opml", str(exported), stdout=out)

    assert "2 sources added, 0 skipped." in out.getvalue()
    assert sorted(FeedSource.objects.values_list("name", "site_url", "feed_url")) == [
        ("Lembaga Bhinneka", "https://bhinneka.example.org/", "https://bhinneka.example.org/feed/"),
        ("Only a website", "https://web.example.org/", ""),
    ]
    # Importing again adds nothing.
    assert import_opml(exported.read_bytes()).added == []


def test_opml_with_entities_is_refused():
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><opml><body></body></opml>'
    with pytest.raises(Exception, match="not valid OPML"):
        import_opml(bomb)


def test_export_opml_to_stdout():
    FeedSourceFactory(name="Bhinneka")
    out = StringIO()
    call_command("export_opml", stdout=out)
    assert 'text="Bhinneka"' in out.getvalue()
    assert export_opml().startswith(b"<?xml")


def test_import_opml_command_reports_a_missing_file():
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_opml", "/nonexistent.opml")


def test_fetch_feeds_prints_one_line_per_source_and_a_summary(server):
    server.feed("/ok/", rss(rss_items(2)))
    server.add("/broken/", status=500)
    ok = FeedSourceFactory(name="Bhinneka", feed_url=server.url("/ok/"))
    broken = FeedSourceFactory(name="Rusak", feed_url=server.url("/broken/"))
    FeedSourceFactory(name="Other", feed_url=server.url("/ok/"))
    out = StringIO()

    call_command("fetch_feeds", "--source", str(ok.pk), str(broken.pk), stdout=out)

    lines = out.getvalue().splitlines()
    assert f"[{ok.pk}] Bhinneka: fetched, 2 new, 0 updated" in lines
    assert f"[{broken.pk}] Rusak: error: The server answered HTTP 500." in lines
    assert lines[-1].startswith("2 sources: 1 fetched (2 new, 0 updated entries), 0 not modified")

    out = StringIO()
    call_command("fetch_feeds", "--source", str(ok.pk), stdout=out)  # not due any more
    assert out.getvalue().startswith("0 sources")
    call_command("fetch_feeds", "--source", str(ok.pk), "--force", stdout=out)
    assert "Bhinneka: not modified" in out.getvalue() or "0 new, 0 updated" in out.getvalue()


def test_fetch_feeds_prune(server):
    old = rss_items(1, "old")[0] | {"pubDate": "Mon, 01 Jan 2001 10:00:00 +0000"}
    server.feed("/feed/", rss([old]))
    FeedSourceFactory(feed_url=server.url("/feed/"))
    out = StringIO()
    call_command("fetch_feeds", "--prune", "30", stdout=out)
    assert "Pruned 1 entries older than 30 days." in out.getvalue()
    with pytest.raises(CommandError):
        call_command("fetch_feeds", "--prune", "0")


def test_the_schedule_exists_after_migrate_and_runs_the_task(server):
    schedule = Schedule.objects.get(name=tasks.AGGREGATOR_SCHEDULE)
    assert (schedule.func, schedule.schedule_type, schedule.minutes) == (
        "wagtail_grantee.tasks.fetch_feeds",
        Schedule.MINUTES,
        15,
    )
    server.feed("/feed/", rss(rss_items(1)))
    FeedSourceFactory(feed_url=server.url("/feed/"))
    assert tasks.fetch_feeds().startswith("1 sources: 1 fetched (1 new")
