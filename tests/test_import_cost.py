"""What an audio-only sync loads (issue 14 item 1): no OpenCV, no ``scipy.signal``.

``timesync sync --methods audio`` used to import OpenCV through the metadata
prior (``align.metadata`` -> ``align.overlay.parse``, which runs the overlay
package and its frame readers). The check runs a real sync of two sample
cameras in a fresh interpreter and reads its ``sys.modules``: the files are
small, so probing, features and pair matching all run in that process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_SCRIPT = """
import json, sys
from timesync.sync import sync
result = sync(sys.argv[1:], methods=["audio"])
print(json.dumps({"placed": sum(s.aligned for s in result.sources),
                  "modules": sorted(m for m in sys.modules
                                    if m.split(".")[0] in ("cv2", "scipy", "timesync"))}))
"""


def _loaded(paths: list[Path], cache: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), TIMESYNC_CACHE_DIR=str(cache))
    out = subprocess.run([sys.executable, "-c", _SCRIPT, *map(str, paths)], capture_output=True,
                         text=True, env=env, cwd=ROOT, timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_audio_sync_loads_no_opencv_and_no_scipy_signal(sample_media_dir: Path, tmp_path: Path) -> None:
    got = _loaded([sample_media_dir / "bodycam_A.mp4", sample_media_dir / "bodycam_B.mp4"], tmp_path)
    assert got["placed"] == 2  # the sync did run: features, pre-score-free pair match, solve
    modules = set(got["modules"])
    assert "timesync.align.audio.coarse" in modules
    assert "cv2" not in modules
    assert not any(m == "scipy.signal" or m.startswith("scipy.signal.") for m in modules)
    assert not any(m.startswith("timesync.align.overlay") for m in modules)



def test_device_clock_seconds_do_not_depend_on_the_machine_zone(monkeypatch) -> None:
    """The metadata prior's creation_time seconds and the overlay's reading seconds are fixed
    numbers: a naive value counts as UTC whatever the zone of the machine that runs the sync
    (Python's naive ``datetime.timestamp()`` would use it), an aware one is converted from its
    own zone, and fractions of a second are kept. (This replaces a comparison of the two
    callers with each other, which can no longer differ: both call ``timeutil.epoch_seconds``.)"""
    import time
    from datetime import UTC, datetime, timedelta, timezone

    from timesync.align.metadata import _creation_seconds
    from timesync.align.overlay.parse import reading_seconds

    cases = [(datetime(2026, 3, 1, 12, 0, 5, 250000), 1772366405.25, False),
             (datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC), 1772366405.0, True),
             (datetime(2026, 3, 1, 7, 0, 5, tzinfo=timezone(timedelta(hours=-5))), 1772366405.0, True)]
    for zone in ("America/New_York", "Asia/Kolkata"):
        monkeypatch.setenv("TZ", zone)
        time.tzset()
        try:
            for value, seconds, zoned in cases:
                assert _creation_seconds(value) == (seconds, zoned), (zone, value)
                assert reading_seconds(value) == seconds, (zone, value)
        finally:
            monkeypatch.undo()
            time.tzset()
