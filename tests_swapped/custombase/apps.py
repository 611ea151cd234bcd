from django.apps import AppConfig


class CustomBaseConfig(AppConfig):
    name = "tests_swapped.custombase"
    label = "custombase"
    default_auto_field = "django.db.models.BigAutoField"
