"""One event per brightening: a light seen at several places of the picture at once.

:func:`one_per_brightening` is applied by :func:`timesync.align.flashes.detect.detect_flashes`
to the events it finds place by place (a whole frame lit is found at every place).
"""

from __future__ import annotations

from typing import Any

__all__ = ["one_per_brightening", "CLEAR_SHARE"]

#: The places of a brightening that say when it started: those lit at least this fraction as
#: strongly as its strongest place (a faint first frame shows most clearly where the light is
#: strongest; a weak place's "first frame" may be the scene changing there).
CLEAR_SHARE = 0.5


def one_per_brightening(events: list[Any]) -> list[Any]:
    """One event for each brightening seen at several places (a whole frame lit, a wide spot).

    Events starting while an earlier one (of the same group) still lights its
    frames, at most a frame after the group's first, are one brightening. Of
    the places lit at least :data:`CLEAR_SHARE` as strongly as the strongest,
    the first to start is kept (a faint first frame is the true onset), of
    those the one whose onset is known best, then the strongest. A weaker
    place starting a frame earlier is not taken: over a 15-fps video a local
    flash's weakest place started a frame before the four strong ones (the
    scene brightening there), which put the flash 0.55 frame early.
    """
    groups: list[list[Any]] = []
    for event in sorted(events, key=lambda e: (e.frame, e.boundary_s)):
        group = groups[-1] if groups else None
        if group is not None and event.frame <= group[0].frame + 1 \
                and event.frame < max(e.frame + max(1, e.frames) for e in group):
            group.append(event)
        else:
            groups.append([event])
    kept = []
    for group in groups:
        clear = [e for e in group if e.strength >= CLEAR_SHARE * max(g.strength for g in group)]
        first = min(e.frame for e in clear)
        kept.append(min((e for e in clear if e.frame == first),
                        key=lambda e: (e.frames == 0, e.uniform, e.sigma_s, -e.strength)))
    return kept
