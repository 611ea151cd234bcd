"""How fast ``encoding.measure`` counts segments, for the admin's live counter and broadcasts.

Run from the repository root: ``.venv/bin/python bench/bench_sms_encoding.py``. Prints texts
per second for short and long GSM-7 and UCS-2 texts, and what replacing look-alikes costs.
"""

import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent / "src")]

from wagtail_grantee_sms.encoding import measure  # noqa: E402

TEXTS = {
    "GSM-7, 1 segment": "Rapat desa besok jam 3 sore di balai. Balas STOP untuk berhenti.",
    "GSM-7, 6 segments": "Rapat desa besok jam 3 sore di balai [penting]. " * 18,
    "UCS-2, 1 segment": "Terima kasih 🙏 atas “dukungan” Anda",
    "UCS-2, 16 segments": "Terima kasih 🙏 atas “dukungan” Anda. " * 28,
}


def rate(function, seconds=0.5):
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(100):
            function()
        count += 100
    return count / elapsed


def main():
    baseline = None
    for label, text in TEXTS.items():
        measured = measure(text)
        plain = rate(lambda text=text: measure(text))
        replaced = rate(lambda text=text: measure(text, replace_lookalikes=True))
        baseline = baseline or plain
        print(
            f"{label:<20} {len(text):>5} chars {measured.segments:>3} seg  "
            f"{plain:>10,.0f} texts/s  {replaced:>10,.0f} with look-alikes replaced  "
            f"({baseline / plain:.1f}x the time of the short GSM-7 text)"
        )


if __name__ == "__main__":
    main()
