"""Fast decoding of the coarse 8 kHz stream in a subprocess of the bundled ffmpeg.

The coarse features need a whole recording at :data:`COARSE_SR` Hz. Decoding it
with PyAV frame by frame does Python work per frame and holds the GIL, so
several files cannot decode at once. Here the static ffmpeg of
``imageio_ffmpeg`` decodes, mixes down and resamples in its own process
(``-map 0:a:0 -ac 1 -ar 8000 -f f32le pipe:1``); its stdout is read in chunks
of :data:`CHUNK_S` seconds, so memory stays bounded and a thread waiting on the
pipe leaves the GIL to the others.

Time origin: ffmpeg's raw output has no timestamps. Its sample 0 is the first
sample of the audio stream after the decoder's start-up trimming (encoder delay,
edit lists: the same libavcodec rules as PyAV's), i.e. at the audio stream's
start ``MediaInfo.audio.start_s`` in local time. :func:`iter_coarse_blocks`
puts ``round(start_s * COARSE_SR)`` zeros before it, so sample ``k`` is at local
time ``k / COARSE_SR`` as with :func:`timesync.media.iter_audio_blocks` (checked
in ``tests/test_align_audio.py``: lag 0 samples). Gaps inside a stream are not
filled with zeros here (raw output is contiguous); the coarse stage tolerates
that, and the fine stage re-decodes with the sample-exact decoder.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import numpy as np

from timesync.align.audio_features import COARSE_SR
from timesync.errors import MediaError

__all__ = ["ffmpeg_exe", "iter_coarse_blocks", "CHUNK_S"]

#: Seconds of coarse audio read from ffmpeg's pipe at a time.
CHUNK_S = 30.0
#: Pipe buffer asked for (bytes; Linux allows up to /proc/sys/fs/pipe-max-size, 1 MiB by default).
PIPE_BYTES = 1 << 20


def ffmpeg_exe() -> str | None:
    """Path of the bundled static ffmpeg, or None when it is not available."""
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception:  # noqa: BLE001 - any failure means "use the PyAV path"
        return None


def _widen_pipe(pipe) -> None:
    """Enlarge the pipe's buffer (Linux) so ffmpeg decodes ahead while features are computed."""
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (ImportError, AttributeError, OSError):
        pass  # the default buffer only costs some overlap


def iter_coarse_blocks(path: str, audio_start_s: float, exe: str) -> Iterator[np.ndarray]:
    """Contiguous float32 mono blocks at :data:`COARSE_SR` Hz from local time 0.

    Parameters
    ----------
    path : str
        A media file; checked with :func:`timesync.media.source.check_local_file`
        and handed to ffmpeg as an absolute path (never read as a protocol).
    audio_start_s : float
        Local time (s) of the audio stream's first sample (``MediaInfo.audio.start_s``);
        that many seconds of zeros come first (none when <= 0).
    exe : str
        The ffmpeg executable.

    Yields
    ------
    np.ndarray
        float32 blocks; their concatenation is the whole stream, sample ``k``
        at local time ``k / COARSE_SR`` seconds.

    Raises
    ------
    MediaError
        The path is refused, or ffmpeg failed (non-zero exit).
    """
    from timesync.media.source import check_local_file

    local = check_local_file(path)
    lead = round(max(audio_start_s, 0.0) * COARSE_SR)
    if lead:
        yield np.zeros(lead, np.float32)
    cmd = [exe, "-nostdin", "-v", "error", "-i", local, "-map", "0:a:0"]
    cmd += ["-ac", "1", "-ar", str(COARSE_SR), "-f", "f32le", "pipe:1"]
    chunk = round(CHUNK_S * COARSE_SR) * 4
    proc = subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    try:
        assert proc.stdout is not None
        _widen_pipe(proc.stdout)
        rest = b""
        while True:
            data = proc.stdout.read(chunk)
            if not data:
                break
            data = rest + data
            usable = len(data) - len(data) % 4
            rest = data[usable:]
            if usable:
                yield np.frombuffer(data[:usable], dtype="<f4").astype(np.float32)
        rc = proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    if rc != 0:
        raise MediaError(f"{path}: ffmpeg could not decode the audio (exit status {rc})")
