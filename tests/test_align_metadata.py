"""creation_time and timecode tags as coarse constraints."""

from __future__ import annotations

from fractions import Fraction
from types import SimpleNamespace

import pytest

from tests.media_factory import make_video
from timesync.align.device_clocks import DEVICE_CLOCK_SIGMA_S
from timesync.align.metadata import (
    METADATA_SIGMA_S,
    NO_METADATA,
    find_constraints,
    timecode_seconds,
)
from timesync.media import probe


@pytest.mark.parametrize(
    ("timecode", "fps", "seconds"),
    [
        ("01:00:00:00", Fraction(25), 3600.0),
        ("00:00:01:12", Fraction(25), 1.48),
        ("00:01:00;02", Fraction(30000, 1001), 1800 * 1001 / 30000),  # first label after a dropped pair
        ("00:10:00;00", Fraction(30000, 1001), 17982 * 1001 / 30000),  # tenth minute: no drop
    ],
    ids=["hour-25", "frames-25", "drop-frame-minute", "drop-frame-tenth"],
)
def test_timecode_seconds(timecode, fps, seconds):
    assert timecode_seconds(timecode, fps) == pytest.approx(seconds, abs=1e-9)


@pytest.mark.parametrize("bad", ["", "1:2:3", "00:61:00:00", "00:00:00:30"])
def test_timecode_rejects(bad):
    assert timecode_seconds(bad, Fraction(30)) is None


@pytest.fixture(scope="session")
def tagged(tmp_path_factory):
    folder = tmp_path_factory.mktemp("meta")
    a = make_video(folder / "a.mp4", n_frames=25, fps=Fraction(25), size=(64, 48),
                   metadata={"creation_time": "2024-05-17T21:02:33.000000Z"})
    b = make_video(folder / "b.mp4", n_frames=50, fps=Fraction(25), size=(64, 48),
                   metadata={"creation_time": "2024-05-17T21:02:40.000000Z"})
    c = make_video(folder / "c.mp4", n_frames=10, fps=Fraction(25), size=(64, 48))
    return a, b, c


def test_creation_time_constraint(tagged):
    a, b, c = tagged
    sources = [SimpleNamespace(name=str(p), path=p, info=probe(p)) for p in tagged]
    report = find_constraints(sources)
    assert report.notes == {str(c): NO_METADATA}
    (con,) = report.constraints
    assert con.kind == "metadata" and con.source == str(a) and con.other == str(b)
    assert con.offset_s == pytest.approx(-7.0)  # b started 7 s after a: t_b = t_a - 7
    hyp = con.evidence["hypotheses_s"]
    assert hyp["both stamp the end"] == pytest.approx(-7.0 + 1.0)  # durations 1 s and 2 s
    # the measurement, then the prior on two device clocks' difference (issue 12)
    assert con.evidence["measured_sigma_s"] == pytest.approx((METADATA_SIGMA_S**2 + 0.5**2) ** 0.5, abs=1e-3)
    assert con.uncertainty_s == pytest.approx((METADATA_SIGMA_S**2 + 0.5**2 + DEVICE_CLOCK_SIGMA_S**2) ** 0.5)
    assert con.rate_uncertainty is None
    assert report.findings[str(a)]["metadata"]["creation_time"].startswith("2024-05-17T21:02:33")


def test_star_not_every_pair(tagged, tmp_path):
    d = make_video(tmp_path / "d.mp4", n_frames=25, fps=Fraction(25), size=(64, 48),
                   metadata={"creation_time": "2024-05-17T21:02:36.000000Z"})
    a, b, _ = tagged
    sources = [SimpleNamespace(name=str(p), path=p, info=probe(p)) for p in (a, b, d)]
    cons = find_constraints(sources).constraints
    # one device's clock error is in every pair it takes part in: n - 1 constraints, not n(n-1)/2
    assert [(c.source, c.other) for c in cons] == [(str(a), str(b)), (str(a), str(d))]
    assert cons[1].offset_s == pytest.approx(-3.0)


