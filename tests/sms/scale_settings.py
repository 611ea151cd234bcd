"""Settings of the worker processes in the broadcast scale test (``test_broadcasting_scale``):
the test settings with a real django-q2 cluster on Redis and a backend that writes what it
sends to a file every process shares."""

import os

from tests.settings import *  # noqa: F403

Q_CLUSTER = {
    "name": os.environ["SCALE_Q_NAME"],
    "redis": os.environ["REDIS_URL"],
    "workers": 2,
    "timeout": 60,
    "retry": 120,
    "sync": False,
    "catch_up": False,
}

WAGTAIL_GRANTEE_SMS = {
    "BACKENDS": {"default": {"BACKEND": "tests.sms.scale_backend.FileOutboxBackend"}},
    "BROADCAST_CHUNK_SIZE": 200,
    "SENDING_TIMEOUT": 5,
}
