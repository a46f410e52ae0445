"""Scoring one case of the stress corpus: timesync's answer against ``truth.json``.

Each non-first source is compared with its ``partner`` (the source it shares
the most with, see ``corpus/truth.py``) at the middle of its recording:
``error = (where the answer puts the moment in the partner's local time) -
(where it truly is)``, and ``sigma = hypot(sigma_source, sigma_partner)``.

Outcome per source:

- ``placed``: both aligned and ``|error|`` within the kind's tolerance: 2 ms for
  ``audio`` and ``audio-short``; half a frame of the (shorter-framed) video for
  ``visual`` and ``visual-few``; the stated sigma for ``clock``;
- ``wrong`` (confidently wrong): ``|error| > 5 sigma`` and ``> 10 ms``; for an
  ``unrelated`` source, any placement (there is nothing to place it by);
- ``off``: placed, but outside the tolerance without being confidently wrong;
- ``refused``: the source or its partner not aligned (``unrelated``: the right answer).

Burned-in clocks: a video source whose truth has an overlay is ``read`` when
the reported ``overlay_clock.at_local_zero`` is within 0.1 s of the truth of one
of its steady stretches (an instant when both show a zone; the wall time shown
otherwise; the time of day when the overlay shows no date), ``misread`` when it
is reported but further off, ``not read`` otherwise.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

TOLERANCE_AUDIO_S = 0.002
WRONG_S = 0.010
WRONG_SIGMAS = 5.0
CLOCK_READ_S = 0.1


def _tolerance(kind: str, truth: dict, name: str, partner: str, sigma: float) -> float | None:
    if kind.startswith("audio"):
        return TOLERANCE_AUDIO_S
    if kind.startswith("visual"):
        frames = [s["video"]["frame_s"] for s in truth["sources"] if s["name"] in (name, partner) and s.get("video")]
        return min(frames) / 2 if frames else None
    if kind == "clock":
        return sigma
    return None


def _local_in_partner(entry: dict, partner: dict, local: float) -> float:
    shared = entry["offset_s"] + entry["rate"] * local
    return (shared - partner["offset_s"]) / partner["rate"]


def score_source(truth: dict, src: dict, answer: dict) -> dict:
    """The outcome row of one non-first source (``src`` its truth entry, ``answer`` timesync's project dict)."""
    ev = src["evidence"]
    by_name = {s["name"]: s for s in truth["sources"]}
    got = {s["path"]: s for s in answer.get("sources", [])}
    mine, other = got.get(src["name"], {}), got.get(ev["partner"], {})
    row = {"seed": truth["seed"], "half": truth["half"], "family": truth["family"], "source": src["name"],
           "partner": ev["partner"], "kind": ev["kind"], "shared_audio_s": ev["shared_audio_s"],
           "shared_flashes": ev["shared_flashes"], "method": mine.get("method"), "reason": mine.get("reason"),
           "error_s": None, "sigma_s": None}
    if not (mine.get("aligned") and other.get("aligned")):
        row["outcome"] = "refused"
        return row
    if ev["kind"] == "unrelated":
        row["outcome"] = "wrong"
        return row
    local = src["duration_s"] / 2
    got_p = _local_in_partner(mine, other, local)
    true_p = _local_in_partner(src, by_name[ev["partner"]], local)
    error = got_p - true_p
    sigma = math.hypot(mine.get("uncertainty_s") or 0.0, other.get("uncertainty_s") or 0.0)
    row["error_s"], row["sigma_s"] = error, sigma
    tol = _tolerance(ev["kind"], truth, src["name"], ev["partner"], sigma)
    if tol is not None and abs(error) <= tol:
        row["outcome"] = "placed"
    elif abs(error) > WRONG_SIGMAS * sigma and abs(error) > WRONG_S:
        row["outcome"] = "wrong"
    else:
        row["outcome"] = "off"
    return row


def _seconds(text: str, date_shown: bool) -> float:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    seconds = value.timestamp()
    return seconds % 86400 if not date_shown else seconds


def score_clock(truth: dict, src: dict, answer: dict) -> dict | None:
    """The burned-in clock row of one source with an overlay (None without one)."""
    ov = src.get("overlay")
    if not ov:
        return None
    got = next((s for s in answer.get("sources", []) if s["path"] == src["name"]), {})
    reported = (got.get("overlay_clock") or {}).get("at_local_zero")
    row = {"seed": truth["seed"], "half": truth["half"], "family": truth["family"], "source": src["name"],
           "style": ov["style"], "jumps": len(ov["jumps"]), "reported": reported, "error_s": None}
    if not reported:
        row["outcome"] = "not read"
        return row
    got_s = _seconds(reported, ov["date_shown"])
    errors = []
    for stretch in ov["stretches"]:
        true_s = _seconds(stretch["at_local_zero"], ov["date_shown"])
        d = got_s - true_s
        if not ov["date_shown"]:
            d = (d + 43200) % 86400 - 43200
        errors.append(d)
    best = min(errors, key=abs)
    row["error_s"] = best
    row["outcome"] = "read" if abs(best) <= CLOCK_READ_S else "misread"
    return row


def score_case(truth: dict, answer: dict) -> tuple[list[dict], list[dict]]:
    """Source rows and clock rows of one case."""
    rows = [score_source(truth, s, answer) for s in truth["sources"][1:]]
    clocks = [r for r in (score_clock(truth, s, answer) for s in truth["sources"]) if r is not None]
    return rows, clocks
