"""The base page model that the SMS app's page types extend.

Wagtail 8 lets a site swap its base page model (``WAGTAIL_PAGE_MODEL``). A page class needs its
base class while the models are being loaded, so this imports the swapped model's app first;
code that runs later asks ``swapper.load_model("wagtailcore", "Page")`` as Wagtail's guide for
reusable apps says. (``wagtail_grantee`` has the same helper: the two apps never import each
other.)
"""

from importlib import import_module

import swapper
from django.apps import apps

# Read WAGTAIL_PAGE_MODEL even when this app is listed above ``wagtail`` in INSTALLED_APPS.
swapper.set_app_prefix("wagtailcore", "wagtail")


def active_base_page_model():
    """Return Wagtail's ``Page``, or the site's own base page model when it swaps it."""
    if not swapper.is_swapped("wagtailcore", "Page"):
        from wagtail.models import Page

        return Page
    app_label, model_name = swapper.split(swapper.get_model_name("wagtailcore", "Page"))
    import_module(f"{apps.get_app_config(app_label).name}.models")
    return apps.get_model(app_label, model_name, require_ready=False)
