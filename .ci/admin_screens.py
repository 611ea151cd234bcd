"""Every admin screen the suite adds, loaded by a logged-in superuser: each must answer 200.

``.ci/quickstart`` runs this inside the project it built from the README, after creating a
superuser; ``tests/foundation/test_admin_screens.py`` runs it in the test suite. It checks the
screens of the apps that are installed, so it serves a site with either app alone.

A new screen is one line in ``SCREENS``: the app that adds it, its URL name, and the URL's
arguments (made from the sample objects of ``make_sample_objects``), or ``None``.
"""

import sys
import traceback

from django.apps import apps
from django.test import Client
from django.urls import reverse


def snippet(model, view):
    return f"wagtailsnippets_{model.replace('.', '_')}:{view}"


def page_add(model):
    app_label, model_name = model.split(".")
    return lambda objects: [app_label, model_name, objects[f"parent of {model}"].pk]


def pk_of(name):
    return lambda objects: [objects[name].pk]


GRANTEE, SMS = "wagtail_grantee", "wagtail_grantee_sms"

SCREENS = [
    (None, "wagtailadmin_home", None),
    # wagtail_grantee: its page types' forms and the post categories
    (GRANTEE, "wagtailadmin_pages:add", page_add("wagtail_grantee.granteehomepage")),
    (GRANTEE, "wagtailadmin_pages:add", page_add("wagtail_grantee.sectionpage")),
    (GRANTEE, "wagtailadmin_pages:add", page_add("wagtail_grantee.postpage")),
    (GRANTEE, "wagtailadmin_pages:edit", pk_of("home")),
    (GRANTEE, "wagtailadmin_pages:edit", pk_of("section")),
    (GRANTEE, "wagtailadmin_pages:edit", pk_of("post")),
    (GRANTEE, snippet("wagtail_grantee.category", "list"), None),
    (GRANTEE, snippet("wagtail_grantee.category", "add"), None),
    (GRANTEE, snippet("wagtail_grantee.category", "edit"), pk_of("category")),
    # wagtail_grantee's aggregator: feed sources, OPML, the river page
    (GRANTEE, snippet("wagtail_grantee.feedsource", "list"), None),
    (GRANTEE, snippet("wagtail_grantee.feedsource", "add"), None),
    (GRANTEE, snippet("wagtail_grantee.feedsource", "edit"), pk_of("feed source")),
    (GRANTEE, snippet("wagtail_grantee.feedsource", "inspect"), pk_of("feed source")),
    (GRANTEE, snippet("wagtail_grantee.feedsource", "import_opml"), None),
    (GRANTEE, snippet("wagtail_grantee.feedsource", "export_opml"), None),
    (GRANTEE, "wagtailadmin_pages:add", page_add("wagtail_grantee.aggregatorpage")),
    # wagtail_grantee's Facebook import: the upload form, the history and a finished run
    (GRANTEE, "wagtail_grantee_facebook_import:upload", None),
    (GRANTEE, "wagtail_grantee_facebook_import:history", None),
    (GRANTEE, "wagtail_grantee_facebook_import:detail", pk_of("import run")),
    # wagtail_grantee_sms: contacts, groups, import, verification, inbox, deliveries, the
    # sign-up page and the verification messages setting
    (SMS, snippet("wagtail_grantee_sms.contact", "list"), None),
    (SMS, snippet("wagtail_grantee_sms.contact", "add"), None),
    (SMS, snippet("wagtail_grantee_sms.contact", "edit"), pk_of("contact")),
    (SMS, snippet("wagtail_grantee_sms.contact", "inspect"), pk_of("contact")),
    (SMS, snippet("wagtail_grantee_sms.contact", "history"), pk_of("contact")),
    (SMS, snippet("wagtail_grantee_sms.contact", "import"), None),
    (SMS, snippet("wagtail_grantee_sms.contact", "send_verification"), pk_of("contact")),
    (SMS, snippet("wagtail_grantee_sms.contact", "mark_verified"), pk_of("contact")),
    (SMS, snippet("wagtail_grantee_sms.contact", "block"), pk_of("contact")),
    (SMS, snippet("wagtail_grantee_sms.contactgroup", "list"), None),
    (SMS, snippet("wagtail_grantee_sms.contactgroup", "add"), None),
    (SMS, snippet("wagtail_grantee_sms.contactgroup", "edit"), pk_of("group")),
    (SMS, snippet("wagtail_grantee_sms.inboundmessage", "list"), None),
    (SMS, snippet("wagtail_grantee_sms.inboundmessage", "inspect"), pk_of("inbound")),
    (SMS, snippet("wagtail_grantee_sms.delivery", "list"), None),
    (SMS, snippet("wagtail_grantee_sms.delivery", "inspect"), pk_of("delivery")),
    (SMS, "wagtailadmin_pages:add", page_add("wagtail_grantee_sms.signuppage")),
    (SMS, "wagtailadmin_pages:edit", pk_of("signup page")),
    (SMS, "wagtailsettings:edit", lambda objects: [SMS, "verificationmessages"]),
    (SMS, "wagtail_grantee_sms_broadcasts:list", None),
    (SMS, "wagtail_grantee_sms_broadcasts:add", None),
    (SMS, "wagtail_grantee_sms_broadcasts:detail", pk_of("broadcast")),
    (SMS, "wagtail_grantee_sms_broadcasts:edit", pk_of("broadcast")),
    (SMS, "wagtail_grantee_sms_broadcasts:confirm", pk_of("broadcast")),
    # with the default console backend, which receives no SMS
    (SMS, "wagtail_grantee_sms_simulate_inbound", None),
]


