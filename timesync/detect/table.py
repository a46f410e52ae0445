"""The shot table: shots on the shared clock, per-source times and frames, a summary.

``ShotTable.to_dict()`` is the JSON of ``timesync shots -o shots.json``::

    {"shots": [{"number": 1, "id": "shot-101304", "shared_s": 101.3042,
                "uncertainty_s": 0.0004, "wall_clock": "2024-05-17T21:04:15.154" | null,
                "interval_s": null | 0.142,
                "sources": {"camA.mp4": {"local_s": 38.2, "frame": 1146 | null,
                            "heard": true, "peak_dbfs": -0.4, "status": "recording",
                            "score": 0.97}},
                "confidence": 0.99, "score": 0.97, "accepted": null,
                "annotated": false, "time_basis": "..."}],
     "summary": {"count": 20, "first_shared_s": ..., "last_shared_s": ..., "span_s": ...,
                 "mean_rate_per_s": ..., "time_basis": "...",
                 "per_source": {"camA.mp4": "ok" | "no audio" | "silent" | "clipped: ..."}},
     "provenance": {"tool": "timesync shots", "version": ..., "parameters": {...}}}
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ShotSource", "Shot", "ShotTable", "NO_POSITIONS_BASIS", "CARRY_WITHIN_S", "CARRY_FRACTION"]

#: Seconds within which a re-detected shot takes an earlier decision on the same shot
#: (:meth:`ShotTable.carry_decisions`): re-aligning moves shots by milliseconds.
CARRY_WITHIN_S = 0.010
#: ... and at most this fraction of the way to the nearest other shot (in either table).
CARRY_FRACTION = 0.25

#: The time basis when no positions or distances are given.
NO_POSITIONS_BASIS = "earliest arrival (no positions given; sound travel not corrected)"


def _r(x: float | None, nd: int = 6) -> float | None:
    """Round for output (None and non-finite stay None)."""
    if x is None or not math.isfinite(x):
        return None
    return round(float(x), nd)


@dataclass
class ShotSource:
    """One source's view of a shot.

    Attributes
    ----------
    local_s : float or None
        Local seconds of the arrival in this source (the detected onset when
        heard; else the expected arrival mapped through its clock). ``None``
        when the source is not aligned.
    frame : int or None
        Frame (from 0, by container PTS) shown at ``local_s``; ``None`` for
        audio-only sources and when not recording.
    heard : bool
        The source's audio has an impulse associated with this shot.
    peak_dbfs : float or None
        The impulse's peak level when heard.
    status : str
        "recording", "not recording" or "not aligned".
    score : float or None
        Shot-likeness of this source's impulse when heard.
    arrival_shared_s : float or None
        The detected arrival mapped to the shared clock.
    residual_s : float or None
        This source's emission estimate minus the shot's time (sound travel
        corrected), when positions or distances are known.
    """

    local_s: float | None
    frame: int | None
    heard: bool
    peak_dbfs: float | None = None
    status: str = "recording"
    score: float | None = None
    arrival_shared_s: float | None = None
    residual_s: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (times rounded to the microsecond)."""
        out: dict[str, Any] = {
            "local_s": _r(self.local_s),
            "frame": self.frame,
            "heard": self.heard,
            "peak_dbfs": _r(self.peak_dbfs, 1),
            "status": self.status,
        }
        if self.heard:
            out["score"] = _r(self.score, 3)
            out["arrival_shared_s"] = _r(self.arrival_shared_s)
        if self.residual_s is not None:
            out["residual_s"] = _r(self.residual_s)
        return out


