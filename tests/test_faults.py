"""Recovery from faults: ``bench/faults.py`` at a small scale, every fault in turn.

The script starts PostgreSQL, Redis, a Celery worker and beat of its own; this test only runs
it and reads its figures, so the two cannot drift apart.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bench.faultbench.services import missing_services
from tests.conftest import skip_or_fail
from tests.services import ROOT

pytestmark = pytest.mark.services

EVENTS = 200
# 15 a second: about 13 s of emitting, long enough for all four faults to fall within it.
RATE = 15
# Every owed delivery must have arrived this many seconds after the last fault ended.
RECOVERY_BOUND = 60


def test_every_owed_delivery_arrives_within_a_minute_of_the_last_fault(tmp_path):
    missing = missing_services()
    if missing:
        skip_or_fail(missing)
    figures = tmp_path / "report.json"
    command = [sys.executable, "bench/faults.py", "--events", str(EVENTS), "--rate", str(RATE)]
    command += ["--outage", "1", "--wait", str(RECOVERY_BOUND), "--json", str(figures)]
    command += ["--keep-logs", str(tmp_path / "logs")]
    completed = subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    output = f"{completed.stdout}\n{completed.stderr[-4000:]}\nlogs: {tmp_path / 'logs'}"
    print(completed.stdout)  # the figures, for `pytest -rP`
    assert figures.exists(), output
    report = json.loads(figures.read_text())

    assert [fault[0] for fault in report["faults"]] == [
        "kill",
        "redis-restart",
        "flushall",
        "pg-restart",
    ], output
    assert report["emitted"] == EVENTS, output
    assert report["lost"] == 0, output
    assert report["recovery_after_last_fault"] <= RECOVERY_BOUND, output
    assert completed.returncode == 0, output
