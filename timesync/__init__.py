"""timesync: put every recording of an incident on one clock.

The public API is re-exported here lazily, so ``import timesync`` stays cheap
and never pulls in heavy optional parts (OCR, dask) until they are used.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.2.0"

_LAZY = {
    "probe": "timesync.media",
    "MediaInfo": "timesync.media",
    "FrameIndex": "timesync.media",
    "FrameReader": "timesync.media",
    "decode_audio": "timesync.media",
    "sha256_file": "timesync.media",
    "ClockMap": "timesync.clock",
    "sync": "timesync.sync",
    "sync_many": "timesync.sync",
    "SyncResult": "timesync.sync",
    "Project": "timesync.project",
    "TimesyncError": "timesync.errors",
    "MediaError": "timesync.errors",
    "ProjectError": "timesync.errors",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'timesync' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
