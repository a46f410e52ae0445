"""A long video's flash-cell grid kept on disk while the flash detector works (issue 14).

The detector (:mod:`timesync.align.flashes.detect`) needs every frame's
:data:`~timesync.align.overlay.scan.CELL_GRID` cells (3 KB a frame as uint8): 332 MB for an hour
at 30 fps, 3.3 GB for ten hours. A long file's grid is written to an unnamed temporary
file while it is decoded (:class:`CellFile`, in the system temp dir: never next to the
evidence), then read back a chunk at a time (plain reads, not a memory map, whose pages
touched would stay resident and count as the process's memory). :func:`cell_noise` gives
the per-cell noise from one pass over that file, by the same float32 operations on the same
values as the in-memory :func:`timesync.align.flashes.detect._cell_noise`; the detector scores
rises and events window by window.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from timesync.align.overlay.scan import CELL_GRID, cells_of, repeat_last_seen

__all__ = ["CellFile", "cell_noise", "noise_picks", "robust_sigma"]

#: Frames buffered before a write to the :class:`CellFile` (768 KB).
WRITE_FRAMES = 256


class CellFile:
    """The uint8 cell grid (frames, rows, columns) of a video, in an unnamed temporary file.

    Filled by :meth:`add` in any frame order (as :class:`~timesync.align.overlay.scan.CellCollector`
    is), completed by :meth:`finish` (frames the decoder did not give repeat the previous
    picture; a missing first frame is black), read by :meth:`read`. The file has no name
    (``tempfile.TemporaryFile``: unlinked at once), so nothing is left behind however the
    process ends; :meth:`close` (or leaving the ``with`` block) frees its disk space.

    Parameters
    ----------
    frames : int
        Frames of the video (its FrameIndex's length).
    folder : str or Path, optional
        Where the file lives; default the system temp dir (``tempfile.gettempdir()``).
    """

    def __init__(self, frames: int, folder: str | Path | None = None) -> None:
        cols, rows = CELL_GRID
        self.shape = (frames, rows, cols)
        self.frame_bytes = rows * cols
        self.folder = folder
        self._file = tempfile.TemporaryFile(dir=folder)
        self._fd = self._file.fileno()
        os.ftruncate(self._fd, frames * self.frame_bytes)  # unwritten frames read as zeros
        self.seen = np.zeros(frames, bool)
        self._buffer = np.zeros((WRITE_FRAMES, rows, cols), np.uint8)
        self._first = 0  # frame number of the buffer's first frame

    def __len__(self) -> int:
        return self.shape[0]

    def __enter__(self) -> CellFile:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Drop the file (its space is freed)."""
        self._file.close()

    def add(self, number: int, luma: np.ndarray) -> None:
        """Record frame ``number``'s cells (:func:`~timesync.align.overlay.scan.cells_of` of ``luma``)."""
        if number >= self._first + WRITE_FRAMES:
            self._flush()
            self._first = number - number % WRITE_FRAMES
        if number >= self._first:
            cells_of(luma, out=self._buffer[number - self._first])
        else:  # a frame given late: its place was written already
            self._write(number, cells_of(luma))
        self.seen[number] = True

    def finish(self) -> None:
        """Write what is buffered; frames the decoder did not give repeat the previous picture."""
        self._flush()
        missing = np.nonzero(~self.seen[1:])[0] + 1
        at = 0
        while at < len(missing):
            lo = int(missing[at])
            hi = min(len(self), lo + WRITE_FRAMES)
            block = self.read(lo - 1, hi)  # frame lo - 1 is final: seen, or filled by the block before
            repeat_last_seen(block, np.concatenate(([True], self.seen[lo:hi])))
            self._write(lo, block[1:])
            at = int(np.searchsorted(missing, hi))

    def read(self, start: int, stop: int) -> np.ndarray:
        """Frames ``start .. stop - 1``: a new uint8 array (frames, rows, columns)."""
        out = np.empty((stop - start, *self.shape[1:]), np.uint8)
        _pread_all(self._fd, out, start * self.frame_bytes)
        return out

    def _write(self, number: int, cells: np.ndarray) -> None:
        _pwrite_all(self._fd, np.ascontiguousarray(cells), number * self.frame_bytes)

    def _flush(self) -> None:
        count = min(WRITE_FRAMES, len(self) - self._first)
        if count > 0 and self.seen[self._first:self._first + count].any():
            self._write(self._first, self._buffer[:count])
        self._buffer[:] = 0


def noise_picks(frames: int, most: int) -> np.ndarray:
    """The first frames of the up to ``most`` frame pairs the noise is measured on, spread over ``frames``."""
    return np.unique(np.linspace(0, frames - 2, min(most, frames - 1)).round().astype(int))


def robust_sigma(diff: np.ndarray) -> np.ndarray:
    """Robust sigma (1.4826 median absolute deviation, plus half a grey level) of float32 changes
    ``diff`` (pairs, ...) along the first axis: float32, grey levels."""
    med = np.median(diff, axis=0)
    return 1.4826 * np.median(np.abs(diff - med), axis=0) + 0.5


def cell_noise(cells: CellFile, most: int = 20000, group: int = 16, chunk: int = 1024) -> np.ndarray:
    """Robust sigma of each cell's frame-to-frame change (grey levels), float32 (rows, columns).

    The figures of :func:`timesync.align.flashes.detect._cell_noise` to the bit: the same
    frame pairs (:func:`noise_picks`), whose changes (int16) are gathered in one pass over
    ``cells`` (``chunk`` frames read at a time) into a second unnamed temporary file, ``group``
    cells' worth together; then each group is read back and given to :func:`robust_sigma`, as
    the in-memory detector gives it its rows (each cell's figure is its own): 20,000 pairs of
    16 cells take 640 KB, their float32 copies 1.3 MB each.
    """
    pick = noise_picks(len(cells), most)
    count = cells.shape[1] * cells.shape[2]
    groups = [(g, min(count, g + group)) for g in range(0, count, group)]
    with tempfile.TemporaryFile(dir=cells.folder) as pairs:
        fd, done = pairs.fileno(), 0
        for lo in range(0, len(cells) - 1, chunk):
            hi = min(len(cells) - 1, lo + chunk)  # pairs (p, p + 1) for p in lo .. hi - 1
            mine = pick[(pick >= lo) & (pick < hi)] - lo
            if not len(mine):
                continue
            block = cells.read(lo, hi + 1).reshape(hi + 1 - lo, count)
            diff = block[mine + 1].astype(np.int16) - block[mine]
            for g0, g1 in groups:  # group g0's pairs start at byte 2 * len(pick) * g0
                _pwrite_all(fd, np.ascontiguousarray(diff[:, g0:g1]), 2 * (len(pick) * g0 + done * (g1 - g0)))
            done += len(mine)
        out = np.empty(count, np.float32)
        for g0, g1 in groups:
            part = np.empty((len(pick), g1 - g0), np.int16)
            _pread_all(fd, part, 2 * len(pick) * g0)
            out[g0:g1] = robust_sigma(part.astype(np.float32))
    return out.reshape(cells.shape[1:])


def _pread_all(fd: int, out: np.ndarray, offset: int) -> None:
    """Fill the C-contiguous ``out`` from file ``fd`` at byte ``offset``."""
    view, done = memoryview(out).cast("B"), 0
    while done < len(view):
        got = os.preadv(fd, [view[done:]], offset + done)
        if got <= 0:
            raise OSError(f"a temporary file of the flash scan ended early ({offset + done} bytes)")
        done += got


def _pwrite_all(fd: int, data: np.ndarray, offset: int) -> None:
    """Write the C-contiguous ``data`` to file ``fd`` at byte ``offset``; an OSError says which file
    it was (the temp dir full, say), not to be taken for the video's."""
    view, done = memoryview(data).cast("B"), 0
    try:
        while done < len(view):
            done += os.pwrite(fd, view[done:], offset + done)
    except OSError as exc:
        raise OSError(exc.errno, f"the flash scan could not write its temporary file in "
                                 f"{tempfile.gettempdir()} ({exc.strerror})") from exc
