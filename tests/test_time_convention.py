"""The time convention lives in ClockMap alone (timesync/clock.py).

``shared = offset_s + rate * local`` and its inverse ``(shared - offset_s) / rate``
are written out in ``timesync/clock.py`` only; every other module of the core
and the app maps times through a ClockMap, also for pairwise relations of the
same shape (a Constraint's ``t_other = offset_s + rate * t_source``). A scan of
the syntax trees keeps it so; the helpers that replaced the hand-written
formulas are checked to give the same floats, bit for bit.
"""

from __future__ import annotations

import ast
import math
from pathlib import Path

import media_factory as mf
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from timesync.align.constraints import Constraint
from timesync.clock import ClockMap, shared_frame_start
from timesync.media import FrameIndex

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("timesync", "ui")
HOME = "timesync/clock.py"

#: (file, enclosing function) -> why the convention may be written out there.
#: (file, function) -> why it may write the convention out; every entry must still match.
ALLOWED: dict[tuple[str, str], str] = {}


# -- the detector -------------------------------------------------------------------------------
def _words(node: ast.AST) -> list[str]:
    """Lower-case names, attribute names and string keys inside ``node``."""
    out = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            out.append(sub.id.lower())
        elif isinstance(sub, ast.Attribute):
            out.append(sub.attr.lower())
        elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            out.append(sub.value.lower())
    return out


def _mentions(node: ast.AST, word: str) -> bool:
    return any(word in w for w in _words(node))


def _is_affine(node: ast.BinOp) -> bool:
    """``offset + rate * t`` (either order, either factor) or ``(s - offset) / rate``."""
    if isinstance(node.op, ast.Add):
        for term, product in ((node.left, node.right), (node.right, node.left)):
            if (isinstance(product, ast.BinOp) and isinstance(product.op, ast.Mult)
                    and _mentions(term, "offset")
                    and (_mentions(product.left, "rate") or _mentions(product.right, "rate"))):
                return True
    if isinstance(node.op, ast.Div):
        diff = node.left
        return (isinstance(diff, ast.BinOp) and isinstance(diff.op, ast.Sub)
                and _mentions(diff, "offset") and _mentions(node.right, "rate"))
    return False


def affine_spots(source: str) -> list[tuple[int, str, str]]:
    """``(line, enclosing function, expression)`` of every affine local<->shared formula."""
    tree = ast.parse(source)
    found = []

    def visit(node: ast.AST, func: str) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            func = node.name if func == "" else func  # the outermost function names the spot
        if isinstance(node, ast.BinOp) and _is_affine(node):
            found.append((node.lineno, func, ast.unparse(node)))
            return
        for child in ast.iter_child_nodes(node):
            visit(child, func)

    visit(tree, "")
    return found


@pytest.mark.parametrize("code", [
    "b = c.offset_s + c.rate * a",
    "x = clock.rate * t + clock.offset_s",
    "y = offset + t * rate",
    "local = (shared - clock.offset_s) / clock.rate",
    "local = (shared - float(s['offset_s'])) / float(s.get('rate', 1.0))",
    "err = (s['offset_s'] + rate * mid) - truth",
    "o = fit.offset_s + (fit.rate - new_rate) * fit.at_b_s",
])
def test_the_detector_finds_the_convention_written_out(code):
    assert len(affine_spots(code)) == 1


@pytest.mark.parametrize("code", [
    "lag = l0 + slope * t",                 # a drift line, not the clock convention
    "lo = offset_s - half",
    "scale = rate / clock.rate",
    "t = clock.to_shared(frame_time(n))",
    "shift = offset_a - offset_b",
    "z = at_zero + rate * local",           # an overlay reading, not an offset
])
def test_the_detector_leaves_other_arithmetic_alone(code):
    assert affine_spots(code) == []


def test_only_clock_py_writes_the_time_convention():
    offending, allowed_seen = [], set()
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel == HOME:
                continue
            for line, func, expr in affine_spots(path.read_text(encoding="utf-8")):
                if (rel, func) in ALLOWED:
                    allowed_seen.add((rel, func))
                else:
                    offending.append(f"{rel}:{line} ({func or 'module'}): {expr}")
    assert not offending, "map times through ClockMap (timesync/clock.py):\n" + "\n".join(offending)
    assert allowed_seen == set(ALLOWED), f"stale ALLOWED entries: {sorted(set(ALLOWED) - allowed_seen)}"


