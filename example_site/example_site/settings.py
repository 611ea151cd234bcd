"""Settings of the example site.

SQLite and django-q2's ORM broker by default, so ``make demo`` needs nothing installed.
``DATABASE_URL`` (``postgres://postgres@127.0.0.1:5432/grantee_demo``) and ``REDIS_URL``
(``redis://127.0.0.1:6379/0``) switch it to PostgreSQL and to the Redis broker and cache.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-site-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
# Where the demo answers (`make demo` passes its HOST and PORT); load_demo points the Site here.
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
ALLOWED_HOSTS = [
    *os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(","),
    urlsplit(WAGTAILADMIN_BASE_URL).hostname,
]

INSTALLED_APPS = [
    "demo",
    "wagtail_grantee",
    "wagtail_grantee_sms",
    "django_q",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Repeated feed requests answered from the cache, before Wagtail routes them.
    "wagtail_grantee.feeds.middleware.FeedCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "example_site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "example_site.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Wagtail's search index uses PostgreSQL's full-text fields there (Django 6 checks it).
    INSTALLED_APPS.append("django.contrib.postgres")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker write at the same time. Each transaction takes SQLite's
    # write lock when it begins (IMMEDIATE) and waits for it up to 20 s, instead of failing
    # with "database is locked" when two transactions that have read both want to write;
    # WAL lets pages be read while someone writes. docs/installation.md recommends the same.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "grantee-demo",
        }
    }
    Q_CLUSTER = {"name": "grantee-demo", "redis": REDIS_URL}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    Q_CLUSTER = {"name": "grantee-demo", "orm": "default"}

Q_CLUSTER |= {
    "workers": 2,
    "timeout": 120,
    "retry": 180,
    "max_attempts": 3,
    "catch_up": False,
}

LANGUAGE_CODE = "id"
LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "static"
MEDIA_URL = "/media/"
# DJANGO_MEDIA_ROOT: uploads elsewhere (the tests keep each run's images in a temporary folder).
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT") or BASE_DIR / "media")

WAGTAIL_SITE_NAME = "Lembaga Bhinneka"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "txt", "xlsx"]
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

WAGTAIL_GRANTEE = {
    # The demo's aggregator follows the demo's own feeds, on this machine.
    "AGGREGATOR_ALLOWED_NETWORKS": ["127.0.0.1/32"],
}

WAGTAIL_GRANTEE_SMS = {
    "DEFAULT_REGION": "ID",
    # The demo prints each SMS in the terminal of `make demo` instead of sending it. A real
    # site names its gateway here: see docs/sms-backends.md.
    "BACKENDS": {
        "default": {
            "BACKEND": "wagtail_grantee_sms.backends.console.SMSBackend",
            # An example price and monthly budget, so that the broadcast screens show costs.
            "PRICE_PER_SEGMENT": "350",
            "CURRENCY": "IDR",
            "MONTHLY_BUDGET": "500000",
        },
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "wagtail_grantee": {"handlers": ["console"], "level": "INFO"},
        "wagtail_grantee_sms": {"handlers": ["console"], "level": "INFO"},
    },
}
