from django.db import migrations
from wagtail.models import (
    BootstrapLocaleField,
    BootstrapTranslatableModel,
    BootstrapTranslationKeyField,
)


class Migration(migrations.Migration):
    dependencies = [
        ("custombase", "0001_initial"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [
        BootstrapLocaleField("custombase.CustomBasePage"),
        BootstrapTranslationKeyField("custombase.CustomBasePage"),
        BootstrapTranslatableModel("custombase.CustomBasePage"),
    ]
