"""Media: probe files, index and read exact frames, decode audio, hash evidence.

Every file is opened read-only; nothing is ever written next to it (the frame
index cache lives in ``$TIMESYNC_CACHE_DIR``). See ``docs/architecture.md``
("Media") for the contract.
"""

from timesync.media.audio import decode_audio, iter_audio_blocks
from timesync.media.frames import FrameIndex, FrameReader, FrameRef
from timesync.media.hashing import sha256_file
from timesync.media.probe import MediaInfo, StreamInfo, probe
from timesync.media.tags import MediaTags

__all__ = [
    "probe",
    "MediaInfo",
    "StreamInfo",
    "MediaTags",
    "sha256_file",
    "FrameIndex",
    "FrameRef",
    "FrameReader",
    "decode_audio",
    "iter_audio_blocks",
]
