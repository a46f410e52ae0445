"""The prior on device clocks: what a placement by burned-in clocks or metadata tags is worth.

A device's clock (the one it burns into its frames and stamps into its
creation_time tag) is set by hand or by a dock, and drifts; it is wrong by
seconds to hours. Two devices' clocks therefore relate their recordings only
weakly: every constraint of a kind in :data:`DEVICE_CLOCK_KINDS` carries, on top
of its measurement sigma, the prior :data:`DEVICE_CLOCK_SIGMA_S` on the
difference of two device clocks.

The prior weighs device clocks against each other and against content: a
device-clock constraint more than 5 sigma (75 min) off content evidence (audio,
flashes, anchors: millisecond sigmas) is dropped as the outlier and the
disagreement reported, and content overrides device clocks whatever their error.

A placement that rests on device clocks only states at least
:data:`CLOCK_ONLY_SIGMA_S` (1 h), wider than the prior: nothing checks it, and
real clock errors reach hours (a clock set to another zone than the other
device's). With it the truth is within 5 sigma for clock errors up to 5 hours:
drift, hand setting, daylight-saving slips and zone errors up to 5 h. Not
covered: a 12-hour AM/PM slip or zones further apart; such a placement is still
labelled :data:`UNVERIFIED`. (The stress corpus's clock errors reach 3 hours: with
the 15-min prior alone a 2.4-hour error was placed 9.6 sigma off.)

A clock that reads a date before :data:`UNSET_BEFORE_YEAR` (1904, 1970, 2000:
never set) gives no constraint at all; the aligner's note says so.

A source that only device-clock constraints link to the reference keeps at
least :data:`CLOCK_ONLY_SIGMA_S` of uncertainty (an overlay and a tag of the
same device share its clock's error: combining them must not shrink it) and its
method says :data:`UNVERIFIED`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["DEVICE_CLOCK_SIGMA_S", "CLOCK_ONLY_SIGMA_S", "DEVICE_CLOCK_KINDS", "UNVERIFIED", "clock_only_sources",
           "mark_clock_only", "content_chi2", "describe_duration",
           "unset_clock", "UNSET_BEFORE_YEAR"]

#: One sigma (s) of the difference of two devices' clocks (15 min); see the module docstring.
DEVICE_CLOCK_SIGMA_S = 900.0
#: The least one-sigma uncertainty (s) of a placement by device clocks only (1 h); see the module docstring.
CLOCK_ONLY_SIGMA_S = 3600.0
#: Constraint kinds that rest on device clocks alone.
DEVICE_CLOCK_KINDS = ("overlay", "metadata")
#: The label of a placement that rests on device clocks only.
UNVERIFIED = "placed by device clocks only: unverified"


def clock_only_sources(reference: str, placed: Iterable[str], constraints: Iterable[Any]) -> list[str]:
    """Placed sources that content constraints (any kind but device clocks) do not link to ``reference``."""
    from timesync.align.solve import _component

    content = _component(reference, [c for c in constraints if c.kind not in DEVICE_CLOCK_KINDS])
    return [n for n in placed if n not in content]


def mark_clock_only(sol: Any, constraints: Iterable[Any]) -> None:
    """Floor the uncertainty of ``sol``'s clock-only sources at :data:`CLOCK_ONLY_SIGMA_S`; label their method.

    ``sol`` is a :class:`timesync.align.solve.Solution` (its ``clocks`` replaced
    in place, ``clock_only`` filled); ``constraints`` the ones it kept.
    """
    from dataclasses import replace

    names = clock_only_sources(sol.reference, list(sol.clocks), list(constraints))
    for name in names:
        clock = sol.clocks[name]
        sol.clocks[name] = replace(clock, uncertainty_s=max(clock.uncertainty_s, CLOCK_ONLY_SIGMA_S),
                                   method=f"{clock.method} ({UNVERIFIED})")
    sol.clock_only = names


def content_chi2(norm_res: Any, owners: Sequence[Any], dof: int) -> tuple[float, int]:
    """The solve's chi-square and degrees of freedom without the rows of device-clock constraints.

    ``norm_res`` holds the normalised residual of each row, ``owners`` the
    constraint of each row (None for a prior), ``dof`` the degrees of freedom of
    all rows. Two devices' clocks an hour apart is a finding about the clocks,
    not noise in the content measurements, so it must not widen their sigmas.
    """
    device = [o is not None and o.kind in DEVICE_CLOCK_KINDS for o in owners]
    chi2 = float(sum(r * r for r, d in zip(norm_res, device, strict=True) if not d))
    return chi2, dof - sum(device)


#: A clock that shows a date before this year was never set (it counts from 1904,
#: 1970, 2000 or the like): it places nothing.
UNSET_BEFORE_YEAR = 2001


def unset_clock(value: Any) -> bool:
    """True when a datetime ``value`` (a tag or a dated overlay reading) is from a clock never set."""
    return getattr(value, "year", UNSET_BEFORE_YEAR) < UNSET_BEFORE_YEAR


def describe_duration(seconds: float) -> str:
    """``'7.150 s'``, ``'3 min 48.2 s'``, ``'1 h 2 min 3.4 s'`` (of ``abs(seconds)``, rounded on purpose)."""
    seconds = abs(seconds)
    if seconds < 60:
        return f"{seconds:.3f} s"
    tenths = round(seconds * 10)
    minutes, tenth_s = divmod(tenths, 600)
    hours, minutes = divmod(minutes, 60)
    head = f"{hours} h " if hours else ""
    return f"{head}{minutes} min {tenth_s / 10:.1f} s"