def test_clock_py_still_holds_the_convention():
    spots = affine_spots((ROOT / HOME).read_text(encoding="utf-8"))
    assert {func for _, func, _ in spots} >= {"to_shared", "to_local"}


# -- the helpers give the same floats as the formulas they replaced -------------------------------
offsets = st.floats(min_value=-36000, max_value=36000, allow_nan=False)
rates = st.floats(min_value=0.999, max_value=1.001)
times = st.floats(min_value=-20000, max_value=20000, allow_nan=False)


@given(offsets, rates, st.lists(times, min_size=1, max_size=20))
def test_mapping_arrays_is_element_wise_and_bit_identical(offset, rate, ts):
    clock = ClockMap(offset, rate)
    arr = np.array(ts, dtype=np.float64)
    assert clock.to_shared(arr).tolist() == [clock.to_shared(t) for t in ts]
    assert clock.to_local(arr).tolist() == [clock.to_local(t) for t in ts]
    assert clock.shared_duration(arr).tolist() == [rate * t for t in ts]
    assert clock.local_duration(arr).tolist() == [t / rate for t in ts]


@given(offsets, rates, rates, times, offsets)
def test_with_rate_turns_about_the_pivot_and_shifted_moves_later(offset, rate, new_rate, pivot, shift):
    clock = ClockMap(offset, rate, 0.25, "audio")
    turned = clock.with_rate(new_rate, pivot)
    assert turned.rate == new_rate and turned.uncertainty_s == 0.25 and turned.method == "audio"
    assert turned.offset_s == offset + (rate - new_rate) * pivot
    assert turned.to_shared(pivot) == pytest.approx(clock.to_shared(pivot), abs=1e-9)
    moved = clock.shifted(shift)
    assert moved.offset_s == offset + shift and moved.rate == rate and moved.method == "audio"
    assert moved.to_shared(pivot) == pytest.approx(clock.to_shared(pivot) + shift, abs=1e-8)


@given(offsets, rates, times)
def test_a_constraint_maps_through_its_clock_and_reverses_by_the_inverse(offset, rate, at):
    c = Constraint("a.mp4", "b.mp4", offset, 0.002, "audio", rate=rate, rate_uncertainty=1e-7,
                   at_source_s=at)
    assert c.clock == ClockMap(offset, rate, 0.002) and c.clock.method == "audio"
    assert c.to_other(at) == offset + rate * at
    r = c.reversed()
    inverse = ClockMap(offset, rate, 0.002).inverse()
    assert (r.source, r.other, r.kind) == ("b.mp4", "a.mp4", "audio")
    assert (r.offset_s, r.rate, r.uncertainty_s) == (inverse.offset_s, inverse.rate, inverse.uncertainty_s)
    # the values the hand-written formulas gave
    assert (r.offset_s, r.rate, r.uncertainty_s) == (-offset / rate, 1.0 / rate, 0.002 / rate)
    assert r.at_source_s == offset + rate * at
    assert r.rate_uncertainty == 1e-7 / rate**2


# -- frame snapping -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def index(tmp_path_factory) -> FrameIndex:
    """40 frames at 30 fps in MP4 (PTS ticks of 1/15360 s)."""
    return FrameIndex.open(mf.make_video(tmp_path_factory.mktemp("convention") / "clip.mp4", n_frames=40))


@pytest.mark.parametrize("clock", [ClockMap(12.345, 1.000037), ClockMap(-3.2, 0.99998), ClockMap(0.0, 1.0)])
def test_a_frame_start_on_the_shared_clock_is_the_mapped_start_when_that_maps_back(index, clock):
    for n in range(len(index)):
        t = shared_frame_start(clock, index, n)
        assert t == clock.to_shared(index.frame_time(n))
        assert index.frame_at_shared(clock, t).number == n


def test_a_frame_start_is_nudged_up_until_it_maps_back_to_its_frame(index):
    # shared times this large are a float step of 0.12 ms apart, more than half a PTS tick
    # (33 us): some frame starts mapped to the shared clock fall into the previous frame
    clock = ClockMap(1.0e12 + 0.0123, 1.0000437)
    nudged = 0
    for n in range(len(index)):
        naive = clock.to_shared(index.frame_time(n))
        t = shared_frame_start(clock, index, n)
        assert index.frame_at_shared(clock, t).number == n
        assert t >= naive
        if t != naive:
            nudged += 1
            for before in (naive, math.nextafter(t, -math.inf)):  # earlier times show an earlier frame
                ref = index.frame_at_shared(clock, before)
                assert ref is None or ref.number < n
    assert nudged > 0
