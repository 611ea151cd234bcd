"""What a hostile webhook body costs before it is refused, and what the guarded JSON loader
adds to a normal one.

Run from the repository root: ``.venv/bin/python bench/bench_webhooks.py``. It times
``backends.base.load_json`` (the loader every webhook's JSON goes through, before anything is
authenticated in Vonage's signed mode) on a typical Vonage inbound payload and on the worst
bodies an attacker can send within the 64 KB limit, and prints each median next to plain
``json.loads`` on the same bytes. Target: every hostile body refused or read in a few
milliseconds at most (the depth is counted in one linear pass over the characters, without a
regular expression that an unterminated string could make quadratic); a normal payload in
microseconds. No database, no network.
"""

import contextlib
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src")]

from wagtail_grantee_sms.backends.base import load_json  # noqa: E402

ROUNDS = 200

TYPICAL = json.dumps(
    {
        "msisdn": "6281234567890",
        "to": "6281299990000",
        "messageId": "0A0000000123ABCD1",
        "text": "YA",
        "type": "text",
        "keyword": "YA",
        "message-timestamp": "2026-12-01 10:11:12",
        "timestamp": "1764583872",
        "nonce": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
    }
).encode()
BODIES = {
    "typical Vonage inbound (0.3 KB)": TYPICAL,
    "64 KB of '[' (depth bomb)": b"[" * 65_000,
    "64 KB, depth 8 repeated": b"[" + b",".join([b"[[[[[[[1]]]]]]]"] * 4_000) + b"]",
    "64 KB flat object, one long text": b'{"text": "' + b"a" * 65_000 + b'"}',
    "64 KB of escaped quotes in a text": b'{"text": "' + b'\\"' * 32_000 + b'"}',
    "over the limit (1 MB)": b"[" * 1_000_000,
}


def median_ms(function, body):
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        with contextlib.suppress(ValueError, RecursionError):
            function(body)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def outcome(body):
    try:
        load_json(body)
    except ValueError as error:
        return f"400 ({error})"
    return "read"


print(f"{'body':38} {'load_json':>10} {'json.loads':>11} {'ratio':>6}  outcome")
for name, body in BODIES.items():
    guarded = median_ms(load_json, body)
    plain = median_ms(json.loads, body)
    print(f"{name:38} {guarded:8.3f}ms {plain:9.3f}ms {guarded / plain:6.1f}  {outcome(body)}")
