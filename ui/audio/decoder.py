"""Background decoding of the sources' audio, in chunks, with ``timesync.media.AudioReader``.

One thread serves every source: chunk requests (from the audio callback or
from a seek) go on a stack, the newest first, so the chunk the playhead needs
now is decoded before older prefetches. A source whose audio cannot be decoded
is marked failed (its track plays silent) and its one-sentence reason is
handed to ``on_failed`` once.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from timesync.errors import MediaError
from timesync.media import AudioReader
from ui.audio.mixer import CHUNK_S, Track

__all__ = ["ChunkDecoder"]


class ChunkDecoder:
    """Decodes ``(track, chunk number)`` requests on one daemon thread.

    Parameters
    ----------
    on_failed : callable
        Called (on the decoder thread) with ``(track name, sentence)`` when a
        source's audio cannot be decoded; the track is then silent.
    """

    def __init__(self, on_failed: Callable[[str, str], None]) -> None:
        self._on_failed = on_failed
        self._stack: list[tuple[Track, int]] = []
        self._readers: dict[str, tuple[str, AudioReader]] = {}
        self._cond = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="audio-decoder", daemon=True)
        self._thread.start()

    def requester(self, track: Track) -> Callable[[int], None]:
        """The ``request`` function for ``track``'s store."""
        return lambda number: self.request(track, number)

    def request(self, track: Track, number: int) -> None:
        """Ask for chunk ``number`` of ``track`` (ignored when decoded, queued or failed)."""
        if number < 0 or track.failed or track.store.has(number):
            return
        with self._cond:
            item = (track, number)
            if item in self._stack:
                if self._stack[-1] == item:
                    return
                self._stack.remove(item)
            self._stack.append(item)
            del self._stack[:-64]
            self._cond.notify()

    def idle(self) -> bool:
        """True when no request is waiting (benchmarks, tests)."""
        with self._cond:
            return not self._stack and not getattr(self, "_busy", False)

    def stop(self) -> None:
        """End the thread and close the files (idempotent)."""
        with self._cond:
            self._stopped = True
            self._cond.notify()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stack and not self._stopped:
                    self._cond.wait()
                if self._stopped:
                    break
                track, number = self._stack.pop()
                self._busy = True
            try:
                self._decode(track, number)
            finally:
                self._busy = False
        for _path, reader in self._readers.values():
            reader.close()

    def _decode(self, track: Track, number: int) -> None:
        if track.failed or track.store.has(number):
            return
        path = os.fspath(track.extra.get("path", ""))
        known = self._readers.get(track.name)
        if known is None or known[0] != path:
            if known is not None:
                known[1].close()
            known = (path, AudioReader(path))
            self._readers[track.name] = known
        try:
            samples = known[1].read(sr=track.store.sr, start_s=number * CHUNK_S, duration_s=CHUNK_S)
        except MediaError as exc:
            self._fail(track, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - a broken file must not end the decoder thread
            self._fail(track, f"{track.name}: its audio could not be decoded ({exc})")
            return
        track.store.put(number, samples)

    def _fail(self, track: Track, reason: str) -> None:
        if track.failed:
            return
        track.failed = reason
        self._on_failed(track.name, reason)
