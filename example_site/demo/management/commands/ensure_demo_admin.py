import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

PASSWORD_FILE = Path(settings.BASE_DIR) / ".demo-admin-password"
# Wagtail's account settings save the whole page, name included: without one, changing the
# admin's language fails with "First Name: This field is required".
NAME = {"first_name": "Admin", "last_name": "Bhinneka"}


class Command(BaseCommand):
    help = (
        "Create the demo's admin account once, from DJANGO_SUPERUSER_USERNAME and "
        "DJANGO_SUPERUSER_PASSWORD or with a generated password, and print how to log in."
    )

    def handle(self, *args, **options):
        User = get_user_model()
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME", "admin")
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        user = User.objects.filter(username=username).first()
        if user is None:
            if not password:
                password = secrets.token_urlsafe(12)
                PASSWORD_FILE.write_text(password + "\n")
            User.objects.create_superuser(username, f"{username}@example.org", password, **NAME)
            self.stdout.write(f"Created the admin account {username!r}.")
        else:
            if not (user.first_name and user.last_name):  # made by an earlier `make demo`
                for field, value in NAME.items():
                    setattr(user, field, getattr(user, field) or value)
            if password:
                user.set_password(password)
            elif PASSWORD_FILE.exists():
                password = PASSWORD_FILE.read_text().strip()
            user.save()
        shown = password or f"(unchanged; reset it with: manage.py changepassword {username})"
        self.stdout.write(
            self.style.SUCCESS(
                f"Log in at {settings.WAGTAILADMIN_BASE_URL.rstrip('/')}/admin/ as {username} "
                f"with password {shown}"
            )
        )
