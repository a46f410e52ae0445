"""The truth of a built case: each source's place on true time, its clock, and what it shares."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

from corpus.picture import device_value

#: Seconds of shared audible sound from which a source counts as sharing audio.
AUDIO_MIN_S = 15.0
#: Flashes seen by both cameras from which a source counts as placed by flashes.
FLASH_MIN = 3


def _span(plan: dict, part: dict) -> dict:
    f = plan["files"][part["file"]]
    start = f["start_true_s"] + f["rate"] * part["local_in_recording_s"]
    if part["samples"] is not None:
        duration = part["samples"] / f["audio"]["fs"]
    else:
        duration = f["true_len_s"] / f["rate"] - part["local_in_recording_s"]
    head = 0.0
    if f["audio"]:
        head = max(0.0, f["audio"]["silent_head_s"] - part["local_in_recording_s"])
    return {"start": start, "end": start + f["rate"] * duration, "duration": duration, "rate": f["rate"],
            "heard_from": start + f["rate"] * min(head, duration)}


def _overlay_truth(plan: dict, f: dict, span: dict) -> dict | None:
    ov = f["overlay"]
    if ov is None:
        return None
    full = {**ov, "utc_at_true_zero": plan["utc_at_true_zero"]}
    cuts = [j for j in ov["jumps"] if span["start"] < j["at_true_s"] < span["end"]]
    naive = ov["style"] in ("dvr_mdy", "dvr_dmy", "small")
    stretches, bounds = [], [span["start"]] + [j["at_true_s"] for j in cuts] + [span["end"]]
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        # the stretch's clock extrapolated back to local 0: its value at lo minus the local time elapsed
        value = device_value(full, lo + 1e-9) - (lo - span["start"]) + 1e-9
        shown = value + (ov["zone_minutes"] * 60 if naive else 0)
        stretches.append({"from_local_s": round((lo - span["start"]) / span["rate"], 6),
                          "to_local_s": round((hi - span["start"]) / span["rate"], 6),
                          "at_local_zero_s": round(shown, 6),
                          "at_local_zero": datetime.fromtimestamp(shown, UTC).replace(
                              tzinfo=None if naive else UTC).isoformat(timespec="milliseconds")})
    return {"style": ov["style"], "zone_shown": not naive, "date_shown": ov["style"] != "airborne",
            "zone_minutes": ov["zone_minutes"], "device_error_s": ov["device_error_s"],
            "jumps": cuts, "stretches": stretches}


def _shared(plan: dict, a: dict, b: dict, audible: dict) -> tuple[float, int, bool]:
    fa, fb = plan["files"][a["file"]], plan["files"][b["file"]]
    sa, sb = a["span"], b["span"]
    seconds = 0.0
    key = fa["audio"] and fa["audio"]["scene"]
    if key and fb["audio"] and fb["audio"]["scene"] == key and key in audible:
        lo, hi = max(sa["heard_from"], sb["heard_from"]), min(sa["end"], sb["end"])
        seconds = sum(max(0.0, min(hi, e) - max(lo, s)) for s, e in audible[key])
    flashes = 0
    if fa["video"] and fb["video"] and fa["video"]["sees_flashes"] and fb["video"]["sees_flashes"]:
        lo, hi = max(sa["start"], sb["start"]), min(sa["end"], sb["end"])
        flashes = sum(lo <= fl["at_true_s"] and fl["at_true_s"] + fl["duration_s"] <= hi for fl in plan["flashes"])
    both_clocks = bool(fa["overlay"] and fb["overlay"]) and max(sa["start"], sb["start"]) < min(sa["end"], sb["end"])
    return seconds, flashes, both_clocks


def _kind(seconds: float, flashes: int, clocks: bool) -> str:
    if seconds >= AUDIO_MIN_S:
        return "audio"
    if seconds > 0:
        return "audio-short"
    if flashes >= FLASH_MIN:
        return "visual"
    if flashes > 0:
        return "visual-few"
    return "clock" if clocks else "unrelated"


def describe(plan: dict, parts: list[dict], audible: dict) -> list[dict]:
    """The truth entry of every written file (see :mod:`corpus.build`)."""
    for p in parts:
        p["span"] = _span(plan, p)
    first = parts[0]["span"]
    out = []
    for i, p in enumerate(parts):
        f, s = plan["files"][p["file"]], p["span"]
        entry = {"name": p["name"], "type": f["type"], "start_true_s": round(s["start"], 9), "rate_true": s["rate"],
                 "duration_s": round(s["duration"], 6),
                 "offset_s": (s["start"] - first["start"]) / first["rate"], "rate": s["rate"] / first["rate"],
                 "audio": f["audio"], "corrupt": bool(p["damaged_at_bytes"]), "damaged_at_bytes": p["damaged_at_bytes"],
                 "split": bool(f["split_at_local_s"]), "overlay": _overlay_truth(plan, f, s)}
        if f["video"]:
            fps = Fraction(*f["video"]["fps"])
            entry["video"] = {**f["video"], "frame_s": float(1 / fps)}
        if i > 0:
            best = max(((_shared(plan, p, q, audible), j) for j, q in enumerate(parts) if j != i),
                       key=lambda t: (t[0][0] >= AUDIO_MIN_S, t[0][1] >= FLASH_MIN, t[0][0], t[0][1], t[0][2], -t[1]))
            (seconds, flashes, clocks), j = best
            entry["evidence"] = {"partner": parts[j]["name"], "shared_audio_s": round(seconds, 3),
                                 "shared_flashes": flashes, "both_clocks": clocks,
                                 "kind": _kind(seconds, flashes, clocks)}
        out.append(entry)
    for p in parts:
        p.pop("span")
    return out
