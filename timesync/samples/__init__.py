"""The deterministic sample incident: three synthetic recordings and their truth.

``python -m timesync.samples [--out sample_media]`` writes ``bodycam_A.mp4``
(the reference), ``bodycam_B.mp4`` (starts 7.3 s later, 29.97 fps, 44.1 kHz,
clock 41.3 ppm slow), ``helicopter.mp4`` (thermal, 25 fps, rotor sound only,
a flash at every shot), ``truth.json`` and a ``README.md``. Same seed and same
library versions give byte-identical files.

Public API
----------
generate(out, *, duration_s=90.0, size=(1280, 720), seed=...) -> dict
    Write the incident into ``out`` and return the truth (also ``out/truth.json``).
load_truth(folder) -> dict
    Read ``folder/truth.json``.
build_scenario(...)
    The script alone (devices, shots, segments), without writing anything.
"""

from __future__ import annotations

from timesync.samples.generate import GENERATOR_VERSION, generate, load_truth, main
from timesync.samples.scenario import Device, Scenario, build_scenario

__all__ = [
    "GENERATOR_VERSION",
    "generate",
    "load_truth",
    "main",
    "build_scenario",
    "Device",
    "Scenario",
]
