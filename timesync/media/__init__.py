"""Media: probe files, index and read exact frames, decode audio, hash evidence.

Every file is opened read-only; nothing is ever written next to it (the frame
index cache lives in ``$TIMESYNC_CACHE_DIR``). See ``docs/architecture.md``
("Media") for the contract. Typical use::

    info = probe("camA.mp4")                      # hashes once; fills the index cache
    index = FrameIndex.open("camA.mp4", sha256=info.sha256)
    ref = index.frame_at(12.5)                    # FrameRef(number, pts, time_s, duration_s)
    with FrameReader("camA.mp4", index=index) as reader:
        rgb = reader.read(ref.number)             # exactly that frame, upright
    audio = decode_audio("camA.mp4", sr=16000, start_s=10.0, duration_s=5.0)
    for t0, block in iter_audio_blocks("long.wav", sr=8000, block_s=60.0):
        ...                                       # sample k of block at local t0 + k / sr

Local time 0 is the earliest audio/video stream start (``MediaInfo.origin_s``
in container seconds); frame times, audio samples and ``StreamInfo.start_s``
all count from it. Bad input raises :class:`timesync.errors.MediaError` with
one sentence naming the file and the problem.
"""

from timesync.media.audio import AudioReader, decode_audio, iter_audio_blocks
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
    "AudioReader",
]