# -- metadata narrows an audio search that is ambiguous over all offsets ----------------


def _looped_pair(folder, tags_a: str, tags_b: str):
    """Two 60-s recordings of a 20-s sound loop (a siren, a rotor), the second starting
    5 s after the first (``t_a = 5 + t_b``), with their own noise and creation_time tags.
    (Equal durations: the tags' start and end hypotheses agree, so their sigma is 2 s.)"""
    import numpy as np

    from tests.media_factory import AudioSpec

    sr = 8000
    rng = np.random.default_rng(5)
    gate = np.repeat(rng.random(20 * 100) < 0.25, sr // 100)
    loop = (rng.normal(0, 0.3, 20 * sr) * gate).astype(np.float32)
    sound = np.tile(loop, 4)
    a = sound[: 60 * sr] + rng.normal(0, 0.02, 60 * sr).astype(np.float32)
    b = sound[5 * sr : 65 * sr] + rng.normal(0, 0.02, 60 * sr).astype(np.float32)
    folder.mkdir()
    paths = []
    for name, x, tag in (("a.mp4", a, tags_a), ("b.mp4", b, tags_b)):
        paths.append(make_video(
            folder / name, n_frames=round(x.size / sr * 5), fps=Fraction(5), size=(64, 48),
            audio=AudioSpec(x.astype(np.float32), sr=sr, codec="pcm_s16le"),
            metadata={"creation_time": tag} if tag else None))
    return paths


def _audio_report(paths):
    from timesync.align import audio
    from timesync.align.constraints import SourceMedia

    sources = [SourceMedia(str(p), str(p), probe(str(p))) for p in paths]
    return audio.find_constraints(sources, max_workers=1)


def test_metadata_narrows_an_ambiguous_audio_search(tmp_path):
    untagged = _audio_report(_looped_pair(tmp_path / "plain", "", ""))
    assert not untagged.constraints  # the loop fits three offsets: refused
    assert "ambiguous" in next(iter(untagged.findings.values()))["audio_pairs"].popitem()[1]

    tagged = _audio_report(_looped_pair(tmp_path / "tagged", "2024-05-17T21:02:33.000000Z",
                                        "2024-05-17T21:02:38.000000Z"))
    (c,) = tagged.constraints
    seen = c if c.source.endswith("b.mp4") else c.reversed()
    assert seen.offset_s == pytest.approx(5.0, abs=max(4 * seen.uncertainty_s, 1e-4))
    assert seen.uncertainty_s < 0.001
    assert c.evidence["narrowed_by"] == "metadata"
    lo, hi = c.evidence["narrowed_to_s"]
    assert hi - lo == pytest.approx(2 * (4 * METADATA_SIGMA_S + 0.5), abs=0.01)
    assert c.evidence["over_all_offsets"]["ambiguity"] >= 0.6
    assert "only within the offsets the metadata allows" in tagged.findings[c.source]["audio_pairs"][c.other]


def test_metadata_far_from_the_sound_does_not_force_a_match(tmp_path):
    """Tags an hour apart (a clock in the wrong zone): the narrowed range holds no
    overlap, so the ambiguous pair stays refused rather than matched."""
    report = _audio_report(_looped_pair(tmp_path / "far", "2024-05-17T21:02:33.000000Z",
                                        "2024-05-17T22:02:38.000000Z"))
    assert not report.constraints


def test_metadata_cannot_pick_a_repetition_the_sound_fits_worse(tmp_path):
    """Tags that put b 20 s later than it is (one loop period off) point at a repetition
    with less overlap, whose peak is lower than the best one: the pair stays refused."""
    report = _audio_report(_looped_pair(tmp_path / "period", "2024-05-17T21:02:33.000000Z",
                                        "2024-05-17T21:02:58.000000Z"))
    assert not report.constraints
