"""Measure the audio output candidates for the review app on this machine (issue 17).

For each candidate (``miniaudio``, ``sounddevice``, QtMultimedia's ``QAudioSink``)
this opens an output at 48 kHz mono, starts it and plays a ramp at once, while
a miniaudio capture of the sound server's monitor source records what reaches the
sink. It reports (ms): time to open the output, time from ``start`` to the first
buffer the library asks for, buffer period, and the ramp's sample 0 arrival in the monitor
after ``start`` (end-to-end start latency, same capture bias for every candidate).

Needs a sound server (``PULSE_SERVER``); prints one line per candidate.
Usage: ``python bench/audio_backends.py [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

SR = 48000
#: A ramp: sample k is 0.9 * k / SR, so a captured value names the sample (to ~2 samples in s16).
CLICK = (0.9 * np.arange(SR) / SR).astype(np.float32)


class Monitor:
    """Capture of the default source (the null sink's monitor) with callback timestamps."""

    def __init__(self) -> None:
        import miniaudio

        self.blocks: list[tuple[int, np.ndarray]] = []
        self.dev = miniaudio.CaptureDevice(miniaudio.SampleFormat.FLOAT32, 1, SR, 10)

        def gen():
            while True:
                data = yield
                self.blocks.append((time.monotonic_ns(), np.frombuffer(data, np.float32).copy()))

        g = gen()
        next(g)
        self.dev.start(g)

    def arrival_ns(self, after_ns: int) -> int | None:
        """Estimated monotonic time at which sample 0 of the ramp reached the monitor."""
        for stamp, block in list(self.blocks):
            if stamp < after_ns:
                continue
            hit = np.flatnonzero(block > 0.01)
            if hit.size:
                k = float(block[hit[0]]) / 0.9 * SR  # which ramp sample this is
                return stamp - round((block.size - hit[0] + k) / SR * 1e9)
        return None

    def close(self) -> None:
        self.dev.close()


def _miniaudio(buffer_ms: int):
    import miniaudio

    t0 = time.monotonic_ns()
    dev = miniaudio.PlaybackDevice(miniaudio.SampleFormat.FLOAT32, 1, SR, buffer_ms)
    opened = time.monotonic_ns()
    state = {"pos": 0, "first": None, "sizes": []}

    def gen():
        n = yield b""
        while True:
            if state["first"] is None:
                state["first"] = time.monotonic_ns()
            state["sizes"].append(n)
            chunk = CLICK[state["pos"]:state["pos"] + n]
            state["pos"] += n
            n = yield np.pad(chunk, (0, n - chunk.size)).tobytes()

    g = gen()
    next(g)
    start = time.monotonic_ns()
    dev.start(g)
    return dev.close, t0, opened, start, state


def _sounddevice(buffer_ms: int):
    import sounddevice as sd

    t0 = time.monotonic_ns()
    state = {"pos": 0, "first": None, "sizes": []}

    def cb(out, frames, _time, _status):
        if state["first"] is None:
            state["first"] = time.monotonic_ns()
        state["sizes"].append(frames)
        chunk = CLICK[state["pos"]:state["pos"] + frames]
        state["pos"] += frames
        out[:, 0] = np.pad(chunk, (0, frames - chunk.size))

    stream = sd.OutputStream(samplerate=SR, channels=1, dtype="float32", callback=cb,
                             blocksize=SR * buffer_ms // 1000, latency="low")
    opened = time.monotonic_ns()
    start = time.monotonic_ns()
    stream.start()
    return stream.close, t0, opened, start, state


def _qt(buffer_ms: int):
    from PySide6.QtCore import QByteArray, QIODevice
    from PySide6.QtMultimedia import QAudioFormat, QAudioSink, QMediaDevices

    state = {"pos": 0, "first": None, "sizes": []}

    class Source(QIODevice):
        def readData(self, maxlen):  # noqa: N802
            if state["first"] is None:
                state["first"] = time.monotonic_ns()
            n = maxlen // 4
            state["sizes"].append(n)
            chunk = CLICK[state["pos"]:state["pos"] + n]
            state["pos"] += n
            return QByteArray(np.pad(chunk, (0, n - chunk.size)).tobytes())

        def writeData(self, _data):  # noqa: N802
            return -1

        def bytesAvailable(self):  # noqa: N802
            return 1 << 20

    t0 = time.monotonic_ns()
    fmt = QAudioFormat()
    fmt.setSampleRate(SR)
    fmt.setChannelCount(1)
    fmt.setSampleFormat(QAudioFormat.SampleFormat.Float)
    sink = QAudioSink(QMediaDevices.defaultAudioOutput(), fmt)
    sink.setBufferSize(SR * 4 * buffer_ms // 1000)
    src = Source()
    src.open(QIODevice.OpenModeFlag.ReadOnly)
    opened = time.monotonic_ns()
    start = time.monotonic_ns()
    sink.start(src)

    def close():
        sink.stop()
        src.close()

    state["keep"] = (sink, src)
    return close, t0, opened, start, state


def run(name: str, opener, buffer_ms: int, repeats: int, pump) -> dict:
    """Open/start/click ``repeats`` times; median figures in ms."""
    rows = []
    for _ in range(repeats):
        mon = Monitor()
        pump(0.3)
        close, t0, opened, start, state = opener(buffer_ms)
        pump(0.6)
        arrival = mon.arrival_ns(start)
        close()
        mon.close()
        sizes = state["sizes"][1:] or state["sizes"]
        rows.append({
            "open_ms": (opened - t0) / 1e6,
            "first_cb_ms": ((state["first"] or start) - start) / 1e6,
            "period_ms": statistics.median(sizes) / SR * 1e3 if sizes else float("nan"),
            "click_ms": (arrival - start) / 1e6 if arrival else float("nan"),
        })
    return {k: statistics.median(r[k] for r in rows) for k in rows[0]} | {"name": name}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--buffer-ms", type=int, default=10)
    args = parser.parse_args()
    from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer

    app = QCoreApplication.instance() or QCoreApplication([])

    def pump(seconds: float) -> None:
        loop = QEventLoop()
        QTimer.singleShot(round(seconds * 1000), loop.quit)
        loop.exec()

    for name, opener in (("miniaudio", _miniaudio), ("sounddevice", _sounddevice), ("QtMultimedia", _qt)):
        try:
            r = run(name, opener, args.buffer_ms, args.repeats, pump)
        except Exception as exc:  # noqa: BLE001 - a candidate that cannot run is a result too
            print(f"{name}: unavailable: {exc}")
            continue
        print(f"{name}: open {r['open_ms']:.1f} ms, first buffer {r['first_cb_ms']:.1f} ms after start, "
              f"period {r['period_ms']:.1f} ms, sample 0 heard {r['click_ms']:.1f} ms after start")
    del app


if __name__ == "__main__":
    main()
