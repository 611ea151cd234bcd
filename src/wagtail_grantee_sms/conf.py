"""Settings of ``wagtail_grantee_sms``, all in one dict ``WAGTAIL_GRANTEE_SMS``.

Values are read when they are used, so ``override_settings`` works in tests. Every key and
its default is listed in ``DEFAULTS`` and documented in ``docs/settings.md``.
"""

from django.conf import settings

SETTINGS_NAME = "WAGTAIL_GRANTEE_SMS"

DEFAULTS = {
    # Region used to read numbers written without a country code ("0812…" is Indonesian).
    "DEFAULT_REGION": "ID",
    # SMS backends by alias, like Django's CACHES: {"BACKEND": dotted path, "OPTIONS": {...},
    # "RATE_LIMIT", "PRICE_PER_SEGMENT", "CURRENCY", "MAX_ATTEMPTS"}. See docs/sms-backends.md.
    "BACKENDS": {"default": {"BACKEND": "wagtail_grantee_sms.backends.console.SMSBackend"}},
    # Public base URL of the site as SMS providers see it (behind a proxy), used to check
    # webhook signatures; "" = the URL of the request.
    "WEBHOOK_BASE_URL": "",
    # Ways a site lets contacts be verified: "code" (6-digit code by SMS), "reply" (contact
    # replies YA/YES), "manual" (a user with verify_contact records proof, e.g. a paper form).
    "VERIFICATION_METHODS": ["code", "reply", "manual"],
    # Hours a verification code stays valid.
    "VERIFICATION_CODE_HOURS": 24,
    # Wrong tries allowed per code before it stops working.
    "VERIFICATION_CODE_ATTEMPTS": 5,
    # Verification SMS that may be sent to one contact within an hour.
    "VERIFICATION_SENDS_PER_HOUR": 3,
    # Verification SMS the whole site may send within an hour (the last 60 minutes). Beyond it
    # admin sends are refused and sign-ups wait, to be sent when the hour allows.
    "VERIFICATION_SENDS_PER_HOUR_TOTAL": 100,
    # Default texts of the verification SMS (editable in Settings > SMS verification messages).
    "VERIFICATION_MESSAGES": {
        "code": {
            "id": "{organisation}: kode verifikasi Anda {code}. Balas kode ini untuk "
            "mengonfirmasi nomor Anda. Balas STOP untuk berhenti.",
            "en": "{organisation}: your verification code is {code}. Reply with this code to "
            "confirm your number. Reply STOP to stop.",
        },
        "reply": {
            "id": "{organisation}: balas YA untuk menerima SMS dari kami. Balas STOP untuk "
            "berhenti.",
            "en": "{organisation}: reply YES to receive SMS from us. Reply STOP to stop.",
        },
    },
    # Sign-up form: attempts allowed per visitor IP address and per number, per hour.
    "SIGNUP_ATTEMPTS_PER_IP": 10,
    "SIGNUP_ATTEMPTS_PER_NUMBER": 3,
    # Countries (ISO 3166 region codes, e.g. ["ID", "TL"]) whose numbers may sign up on the
    # public page; None = only DEFAULT_REGION.
    "SIGNUP_ALLOWED_REGIONS": None,
    # Reverse proxies in front of the site that append the client's address to
    # X-Forwarded-For. 0 = none: REMOTE_ADDR is the client, X-Forwarded-For is ignored.
    "TRUSTED_PROXY_HOPS": 0,
    # Contact import: largest file (bytes) and most rows accepted.
    "IMPORT_MAX_FILE_SIZE": 5 * 1024 * 1024,
    "IMPORT_MAX_ROWS": 20_000,
    # Contact import: most columns, longest cell (characters) and largest XLSX once unzipped
    # (bytes). A file past any of them is refused before it is read further.
    "IMPORT_MAX_COLUMNS": 50,
    "IMPORT_MAX_CELL_LENGTH": 1000,
    "IMPORT_MAX_UNZIPPED_SIZE": 25 * 1024 * 1024,
    # Key of the suppression list's hashes (numbers that opted out). "" = derived from
    # SECRET_KEY; set it to keep the list working across a change of SECRET_KEY.
    "SUPPRESSION_KEY": "",
    # Inbound keywords, compared without case, accents, spaces or punctuation; the message
    # must be the keyword alone. Opting out is always honoured; opting in only brings back a
    # contact that opted out (a blocked contact stays blocked).
    "OPT_OUT_KEYWORDS": ["STOP", "BERHENTI", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT"],
    "OPT_IN_KEYWORDS": ["START", "JOIN", "DAFTAR", "YA"],
    # The one SMS sent back after an opt-out / opt-in keyword, by the contact's language
    # ("en" when the language has no text). {organisation}: as in the verification messages.
    "OPT_OUT_CONFIRMATION": {
        "id": "{organisation}: Anda tidak akan menerima SMS lagi dari kami. Balas START untuk "
        "berlangganan kembali.",
        "en": "{organisation}: you will get no more SMS from us. Reply START to subscribe again.",
    },
    "OPT_IN_CONFIRMATION": {
        "id": "{organisation}: Anda kembali menerima SMS dari kami. Balas STOP untuk berhenti.",
        "en": "{organisation}: you will get our SMS again. Reply STOP to stop.",
    },
    # Seconds before the first retry of a transient error; each further retry waits twice as
    # long, until the backend's MAX_ATTEMPTS.
    "RETRY_BACKOFF": 60,
    # Seconds after which a delivery still "sending" is taken as interrupted (worker crash):
    # resent if the backend's provider deduplicates client references, else marked for review.
    "SENDING_TIMEOUT": 600,
    # Hours a provider's status report that matches no delivery (yet) is kept, waiting for the
    # send result it is about to be recorded.
    "UNMATCHED_REPORT_HOURS": 48,
    # Seconds an SMS may wait in "queued" before the admin warns that the background worker
    # seems not to be running.
    "WORKER_WARNING_AFTER": 120,
    # Where that warning sends the reader to learn how to start the worker: a page of the
    # suite's documentation by default; a site may point it at its own instructions.
    "WORKER_DOCS_URL": (
        "https://github.com/wagtail-grantee/wagtail-grantee/blob/main/docs/sms-backends.md"
        "#the-background-worker"
    ),
    # The name put in for {organisation} in broadcasts; None = WAGTAIL_SITE_NAME.
    "ORGANISATION_NAME": None,
    # Test SMS of a broadcast one user may send to their own number within an hour (each
    # costs as much as any SMS; the budget does not count them).
    "BROADCAST_TESTS_PER_HOUR": 10,
    # Deliveries per background task of a broadcast (each task claims, sends and records
    # them in a few statements).
    "BROADCAST_CHUNK_SIZE": 200,
}


def get_setting(name):
    """Return the site's value of ``WAGTAIL_GRANTEE_SMS[name]``, or its default."""
    configured = getattr(settings, SETTINGS_NAME, None) or {}
    if name in configured:
        return configured[name]
    return DEFAULTS[name]
