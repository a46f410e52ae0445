"""PlayerGrid: up to :data:`MAX_VIEWS` :class:`~ui.player.PlayerView` tiles, the focused one, the sound.

The grid remembers the view focused before the current one
(:attr:`PlayerGrid.previous_view`): a tie (``ui.controllers.placement``) joins
the two views clicked last.

Tiles reorder by drag (:class:`ui.tile_drag.TileDrag`): a tile dragged (by its name strip, or
anywhere on a picture that is not zoomed) onto another's place takes that place, in the grid
and in the large view's strip; :attr:`PlayerGrid.order` is the tile order, remembered per
project with the panel layout (:class:`ui.viewmodes.TileOrderMemory`).
"""

from __future__ import annotations

import math

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QWidget

from ui.audio import AudioEngine
from ui.clock import PlaybackClock
from ui.player import PlayerView
from ui.spec import SourceSpec
from ui.tile import grid_large
from ui.tile_drag import TileDrag

__all__ = ["PlayerGrid", "MAX_VIEWS"]

#: The grid shows at most this many sources.
MAX_VIEWS = 9


class PlayerGrid(QWidget):
    """Up to :data:`MAX_VIEWS` synchronized views in a near-square grid.

    Signals
    -------
    failed(str)
        A view could not open or decode its source (a missing file is said by the hash check instead,
        once for every missing source, with a Relink button: :mod:`ui.relink`).
    focusChanged(object)
        The focused view (or ``None``).
    audioNotice(str)
        Once per cause, about the sound of :attr:`audio` (an ``AudioEngine``
        playing the focused view's source, or a mix), also in the status bar.
    orderChanged(list)
        The user moved a tile: the source names in the new tile order.
    """

    failed = Signal(str)
    focusChanged = Signal(object)
    audioNotice = Signal(str)
    orderChanged = Signal(list)

    def __init__(self, clock: PlaybackClock, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._clock = clock
        self._views: list[PlayerView] = []
        self._focused: PlayerView | None = None
        self._previous: PlayerView | None = None
        self._single: PlayerView | None = None
        self._large: PlayerView | None = None  # shown large, the others as a strip beside it
        self._layout = QGridLayout(self)
        self._layout.setContentsMargins(2, 2, 2, 2)
        self._layout.setSpacing(2)
        self._order: list[str] = []  # source names, in the tile order the user chose
        self.audio = AudioEngine(clock, self)
        self.audio.notice.connect(self.audioNotice)
        self.drag = TileDrag(self)

    @property
    def views(self) -> list[PlayerView]:
        """The views, in tile order (source order, unless the user moved tiles)."""
        return list(self._views)

    @property
    def order(self) -> list[str]:
        """The source names of the views, in tile order."""
        return [v.spec.name for v in self._views]

    def set_order(self, names: list[str]) -> None:
        """Show the tiles in this order of source names (names not shown are kept for later;
        sources not named follow in source order)."""
        self._order = [str(n) for n in names]
        self._views = self._ordered(self._views, lambda v: v.spec.name)
        self._relayout()

    def _ordered(self, items: list, name_of) -> list:
        rank = {name: i for i, name in enumerate(self._order)}
        return [item for _i, item in sorted(enumerate(items), key=lambda e: (rank.get(name_of(e[1]), len(rank)), e[0]))]

    def move_view(self, view: PlayerView, target: PlayerView) -> None:
        """Put ``view`` in ``target``'s place (the tiles between shift by one) and emit
        :attr:`orderChanged`; dropped on the large view, ``view`` becomes the large one."""
        if view is target or view not in self._views or target not in self._views:
            return
        if target is self._large:
            self._large = view
        views = list(self._views)
        place = views.index(target)
        views.remove(view)
        views.insert(place, view)
        self._views = views
        self._order = self.order
        self._relayout()
        self.orderChanged.emit(self.order)

    @property
    def focused_view(self) -> PlayerView | None:
        """The view the user last clicked (default: the first with video, else the first)."""
        if self._focused is not None:
            return self._focused
        return next((v for v in self._views if v.spec.has_video), self._views[0] if self._views else None)

    @property
    def previous_view(self) -> PlayerView | None:
        """The view focused before the focused one (``None`` if none, or it is gone)."""
        return self._previous if self._previous in self._views else None

    @property
    def single_view(self) -> PlayerView | None:
        """The enlarged view, when one is."""
        return self._single

    def view_for(self, name: str) -> PlayerView | None:
        """The view of source ``name``, if shown."""
        return next((v for v in self._views if v.spec.name == name), None)

    def set_sources(self, specs: list[SourceSpec]) -> None:
        """Show these sources (the first :data:`MAX_VIEWS` with a video stream or not).

        Views of unchanged files are kept (only their clock map is updated), so
        a manual nudge does not reopen anything.
        """
        specs = self._ordered(list(specs)[:MAX_VIEWS], lambda s: s.name)
        old = {(v.spec.name, str(v.spec.path)): v for v in self._views}
        views = []
        for spec in specs:
            view = old.pop((spec.name, str(spec.path)), None)
            if view is None:
                view = PlayerView(spec, self._clock, self)
                view.focusRequested.connect(self.set_focused)
                view.enlargeRequested.connect(self.toggle_single)
                view.failed.connect(lambda message, v=view: self._on_failed(v, message))
                self.drag.watch(view)
            else:
                view.set_spec(spec)
            views.append(view)
        for view in old.values():
            view.shutdown()
            view.setParent(None)
            view.deleteLater()
        if self._focused not in views:
            self._focused = None
        if self._single not in views:
            self._single = None
        if self._large not in views:
            self._large = None
        self._views = views
        self._relayout()
        self.audio.set_sources(specs)
        self.audio.set_focused(None if self.focused_view is None else self.focused_view.spec.name)

    def _on_failed(self, view: PlayerView, message: str) -> None:
        """A view's failure, for the message bar; a missing file is said once for all by the hash
        check (``ui.relink``), and on its tile."""
        if view.spec.path.is_file():
            self.failed.emit(message)

    def set_focused(self, view: PlayerView | None) -> None:
        """Make ``view`` the focused one (it decides the shared frame step); the one it replaces
        becomes :attr:`previous_view`."""
        if view is not self._focused and self._focused is not None:
            self._previous = self._focused
        self._focused = view
        for v in self._views:
            v.set_focused(v is view)
        self.audio.set_focused(None if self.focused_view is None else self.focused_view.spec.name)
        self.focusChanged.emit(view)

    def toggle_single(self, view: PlayerView | None) -> None:
        """Enlarge ``view`` alone, or go back to the grid if it already is."""
        self._single = None if (view is None or self._single is view) else view
        self._relayout()

    @property
    def large_view(self) -> PlayerView | None:
        """The view shown large with the others as a strip, when one is."""
        return self._large

    def toggle_large(self, view: PlayerView | None) -> None:
        """Show ``view`` large with the others as a strip at its right, or back to the grid."""
        self._large = None if (view is None or self._large is view) else view
        self._single = None
        self._relayout()

    def shutdown(self) -> None:
        """Stop every worker and the sound."""
        for view in self._views:
            view.shutdown()
        self.audio.shutdown()

    def _relayout(self) -> None:
        while self._layout.count():
            self._layout.takeAt(0)
        for i in range(MAX_VIEWS):
            self._layout.setColumnStretch(i, 0)
            self._layout.setRowStretch(i, 0)
        if self._large is not None and self._single is None:
            grid_large(self._layout, self._large, [v for v in self._views if v is not self._large])
            return
        shown = [self._single] if self._single is not None else self._views
        cols = max(1, math.ceil(math.sqrt(len(shown))))
        for view in self._views:
            view.setVisible(view in shown)
        for i, view in enumerate(shown):
            self._layout.addWidget(view, i // cols, i % cols)
