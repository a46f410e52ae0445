"""A private PulseAudio sound server with a null sink, and a capture of what reaches it.

Shared by the app's sound test (tests/test_ui_audio_pulse.py) and the playback
benchmark (bench/bench_playback_audio.py). Needs Debian's ``pulseaudio`` and
``pulseaudio-utils`` (``.ci/run`` installs them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

SR = 48000

#: The recorder runs in its own process (the app's threads must not delay it): it captures the
#: default source (the null sink's monitor) with miniaudio and writes, per block, the monotonic
#: time it was handed over and the samples.
RECORDER = r"""
import sys, time, numpy as np, miniaudio
out = open(sys.argv[1], "wb")
def sink():
    while True:
        data = yield
        out.write(np.int64(time.monotonic_ns()).tobytes() + np.int32(len(data) // 4).tobytes() + data)
generator = sink(); next(generator)
device = miniaudio.CaptureDevice(miniaudio.SampleFormat.FLOAT32, 1, int(sys.argv[2]), 20)
device.start(generator)
print("ready", flush=True)
sys.stdin.read()
device.close(); out.close()
"""


def pulse_missing() -> str | None:
    """Why no PulseAudio server can be started here, or ``None``."""
    for tool in ("pulseaudio", "pactl"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (.ci/run installs the Debian packages pulseaudio and pulseaudio-utils)"
    return None


def start_pulse(folder: Path, sink_name: str = "tsnull") -> tuple[subprocess.Popen, str | None]:
    """Start a daemon with one null sink in ``folder``; returns ``(daemon, server)``.

    ``server`` is the ``PULSE_SERVER`` value, or ``None`` when the daemon did not
    answer within 15 s (it is then killed; its stderr says why).
    """
    socket = folder / "native"
    env = dict(os.environ, HOME=str(folder), XDG_RUNTIME_DIR=str(folder), XDG_CONFIG_HOME=str(folder))
    # norewinds: a null sink that rewinds stalls a lone low-latency stream after its first buffer
    daemon = subprocess.Popen(
        ["pulseaudio", "--daemonize=no", "--system=false", "--exit-idle-time=-1", "-n", "--use-pid-file=no",
         "--disable-shm=yes", "--log-target=stderr",
         "-L", f"module-null-sink sink_name={sink_name} rate={SR} norewinds=1",
         "-L", f"module-native-protocol-unix socket={socket} auth-anonymous=1"],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    server = f"unix:{socket}"
    deadline = time.monotonic() + 15
    while subprocess.run(["pactl", "-s", server, "info"], env=env, capture_output=True).returncode != 0:
        if daemon.poll() is not None or time.monotonic() > deadline:
            daemon.kill()
            return daemon, None
        time.sleep(0.1)
    return daemon, server


def stop_pulse(daemon: subprocess.Popen) -> None:
    """End a daemon started by :func:`start_pulse`."""
    if daemon.poll() is None:
        daemon.terminate()
        try:
            daemon.wait(timeout=5)
        except subprocess.TimeoutExpired:
            daemon.kill()
    if daemon.stderr is not None:
        daemon.stderr.close()


class Recorder:
    """A capture of the null sink's monitor in a child process, with block times."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "recording.bin"
        self.child = subprocess.Popen([sys.executable, "-c", RECORDER, str(self.path), str(SR)],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ready = self.child.stdout.readline().strip()
        if ready != "ready":
            raise RuntimeError(f"the recorder did not start (it said {ready!r})")

    def stop(self) -> tuple[np.ndarray, np.ndarray]:
        """``(times_ns, samples)``: the monotonic time at which each sample was captured.

        Block ``i`` ends at ``stamp_i - late_i``: a block is never handed over
        early, only late (then the next ones, handed over on time, say when it
        ended) or after a gap (data the capture lost: the later blocks are
        later). So each block is timed by the lowest ``stamp - samples so far / SR``
        of the ten blocks from it on, which a gap after it does not change.
        """
        self.child.communicate("", timeout=10)
        raw, blocks, pos = self.path.read_bytes(), [], 0
        while pos < len(raw):
            stamp, count = int(np.frombuffer(raw, np.int64, 1, pos)[0]), int(np.frombuffer(raw, np.int32, 1, pos + 8)[0])
            blocks.append((stamp, np.frombuffer(raw, np.float32, count, pos + 12)))
            pos += 12 + 4 * count
        sizes = np.array([b.size for _t, b in blocks])
        starts = np.cumsum(sizes) - sizes
        origin = np.array([t for t, _b in blocks], np.float64) - (starts + sizes) * (1e9 / SR)
        origin = np.array([origin[i:i + 10].min() for i in range(origin.size)])
        times = np.concatenate([o + (s + np.arange(n)) * (1e9 / SR) for o, s, n in zip(origin, starts, sizes, strict=True)])
        return times, np.concatenate([b for _t, b in blocks])
