"""``timesync anchor``: checked anchors, disagreements with figures, history, hashes, no tracebacks."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from tests.media_factory import make_video
from timesync.align.anchors import Anchor
from timesync.cli import main
from timesync.clock import ClockMap
from timesync.project import Project
from timesync.project.source import Source
from timesync.project.verify import hash_file

FPS = Fraction(25)


def _strong(kind: str, sigma: float) -> dict:
    """Stored evidence on a.mp4: b's local time = a's + 2.5 s."""
    return {"kind": kind, "with": "b.mp4", "offset_s": 2.5, "uncertainty_s": sigma, "rate": 1.0,
            "rate_uncertainty": None, "at_source_s": 0.0, "score": 10.0}


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("anchor-clips")
    return {n: make_video(folder / n, n_frames=100, fps=FPS, size=(64, 48)) for n in ("a.mp4", "b.mp4")}


def _project(tmp_path, clips, *, evidence=False, anchors=(), hashed=False):
    """a.mp4 (reference) and b.mp4, 4.0 s each, beside ``incident.json``; returns its path."""
    for name, src in clips.items():
        (tmp_path / name).write_bytes(src.read_bytes())
    cons = (_strong("audio", 0.001), _strong("visual", 0.002)) if evidence else ()
    project = Project(
        sources=[Source(name="a.mp4", path="a.mp4", sha256=hash_file(tmp_path / "a.mp4") if hashed else None,
                        clock=ClockMap(0.0, 1.0, 0.0, "reference"), constraints=cons),
                 Source(name="b.mp4", path="b.mp4", sha256=hash_file(tmp_path / "b.mp4") if hashed else None,
                        reason="nothing matched")],
        reference="a.mp4", path=tmp_path / "incident.json", extra={"anchors": [a.to_dict() for a in anchors]})
    project.save()
    return tmp_path / "incident.json"


def _run(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


# -- bad arguments: one line on stderr, no traceback, the documented exit status, nothing written ------

BAD = [
    ("negative time", ["a.mp4@-3", "b.mp4@2"], 3, "a.mp4: an anchor at -3.000 s is outside the recording (0 to 4.000 s"),
    ("negative H:MM:SS", ["a.mp4@1", "b.mp4@-0:01"], 3, "b.mp4: an anchor at -1.000 s is outside"),
    ("past the end", ["a.mp4@1", "b.mp4@4.5"], 3, "b.mp4: an anchor at 4.500 s is outside the recording (0 to 4.000 s"),
    ("unknown source", ["x.mp4@1", "b.mp4@2"], 3, "no source named 'x.mp4'"),
    ("same source twice", ["a.mp4@1", "a.mp4@2"], 3, "two different sources"),
    ("malformed time", ["a.mp4@x", "b.mp4@2"], 3, "'x' is not a time"),
    ("no @", ["a.mp4", "b.mp4@2"], 3, "expected FILE@TIME"),
    ("no file", ["@1", "b.mp4@2"], 3, "expected FILE@TIME"),
    ("minutes of 75 s", ["a.mp4@1:75", "b.mp4@2"], 3, "not a time"),
    ("double sign", ["a.mp4@--1", "b.mp4@2"], 3, "not a time"),
    ("not finite", ["a.mp4@inf", "b.mp4@2"], 3, "not a time"),
    ("nan", ["a.mp4@nan", "b.mp4@2"], 3, "not a time"),
    ("uncertainty 0", ["a.mp4@1", "b.mp4@2", "--uncertainty", "0"], 3, "--uncertainty must be"),
    ("uncertainty text", ["a.mp4@1", "b.mp4@2", "--uncertainty", "abc"], 3, "--uncertainty must be"),
    ("uncertainty inf", ["a.mp4@1", "b.mp4@2", "--uncertainty", "inf"], 3, "--uncertainty must be"),
    ("negative rate", ["a.mp4@2", "b.mp4@2.5"], 1, "anchor 2 (a.mp4 @ 2.000 s = b.mp4 @ 2.500 s) contradicts anchor 1"),
    ("one moment", ["a.mp4@2"], 3, "give two moments"),
    ("remove and add", ["a.mp4@1", "b.mp4@2", "--remove", "1"], 3, "not both"),
    ("remove 0", ["--remove", "0"], 3, "no anchor 0 (the project has 1)"),
    ("remove 2 of 1", ["--remove", "2"], 3, "no anchor 2 (the project has 1)"),
    ("remove text", ["--remove", "x"], 3, "--remove takes an anchor number"),
]


@pytest.mark.parametrize(("case", "args", "code", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_arguments(tmp_path, clips, capsys, case, args, code, message):
    path = _project(tmp_path, clips, anchors=[Anchor("a.mp4", 1.0, "b.mp4", 3.5)])
    before = path.read_bytes()
    got, _out, err = _run(["anchor", str(path), *args], capsys)
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert message in err
    assert got == code
    if code == 3:
        assert path.read_bytes() == before  # nothing written


@pytest.mark.parametrize("damage", ["missing", "corrupt", "folder", "bad anchor entry"])
def test_bad_projects(tmp_path, clips, capsys, damage):
    path = _project(tmp_path, clips)
    if damage == "missing":
        path.unlink()
    elif damage == "corrupt":
        path.write_text(path.read_text()[:-40])
    elif damage == "folder":
        path.unlink()
        path.mkdir()
    else:
        data = json.loads(path.read_text())
        data["anchors"] = [{"source": "a.mp4"}]
        path.write_text(json.dumps(data))
    got, _out, err = _run(["anchor", str(path), "a.mp4@1", "b.mp4@3.5"], capsys)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith("timesync: error: incident.json")
    assert got == 3


# -- disagreements -------------------------------------------------------------------------------------

def test_an_anchor_against_the_evidence_is_reported_and_the_others_still_count(tmp_path, clips, capsys):
    """Audio and visual evidence say b = a + 2.5 s; an anchor 400 ms off is reported (figures in ms),
    exit 1, and left out of the solve, while the good anchors keep counting ("manual" stays)."""
    path = _project(tmp_path, clips, evidence=True)
    code, out, err = _run(["anchor", str(path), "a.mp4@1.0", "b.mp4@3.5"], capsys)
    assert (code, err) == (0, "")
    assert "manual+audio+visual" in out
    code, out, err = _run(["anchor", str(path), "a.mp4@0.5", "b.mp4@3.4"], capsys)
    assert code == 1, err
    assert "anchor 2 (a.mp4 @ 0.500 s = b.mp4 @ 3.400 s)" in err and "+400.0 ms" in err
    assert "left out of the solve" in err
    assert "manual+audio+visual" in out  # anchor 1 still counts
    saved = Project.load(path, verify=False)
    assert saved.clock("b.mp4").offset_s == pytest.approx(-2.5, abs=1e-6)
    assert len(saved.extra["anchors"]) == 2  # the user's statement is kept, and reported until resolved
    code, out, err = _run(["anchor", str(path), "a.mp4@1.3", "b.mp4@3.8"], capsys)
    assert code == 1 and "anchor 2 (" in err and "anchor 3" not in err  # still reported: not resolved
    assert "manual+audio+visual" in out


def test_a_lone_anchor_against_the_evidence_is_reported(tmp_path, clips, capsys):
    path = _project(tmp_path, clips, evidence=True)
    code, out, err = _run(["anchor", str(path), "a.mp4@1.0", "b.mp4@3.9"], capsys)
    assert code == 1
    assert "anchor 1 (a.mp4 @ 1.000 s = b.mp4 @ 3.900 s) is +400.0 ms from the other evidence" in err
    assert "(audio+visual)" in out


def test_anchors_that_contradict_each_other_are_reported(tmp_path, clips, capsys):
    path = _project(tmp_path, clips)
    assert _run(["anchor", str(path), "a.mp4@1.0", "b.mp4@3.5"], capsys)[0] == 0
    code, _out, err = _run(["anchor", str(path), "b.mp4@3.8", "a.mp4@1.1"], capsys)  # given the other way round
    assert code == 1
    assert "anchor 2 (b.mp4 @ 3.800 s = a.mp4 @ 1.100 s) contradicts anchor 1" in err
    assert "+200.0 ms" in err
    saved = Project.load(path, verify=False)
    assert saved.clock("b.mp4").offset_s == pytest.approx(-2.5, abs=1e-9)  # anchor 1 alone places b


# -- history and hashes --------------------------------------------------------------------------------

def test_every_anchor_is_in_the_history_even_one_that_moves_nothing(tmp_path, clips, capsys):
    path = _project(tmp_path, clips, hashed=True)
    code, out, err = _run(["anchor", str(path), "a.mp4@1.0", "b.mp4@3.5", "--author", "ann"], capsys)
    assert (code, err) == (0, "")  # every file verified, the anchor agrees: nothing to say on stderr
    assert out.startswith("anchored a.mp4 @ 1.000 s = b.mp4 @ 3.500 s (1 anchor(s)); 2 source(s)")
    # as good as no anchor next to the first (1000 s sigma): no clock moves
    assert _run(["anchor", str(path), "a.mp4@1.0", "b.mp4@3.5", "--author", "bob", "--uncertainty", "1000"],
                capsys)[0] == 0
    history = Project.load(path, verify=False).history
    added = [h for h in history if h.action == "anchor_added"]
    assert [(h.who, h.target, h.after["anchor"], h.after["other_s"]) for h in added] == [
        ("ann", "anchors", 1, 3.5), ("bob", "anchors", 2, 3.5)]
    assert [h.action for h in history].count("clock_changed") == 1  # the second moved no clock


def test_anchor_names_sources_as_every_command_does(tmp_path, clips, capsys):
    """The one resolver (timesync.project.names): a path to the file, as typed, names its source."""
    path = _project(tmp_path, clips, hashed=True)
    code, out, err = _run(["anchor", str(path), f"{tmp_path / 'a.mp4'}@1.0", "b.mp4@3.5"], capsys)
    assert (code, err) == (0, "")
    assert out.startswith("anchored a.mp4 @ 1.000 s = b.mp4 @ 3.500 s")
    code, _, err = _run(["anchor", str(path), f"{tmp_path / 'c.mp4'}@1.0", "b.mp4@3.5"], capsys)
    assert code == 3 and "no source named" in err and "(sources: a.mp4, b.mp4)" in err
    # another file that only shares a source's file name is not that source (it was taken for it)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "a.mp4").write_bytes(b"not the evidence")
    before = path.read_bytes()
    code, _, err = _run(["anchor", str(path), f"{tmp_path / 'elsewhere' / 'a.mp4'}@1.0", "b.mp4@3.5"], capsys)
    assert code == 3 and "is a file but not the file of any source" in err
    assert path.read_bytes() == before


@pytest.mark.parametrize("damage", ["changed", "missing"])
def test_anchor_checks_hashes(tmp_path, clips, capsys, damage):
    path = _project(tmp_path, clips, hashed=True)
    for name in ("a.mp4", "b.mp4"):
        if damage == "missing":
            (tmp_path / name).unlink()
        else:
            data = bytearray((tmp_path / name).read_bytes())
            data[-1] ^= 0xFF
            (tmp_path / name).write_bytes(bytes(data))
    code, _out, err = _run(["anchor", str(path), "a.mp4@1.0", "b.mp4@3.5"], capsys)
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith("timesync: warning: ") for line in lines)
    assert all(damage.upper() in line for line in lines)


def test_removing_the_contradicting_anchor_resolves_it(tmp_path, clips, capsys):
    path = _project(tmp_path, clips, evidence=True)
    assert _run(["anchor", str(path), "a.mp4@1.0", "b.mp4@3.5"], capsys)[0] == 0
    assert _run(["anchor", str(path), "a.mp4@0.5", "b.mp4@3.4"], capsys)[0] == 1
    code, out, err = _run(["anchor", str(path), "--remove", "2", "--author", "cy"], capsys)
    assert (code, err) == (0, "")
    assert out.startswith("removed anchor 2 (a.mp4 @ 0.500 s = b.mp4 @ 3.400 s) (1 anchor(s) left)")
    saved = Project.load(path, verify=False)
    assert [a["other_s"] for a in saved.extra["anchors"]] == [3.5]
    (removed,) = [h for h in saved.history if h.action == "anchor_removed"]
    assert (removed.who, removed.before["anchor"], removed.before["other_s"], removed.after) == ("cy", 2, 3.4, None)
