"""The timeline's frame thumbnails: which slots are visible, the cache, the loader's answers.

Once zoomed in so that a thumbnail (:data:`~ui.timeline.tracks.THUMB_W` px) fits
every :data:`THUMB_MAX_SLOT_S` seconds or less, each video track shows small
frame thumbnails: the ruler is cut into slots of a 1-2-5 step at least
``THUMB_W`` px wide, and the slot starting at shared ``t`` shows the frame
``FrameIndex.frame_at_shared(clock, t)`` names. Thumbnails come from a
:class:`~ui.thumbnails.ThumbnailLoader` (off the GUI thread), are cached per
(source, frame number) and asked for lazily, only for the visible slots.
"""

from __future__ import annotations

import math

from PySide6.QtGui import QImage

from ui.timeline.axis import nice_step
from ui.timeline.tracks import THUMB_W, Slot

__all__ = ["ThumbnailsMixin", "THUMB_MAX_SLOT_S", "THUMB_CACHE_MAX"]

THUMB_MAX_SLOT_S = 10.0  # thumbnails once a slot is this many seconds or less
THUMB_CACHE_MAX = 4000  # thumbnails kept (about 9 kB each at 64x48)


class ThumbnailsMixin:
    """The thumbnail part of :class:`~ui.timeline.widget.TimelineWidget` (uses its tracks and axis)."""

    def _init_thumbnails(self) -> None:
        self._thumbs: dict[tuple[str, int], QImage] = {}
        self._drawn_thumbs: list[tuple[str, float, int]] = []
        self._loader = None
        self._opened: dict[str, str] = {}  # name -> path given to the loader

    def set_thumbnail_loader(self, loader) -> None:
        """Use ``loader`` (a :class:`ui.thumbnails.ThumbnailLoader`) for track thumbnails."""
        self._loader = loader
        loader.indexReady.connect(self._on_thumb_index)
        loader.thumbnailReady.connect(self._on_thumbnail)
        self._opened = {}
        self._open_thumbnail_sources()

    def thumbnail_count(self) -> int:
        """Thumbnails in the cache."""
        return len(self._thumbs)

    def thumbnail(self, name: str, number: int) -> QImage | None:
        """The cached thumbnail of frame ``number`` of source ``name`` (``None`` if not loaded)."""
        return self._thumbs.get((name, number))

    def drawn_thumbnails(self) -> list[tuple[str, float, int]]:
        """``(source, slot start shared s, frame number)`` of every thumbnail drawn by the last paint."""
        return list(self._drawn_thumbs)

    def thumbnail_slots(self) -> list[Slot]:
        """Visible thumbnail slots: ``(source, slot start shared s, slot x, frame number)``.

        Empty unless zoomed in so that a slot is :data:`THUMB_MAX_SLOT_S` or
        less. Only video sources whose frame index is open, and only slots
        whose start falls inside the recording (``frame_at_shared`` names a frame).
        """
        axis = self.axis
        step = nice_step(THUMB_W / axis.pps)
        if step > THUMB_MAX_SLOT_S:
            return []
        t0, t1 = axis.visible_range
        first = math.floor(t0 / step)
        last = math.ceil(t1 / step)
        slots = []
        for track in self._tracks:
            clock = self._clock_of(track)
            if track.index is None or clock is None:
                continue
            for k in range(first, last + 1):
                t = k * step
                ref = track.index.frame_at_shared(clock, t)
                if ref is not None:
                    slots.append((track.spec.name, t, axis.x_of(t), int(ref.number)))
        return slots

    def _open_thumbnail_sources(self) -> None:
        if self._loader is None:
            return
        for track in self._tracks:
            spec = track.spec
            video = (spec.extra.get("probe") or {}).get("video")
            if not video or spec.hash_status == "missing" or self._opened.get(spec.name) == str(spec.path):
                continue
            if not spec.path.is_file():
                continue
            self._opened[spec.name] = str(spec.path)
            for key in [k for k in self._thumbs if k[0] == spec.name]:
                del self._thumbs[key]
            self._loader.open(spec.name, spec.path, spec.sha256)

    def _on_thumb_index(self, name: str, index) -> None:
        track = self._track(name)
        if track is not None:
            track.index = index
            self._invalidate()

    def _on_thumbnail(self, name: str, number: int, image: QImage) -> None:
        if len(self._thumbs) >= THUMB_CACHE_MAX:
            for key in list(self._thumbs)[: THUMB_CACHE_MAX // 4]:  # the oldest quarter
                del self._thumbs[key]
        self._thumbs[(name, number)] = image
        self._invalidate()

    def _request_thumbnails(self, slots: list[Slot]) -> None:
        if self._loader is None:
            return
        wanted: dict[str, list[int]] = {t.spec.name: [] for t in self._tracks if t.index is not None}
        for name, _t, _x, number in slots:
            if (name, number) not in self._thumbs:
                wanted[name].append(number)
        for name, numbers in wanted.items():
            self._loader.request(name, numbers)

    def shutdown(self) -> None:
        """Stop the thumbnail loader (the widget can then be dropped)."""
        if self._loader is not None:
            self._loader.stop()
