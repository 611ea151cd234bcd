"""Publish posts while a worker thread writes, on the example site's SQLite settings.

Run by ``test_sqlite_concurrency.py`` in its own process, as ``python sqlite_publish_race.py
DATABASE_FILE [--migrate-only | --without-options]``: the example site's settings with
``DATABASE_URL`` pointing at a file. ``--migrate-only`` makes a migrated database (the test
copies it for each run); then the script makes a grantee home, a section and a post, publishes the
post again and again (``save_revision().publish()``, as the admin's Publish button does) while
a second thread does what a django-q worker does: read a row, work a moment, write it back, in
one transaction. It prints one JSON line: how many publications and worker writes succeeded
and the "database is locked" errors of each side.

``--without-options`` removes the example site's SQLite ``OPTIONS`` (and WAL), so the test
can show that those options are what keeps publishing from failing.
"""

import json
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PUBLICATIONS = 15
WORKER_WRITES = 150


def main():
    database, without_options = sys.argv[1], "--without-options" in sys.argv
    migrate_only = "--migrate-only" in sys.argv
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "example_site.settings"
    sys.path[:0] = [str(ROOT / "src"), str(ROOT / "example_site")]

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import OperationalError, close_old_connections, connection, transaction

    if migrate_only or without_options:
        connection.settings_dict["OPTIONS"] = {}  # SQLite's defaults: rollback journal
    if migrate_only:
        call_command("migrate", verbosity=0, interactive=False)
        print(json.dumps({"migrated": database}))
        return

    from wagtail.models import Page

    from wagtail_grantee.models import GranteeHomePage, PostPage, SectionPage
    from wagtail_grantee_sms.models import ContactGroup

    root = Page.get_first_root_node()
    home = root.add_child(instance=GranteeHomePage(title="Home", slug="race-home"))
    section = home.add_child(instance=SectionPage(title="Berita", slug="berita"))
    post = section.add_child(instance=PostPage(title="Post", slug="post", live=False))
    group = ContactGroup.objects.create(name="Relawan")
    connection.close()  # each thread opens its own connection, as the web and worker do

    errors = {"publish": [], "worker": []}
    done = {"publish": 0, "worker": 0}
    publishing = threading.Event()

    def worker():
        publishing.wait()
        for index in range(WORKER_WRITES):
            try:
                with transaction.atomic():
                    row = ContactGroup.objects.get(pk=group.pk)
                    time.sleep(0.002)  # the work between reading and writing
                    row.description = f"write {index}"
                    row.save(update_fields=["description"])
                done["worker"] += 1
            except OperationalError as error:
                errors["worker"].append(str(error))
        close_old_connections()
        connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    publishing.set()
    for index in range(PUBLICATIONS):
        try:
            page = PostPage.objects.get(pk=post.pk)
            page.title = f"Post, version {index}"
            page.save_revision().publish()
            done["publish"] += 1
        except OperationalError as error:
            errors["publish"].append(str(error))
    thread.join()
    connection.close()
    print(json.dumps({"done": done, "errors": errors}))


if __name__ == "__main__":
    main()
