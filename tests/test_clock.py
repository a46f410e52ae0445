from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from timesync.clock import IDENTITY, ClockMap, drift_ppm_to_rate, rate_to_drift_ppm
from timesync.timeutil import format_hms, seconds_to_pts, seconds_to_samples

offsets = st.floats(min_value=-36000, max_value=36000, allow_nan=False)
rates = st.floats(min_value=0.999, max_value=1.001)
times = st.floats(min_value=-20000, max_value=20000, allow_nan=False)


def test_convention_positive_offset_means_source_starts_later():
    cam_b = ClockMap(offset_s=63.10425, rate=1.0)
    assert cam_b.to_shared(0.0) == 63.10425
    assert cam_b.to_local(63.10425) == 0.0


def test_drift_ppm_round_trip():
    assert drift_ppm_to_rate(40.0) == pytest.approx(1.00004, abs=1e-15)
    assert rate_to_drift_ppm(1.00004) == pytest.approx(40.0, abs=1e-9)
    assert ClockMap(0.0, 0.999955).drift_ppm == pytest.approx(-45.0, abs=1e-9)


@given(offsets, rates, times)
def test_to_local_inverts_to_shared(offset, rate, t):
    cm = ClockMap(offset, rate)
    assert math.isclose(cm.to_local(cm.to_shared(t)), t, rel_tol=1e-12, abs_tol=1e-9)


@given(offsets, rates, times)
def test_inverse_map_matches_to_local(offset, rate, t):
    cm = ClockMap(offset, rate, 0.001)
    assert math.isclose(cm.inverse().to_shared(t), cm.to_local(t), rel_tol=1e-12, abs_tol=1e-9)
    assert cm.inverse().inverse().almost_equal(cm, 1e-9)


@given(offsets, rates, offsets, rates, times)
def test_compose_is_applying_one_then_the_other(o1, r1, o2, r2, t):
    inner, outer = ClockMap(o1, r1), ClockMap(o2, r2)
    both = inner.compose(outer)
    assert math.isclose(both.to_shared(t), outer.to_shared(inner.to_shared(t)), rel_tol=1e-12, abs_tol=1e-7)


def test_compose_adds_uncertainties_in_quadrature():
    both = ClockMap(1.0, 1.0, 0.003).compose(ClockMap(2.0, 1.0, 0.004))
    assert both.uncertainty_s == pytest.approx(0.005)
    assert both.offset_s == 3.0


def test_identity_is_the_reference():
    assert IDENTITY.to_shared(12.5) == 12.5 and IDENTITY.method == "reference"


@pytest.mark.parametrize("bad", [{"rate": 0.0}, {"rate": -1.0}, {"offset_s": math.nan}, {"uncertainty_s": -1.0}])
def test_invalid_maps_are_refused(bad):
    with pytest.raises(ValueError):
        ClockMap(**{"offset_s": 0.0, "rate": 1.0, **bad})


def test_dict_round_trip():
    cm = ClockMap(63.10425, 0.999955, 0.0003, "audio")
    again = ClockMap.from_dict(cm.to_dict())
    assert again == cm and again.method == "audio"


def test_rounding_is_on_purpose_not_truncation():
    assert seconds_to_samples(2.3, 48000) == 110400  # int() would give 110399
    from fractions import Fraction

    assert seconds_to_pts(1 / 30 * 7, Fraction(1, 15360)) == 3584
    assert format_hms(3661.0005, 3) in {"1:01:01.000", "1:01:01.001"}
    assert format_hms(59.9996) == "0:01:00.000"
    assert format_hms(-1.5) == "-0:00:01.500"