def make_sample_objects():
    """One object of each kind that a screen above shows, under the site's root page."""
    from django.utils import timezone
    from wagtail.models import Site

    parent = Site.objects.get(is_default_site=True).root_page
    objects = {}
    if apps.is_installed(GRANTEE):
        from wagtail_grantee.models import (
            Category,
            FeedSource,
            GranteeHomePage,
            ImportRun,
            PostPage,
            SectionPage,
        )

        home = parent.add_child(instance=GranteeHomePage(title="Screens home", slug="screens"))
        section = home.add_child(instance=SectionPage(title="News", slug="news"))
        post = section.add_child(instance=PostPage(title="First news", slug="first"))
        objects |= {
            "home": home,
            "section": section,
            "post": post,
            "category": Category.objects.create(name="Screens"),
            "feed source": FeedSource.objects.create(
                name="Screens grantee", site_url="https://grantee.example/"
            ),
            "import run": ImportRun.objects.create(
                source="facebook",
                archive_name="facebook-screens.zip",
                parent=section,
                status=ImportRun.Status.DONE,
                created=1,
                finished_at=timezone.now(),
            ),
            "parent of wagtail_grantee.aggregatorpage": home,
            "parent of wagtail_grantee.granteehomepage": parent,
            "parent of wagtail_grantee.sectionpage": home,
            "parent of wagtail_grantee.postpage": section,
        }
    if apps.is_installed(SMS):
        from wagtail_grantee_sms.broadcasting import create_broadcast
        from wagtail_grantee_sms.models import (
            Contact,
            ContactGroup,
            Delivery,
            InboundMessage,
            SignupPage,
        )

        contact = Contact.objects.create(name="Screens Contact", phone="+6281299990000")
        signup = SignupPage(title="SMS", slug="screens-sms", consent_text="<p>Yes.</p>")
        objects |= {
            "contact": contact,
            "group": ContactGroup.objects.create(name="Screens"),
            "inbound": InboundMessage.objects.create(
                backend_alias="default",
                sender=contact.phone,
                body="YA",
                contact=contact,
                received_at=timezone.now(),
            ),
            "delivery": Delivery.objects.create(
                contact=contact,
                phone=contact.phone,
                body="Halo",
                purpose=Delivery.Purpose.OTHER,
            ),
            "signup page": parent.add_child(instance=signup),
            "parent of wagtail_grantee_sms.signuppage": parent,
        }
        objects["broadcast"] = create_broadcast("Halo {first_name}", [objects["group"]])
    return objects


def screens_answer(client, objects):
    """Load each screen of the installed apps; the failures, as lines to print."""
    failures = []
    for app, url_name, args in SCREENS:
        if app and not apps.is_installed(app):
            continue
        url = reverse(url_name, args=args(objects) if args else None)
        try:
            response = client.get(url, follow=True)
        except Exception:  # a 500: report it with the others
            failures.append(f"{url} ({url_name}): {traceback.format_exc(limit=-3)}")
            continue
        final_url = response.redirect_chain[-1][0] if response.redirect_chain else url
        if response.status_code != 200 or "/login/" in final_url:
            failures.append(f"{url} ({url_name}): {response.status_code} at {final_url}")
        else:
            print(f"200 {url}")
    return failures


def main(username, password):
    client = Client()
    login = client.post(reverse("wagtailadmin_login"), {"username": username, "password": password})
    if login.status_code != 302:
        sys.exit(f"Could not log in as {username}: {login.status_code}")
    failures = screens_answer(client, make_sample_objects())
    if failures:
        sys.exit("Admin screens that did not answer 200:\n" + "\n".join(failures))
    print("Every admin screen of the suite answers 200.")


if __name__ == "__main__":
    main(*sys.argv[1:3])
