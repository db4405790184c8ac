"""kill -9 across many deliveries: 0 lost, 0 duplicates (a small run of bench/publish_chaos.py).

The full run (1,000 deliveries, ~90 SIGKILLs) is ``bench/publish_chaos.py``;
this CI-sized run keeps the property under test on every change.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_sigkilled_workers_lose_nothing_and_send_nothing_twice(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["TMPDIR"] = str(tmp_path)
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH / "publish_chaos.py"),
            "--n",
            "150",
            "--kill-for",
            "20",
            "--timeout",
            "240",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=BENCH,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "lost 0, duplicate POSTs 0" in done.stdout and "PASS" in done.stdout