@dataclass
class Shot:
    """One shot fired, as heard by one or more sources.

    ``id`` is stable for the same input (``"shot-<shared ms>"``); ``accepted`` is
    ``None`` until a reviewer accepts (True) or rejects (False) it.
    """

    id: str
    number: int
    shared_s: float
    uncertainty_s: float
    sources: dict[str, ShotSource]
    score: float
    confidence: float
    time_basis: str
    interval_s: float | None = None
    wall_clock: str | None = None
    accepted: bool | None = None
    annotated: bool = False
    tdoa_s: dict[str, float] | None = None
    shooter: tuple[float, ...] | None = None
    notes: list[str] = field(default_factory=list)
    position_uncertainty_m: float | None = None  # one sigma of the multilaterated ``shooter`` (h12)

    @property
    def heard_by(self) -> list[str]:
        """Names of the sources that heard it, in table order."""
        return [n for n, s in self.sources.items() if s.heard]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (see the module docstring)."""
        out: dict[str, Any] = {
            "number": self.number,
            "id": self.id,
            "shared_s": _r(self.shared_s),
            "uncertainty_s": _r(self.uncertainty_s),
            "wall_clock": self.wall_clock,
            "interval_s": _r(self.interval_s),
            "sources": {n: s.to_dict() for n, s in self.sources.items()},
            "confidence": _r(self.confidence, 3),
            "score": _r(self.score, 3),
            "accepted": self.accepted,
            "annotated": self.annotated,
            "time_basis": self.time_basis,
        }
        if self.tdoa_s is not None:
            out["tdoa_s"] = {n: _r(v) for n, v in self.tdoa_s.items()}
        if self.shooter is not None:
            out["shooter"] = [round(v, 2) for v in self.shooter]
        out["position_m"] = None if self.shooter is None else [round(v, 2) for v in self.shooter]
        out["position_uncertainty_m"] = _r(self.position_uncertainty_m, 2)
        if self.notes:
            out["notes"] = list(self.notes)
        return out


def _blank(value: Any) -> Any:
    return "" if value is None else value


def _nearest_other(times: list[float], t: float) -> float:
    """Distance (s) from ``t`` (one of the sorted ``times``) to the nearest other time; inf if none."""
    i = bisect.bisect_left(times, t)
    gaps = [abs(times[j] - t) for j in (i - 1, i + 1) if 0 <= j < len(times)]
    return min(gaps, default=math.inf)


@dataclass
class ShotTable:
    """Shots in time order, with the per-source status and how it was made."""

    shots: list[Shot]
    per_source: dict[str, str]
    time_basis: str
    provenance: dict[str, Any] = field(default_factory=dict)
    candidates: dict[str, list[Any]] = field(default_factory=dict)

    def shot(self, shot_id: str) -> Shot:
        """The shot with this ``id`` (``KeyError`` naming it when there is none)."""
        for shot in self.shots:
            if shot.id == shot_id:
                return shot
        raise KeyError(f"no shot {shot_id!r} in the table")

    def set_accepted(self, shot_id: str, accepted: bool | None) -> Shot:
        """Record a reviewer's decision on a candidate: True accepted, False rejected, None undecided."""
        if accepted not in (True, False, None):
            raise ValueError(f"accepted must be True, False or None, got {accepted!r}")
        shot = self.shot(shot_id)
        shot.accepted = accepted
        return shot

    def carry_decisions(self, earlier: ShotTable, *, within_s: float = CARRY_WITHIN_S) -> int:
        """Give the shots the reviewer's decisions from ``earlier``, the table of an earlier
        detection (run again after re-aligning, or with other parameters).

        A shot takes the decision on an earlier shot at most ``within_s`` seconds
        away in shared time, and at most a quarter of the way to either one's
        nearest neighbour in its own table (in a burst the shots are tens of ms
        apart: a decision never jumps to the next shot, and a shot that moved
        towards the middle between two earlier ones takes neither). Nearest
        pairs go first and each earlier decision goes to one shot at most. Undecided earlier shots carry nothing; a shot
        without a match stays undecided, to be decided again.

        Returns
        -------
        int
            How many decisions were carried.
        """
        times = sorted(s.shared_s for s in self.shots)
        earlier_times = sorted(s.shared_s for s in earlier.shots)
        pairs = []
        for new in self.shots:
            reach = min(within_s, CARRY_FRACTION * _nearest_other(times, new.shared_s))
            for old in earlier.shots:
                gap = abs(new.shared_s - old.shared_s)
                if old.accepted is None or gap > reach:
                    continue
                if gap <= CARRY_FRACTION * _nearest_other(earlier_times, old.shared_s):
                    pairs.append((gap, new.id, old.id, old.accepted))
        taken_new: set[str] = set()
        taken_old: set[str] = set()
        for _gap, new_id, old_id, accepted in sorted(pairs, key=lambda p: p[0]):
            if new_id in taken_new or old_id in taken_old:
                continue
            self.shot(new_id).accepted = accepted
            taken_new.add(new_id)
            taken_old.add(old_id)
        return len(taken_new)

    def summary(self) -> dict[str, Any]:
        """Count, first and last shared time, span, mean rate (shots/s), basis, per-source status."""
        n = len(self.shots)
        first = self.shots[0].shared_s if n else None
        last = self.shots[-1].shared_s if n else None
        span = (last - first) if n else None
        rate = (n - 1) / span if n > 1 and span and span > 0 else None
        return {
            "count": n,
            "first_shared_s": _r(first),
            "last_shared_s": _r(last),
            "span_s": _r(span),
            "mean_rate_per_s": _r(rate, 3),
            "time_basis": self.time_basis,
            "per_source": dict(self.per_source),
        }

    def to_dict(self) -> dict[str, Any]:
        """``{"shots": [...], "summary": {...}, "provenance": {...}}``."""
        return {
            "shots": [s.to_dict() for s in self.shots],
            "summary": self.summary(),
            "provenance": dict(self.provenance),
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as indented JSON text."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def source_names(self) -> list[str]:
        """Every source named in the table, in order."""
        return list(self.per_source)

    def to_csv(self) -> str:
        """One row per shot; per source ``<name> local_s``, ``frame``, ``heard``, ``peak_dbfs`` columns."""
        names = self.source_names()
        head = ["number", "id", "shared_s", "uncertainty_s", "wall_clock", "interval_s", "confidence", "score",
                "position_m", "position_uncertainty_m"]
        for n in names:
            head += [f"{n} local_s", f"{n} frame", f"{n} heard", f"{n} peak_dbfs"]
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(head)
        for shot in self.shots:
            d = shot.to_dict()
            row = [d["number"], d["id"], d["shared_s"], d["uncertainty_s"], d["wall_clock"] or "",
                   "" if d["interval_s"] is None else d["interval_s"], d["confidence"], d["score"],
                   ";".join(str(v) for v in d["position_m"] or ()), _blank(d["position_uncertainty_m"])]
            for n in names:
                s = d["sources"].get(n)
                if s is None:
                    row += ["", "", "", ""]
                    continue
                row += ["" if s["local_s"] is None else s["local_s"],
                        "" if s["frame"] is None else s["frame"],
                        "yes" if s["heard"] else "no",
                        "" if s["peak_dbfs"] is None else s["peak_dbfs"]]
            writer.writerow(row)
        return buf.getvalue()

    def to_text(self) -> str:
        """A human-readable table for the terminal."""
        from timesync.timeutil import format_hms

        lines = []
        for shot in self.shots:
            interval = "" if shot.interval_s is None else f"  +{shot.interval_s * 1e3:.0f} ms"
            wall = f"  {shot.wall_clock}" if shot.wall_clock else ""
            lines.append(f"#{shot.number:<3} {format_hms(shot.shared_s, 4)}  ±{shot.uncertainty_s * 1e3:.1f} ms"
                         f"  conf {shot.confidence:.2f}  score {shot.score:.2f}{interval}{wall}")
            for name, s in shot.sources.items():
                if s.local_s is None:
                    where = s.status
                else:
                    where = format_hms(s.local_s, 4) + ("" if s.frame is None else f" frame {s.frame}")
                    if s.status != "recording":
                        where += f" ({s.status})"
                heard = f"heard {s.peak_dbfs:.1f} dBFS" if s.heard and s.peak_dbfs is not None else "not heard"
                lines.append(f"       {name}: {where}, {heard}")
        sm = self.summary()
        lines.append("")
        if sm["count"]:
            rate = "" if sm["mean_rate_per_s"] is None else f", {sm['mean_rate_per_s']:.2f} shots/s"
            lines.append(f"{sm['count']} shot(s) from {format_hms(sm['first_shared_s'], 4)} to "
                         f"{format_hms(sm['last_shared_s'], 4)} (span {sm['span_s']:.3f} s{rate})")
        else:
            lines.append("no shots found")
        lines.append(f"time basis: {self.time_basis}")
        for name, status in self.per_source.items():
            lines.append(f"  {name}: {status}")
        return "\n".join(lines) + "\n"
