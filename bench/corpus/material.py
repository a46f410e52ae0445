"""The real material of ``../shared/media``, decoded once per process.

Audio is split into disjoint *pools* so that an unrelated recording can be made
from material the scene it is compared with never uses:

- ``speech_a`` / ``speech_b``: the first and second half of the two-speaker
  conversation (pyannote_sample.wav);
- ``birds``: the outdoor field recording;
- ``hits_a``: the car door and the punch; ``hits_b``: the boom;
- ``shots``: real gunshots of the Pittsburgh live-fire test (ShotSpotter, CC BY 4.0),
  one second around the loudest pulse of each sensor recording.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import av
import numpy as np

from corpus import MEDIA

#: Videos of real scenes (no audio in them): name -> what they are.
VIDEOS = ("bikes.mp4", "carphone.mp4", "tree.avi")


def decode_audio(path: Path, rate: int) -> np.ndarray:
    """A file's first audio stream as float32 mono at ``rate`` Hz."""
    with av.open(str(path)) as c:
        res = av.AudioResampler(format="flt", layout="mono", rate=rate)
        parts = [g.to_ndarray().reshape(-1) for f in c.decode(audio=0) for g in res.resample(f)]
        parts += [g.to_ndarray().reshape(-1) for g in res.resample(None)]
    return np.concatenate(parts).astype(np.float32)


def _normal(x: np.ndarray) -> np.ndarray:
    x = x - float(np.mean(x))
    peak = float(np.max(np.abs(x))) or 1.0
    return (x / peak).astype(np.float32)


@lru_cache(maxsize=8)
def pools(rate: int) -> dict[str, list[np.ndarray]]:
    """Every pool of real audio at ``rate`` Hz (lists of clips, each peak-normalised)."""
    speech = decode_audio(MEDIA / "pyannote_sample.wav", rate)
    mid = len(speech) // 2
    return {
        "speech_a": [_normal(speech[:mid])],
        "speech_b": [_normal(speech[mid:])],
        "birds": [_normal(decode_audio(MEDIA / "birds_10s.wav", rate))],
        "hits_a": [_normal(decode_audio(MEDIA / n, rate)) for n in ("car_door.wav", "punch.wav")],
        "hits_b": [_normal(decode_audio(MEDIA / "boom.wav", rate))],
        "shots": [_normal(s) for s in gunshots(rate)],
    }


@lru_cache(maxsize=4)
def gunshots(rate: int, limit: int = 24) -> tuple[np.ndarray, ...]:
    """One second (0.1 s before, 0.9 s after) around the loudest pulse of live-fire recordings."""
    out = []
    wavs = sorted((MEDIA / "live-fire").rglob("*.wav"))
    for wav in wavs[:: max(1, len(wavs) // limit)][:limit]:
        x = decode_audio(wav, rate)
        if len(x) < rate:
            continue
        # high-passed envelope: the pulse, not the traffic rumble
        d = np.abs(np.diff(x, prepend=x[0]))
        peak = int(np.argmax(d))
        lo = max(0, peak - rate // 10)
        seg = x[lo: lo + rate]
        if len(seg) == rate:
            out.append(seg)
    return tuple(out)


def live_fire_licence() -> str:
    """The attribution line of the live-fire recordings (from SOURCES.json)."""
    try:
        data = json.loads((MEDIA / "SOURCES.json").read_text())
        return data["live-fire/"]["licence"]
    except (OSError, KeyError, ValueError):
        return "CC BY 4.0 (ShotSpotter, Inc.)"


@lru_cache(maxsize=8)
def video_frames(name: str, width: int) -> tuple[np.ndarray, float]:
    """The frames of a real video as RGB uint8 ``(n, h, w, 3)`` scaled to ``width`` (even sizes), and its fps."""
    with av.open(str(MEDIA / name)) as c:
        stream = c.streams.video[0]
        fps = float(stream.average_rate or stream.guessed_rate or 25)
        frames = []
        for f in c.decode(video=0):
            h = int(round(f.height * width / f.width / 2)) * 2
            frames.append(f.to_ndarray(format="rgb24", width=width, height=h))
    return np.stack(frames), fps
