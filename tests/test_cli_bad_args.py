"""Every subcommand (but ``anchor``) given bad arguments: one clear line, the documented exit code.

The rule (also in ``timesync --help`` and the README's CLI section):

* exit 2, the command line is wrong on its face (argparse refuses it: unknown
  option, missing or malformed value, a value out of its range, an unknown
  aligner, the same file twice): stderr is argparse's usage (a ``usage:`` line
  and its indented continuation lines) followed by exactly one line
  ``timesync CMD: error: ...``;
* exit 3, the command line parses but does not fit the files (missing,
  unreadable or corrupt file or project, a folder given as a file, an unknown
  source, a time outside every recording, an output that exists or cannot be
  written): stderr is exactly one line ``timesync: error: ...``.

Never a traceback, and nothing in the case folder changes (no output, no
backup, the project's bytes as they were). Every row runs in the process
(an uncaught exception fails the row); two rows also run ``python -m timesync``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import test_project_factory
from test_project_factory import build_incident

from timesync.cli import main

incident_media = test_project_factory.incident_media  # the session fixture

REPO = Path(__file__).resolve().parents[1]
P = "{P}"  # the project, incident.json
A, B, W, D = "{M}/camA.mp4", "{M}/camB.mp4", "{M}/phone.wav", "{M}/drone.mp4"

#: (id, argv with {P} project, {M} media folder, {T} case folder, exit status)
ROWS = [
    # sync
    ("sync-no-file", ["sync"], 2),
    ("sync-unknown-option", ["sync", A, B, "--bogus"], 2),
    ("sync-same-file-twice", ["sync", A, A, "-q"], 2),
    ("sync-same-file-other-spelling", ["sync", A, "{M}/../media/camA.mp4", "-q"], 2),
    ("sync-unknown-method", ["sync", A, B, "--methods", "foo", "-q"], 2),
    ("sync-empty-methods", ["sync", A, B, "--methods", ",", "-q"], 2),
    ("sync-missing-file", ["sync", A, "{M}/nope.mp4", "-q"], 3),
    ("sync-folder-as-file", ["sync", A, "{M}", "-q"], 3),
    ("sync-device-as-file", ["sync", A, "/dev/null", "-q"], 3),
    ("sync-missing-reference", ["sync", A, B, "--reference", "{M}/nope.mp4", "-q"], 3),
    ("sync-output-folder-missing", ["sync", A, B, "-o", "{T}/nodir/p.json"], 3),  # no -q: no progress either
    ("sync-output-exists", ["sync", A, B, "-o", P, "-q"], 3),
    ("sync-output-is-folder", ["sync", A, B, "-o", "{M}", "-q"], 3),
    ("sync-output-is-input", ["sync", A, B, "-o", A, "--force", "-q"], 3),
    ("sync-backup-is-folder", ["sync", A, B, "-o", "{T}/old.csv", "--force"], 3),
    ("sync-output-empty", ["sync", A, B, "-o", "", "-q"], 3),
    # probe
    ("probe-two-files", ["probe", A, B], 2),
    ("probe-missing", ["probe", "{M}/nope.mp4"], 3),
    ("probe-folder", ["probe", "{M}"], 3),
    ("probe-not-media", ["probe", P], 3),
    ("probe-corrupt-media", ["probe", "{T}/garbage.mp4"], 3),
    ("probe-empty-name", ["probe", ""], 3),
    # annotate
    ("annotate-no-type", ["annotate", P, "--at", "1"], 2),
    ("annotate-time-not-a-number", ["annotate", P, "--type", "warning", "--at", "abc"], 2),
    ("annotate-time-nan", ["annotate", P, "--type", "warning", "--at", "nan"], 2),
    ("annotate-time-far-out", ["annotate", P, "--type", "warning", "--at", "99999"], 3),
    ("annotate-time-huge", ["annotate", P, "--type", "warning", "--at", "1e308"], 3),
    ("annotate-time-99-minutes", ["annotate", P, "--type", "warning", "--at", "1:99:99"], 2),
    ("annotate-time-negative-seconds", ["annotate", P, "--type", "warning", "--at", "1:-5"], 2),
    ("annotate-time-negative", ["annotate", P, "--type", "warning", "--at", "-5"], 3),
    ("annotate-end-outside", ["annotate", P, "--type", "warning", "--at", "1", "--end", "50"], 3),
    ("annotate-end-before-start", ["annotate", P, "--type", "warning", "--at", "2", "--end", "1"], 3),
    ("annotate-unknown-type", ["annotate", P, "--type", "explosion", "--at", "1"], 3),
    ("annotate-unknown-source", ["annotate", P, "--type", "warning", "--at", "1", "--source", "camZ.mp4"], 3),
    ("annotate-source-other-file", ["annotate", P, "--type", "warning", "--at", "1", "--source",
                                    "{T}/garbage.mp4"], 3),
    ("annotate-missing-project", ["annotate", "{T}/nope.json", "--type", "warning", "--at", "1"], 3),
    ("annotate-corrupt-project", ["annotate", "{T}/truncated.json", "--type", "warning", "--at", "1"], 3),
    ("annotate-binary-project", ["annotate", "{T}/binary.json", "--type", "warning", "--at", "1"], 3),
    ("annotate-folder-project", ["annotate", "{M}", "--type", "warning", "--at", "1"], 3),
    ("annotate-empty-project-name", ["annotate", "", "--type", "warning", "--at", "1"], 3),
    # shots
    ("shots-min-score-above-1", ["shots", P, "--min-score", "2"], 2),
    ("shots-min-score-negative", ["shots", P, "--min-score", "-0.1"], 2),
    ("shots-min-score-text", ["shots", P, "--min-score", "high"], 2),
    ("shots-below-absolute-zero", ["shots", P, "--temperature", "-500"], 2),
    ("shots-negative-travel", ["shots", P, "--max-travel", "-5"], 2),
    ("shots-infinite-travel", ["shots", P, "--max-travel", "inf"], 2),
    ("shots-negative-distance", ["shots", P, "--distance", "camA.mp4=-1"], 2),
    ("shots-distance-without-name", ["shots", P, "--distance", "34"], 2),
    ("shots-two-distances", ["shots", P, "--distance", "camA.mp4=1,2"], 2),
    ("shots-position-one-number", ["shots", P, "--position", "camA.mp4=1"], 2),
    ("shots-position-nan", ["shots", P, "--position", "camA.mp4=nan,1"], 2),
    ("shots-shooter-one-number", ["shots", P, "--shooter", "1"], 2),
    ("shots-unknown-source", ["shots", P, "--distance", "camZ.mp4=3"], 3),
    ("shots-source-twice", ["shots", P, "--distance", "camA.mp4=3", "--distance", "media/camA.mp4=4"], 3),
    ("shots-shooter-without-positions", ["shots", P, "--shooter", "1,2"], 3),
    ("shots-output-extension", ["shots", P, "-o", "{T}/shots.txt"], 3),
    ("shots-output-folder-missing", ["shots", P, "-o", "{T}/nodir/shots.csv"], 3),
    ("shots-output-exists", ["shots", P, "-o", "{T}/old.csv"], 3),
    ("shots-output-is-project", ["shots", "{T}/p.json", "-o", "{T}/p.json", "--force"], 3),
    ("shots-corrupt-project", ["shots", "{T}/truncated.json"], 3),
    ("shots-folder-project", ["shots", "{M}"], 3),
    # export
    ("export-unknown-format", ["export", P, "-f", "xyz", "-o", "{T}/x.xyz"], 2),
    ("export-no-output", ["export", P, "-f", "csv"], 2),
    ("export-start-not-a-time", ["export", P, "-f", "mp4", "-o", "{T}/x.mp4", "--start", "soon"], 2),
    ("export-output-folder-missing", ["export", P, "-f", "csv", "-o", "{T}/nodir/x.csv"], 3),
    ("export-output-exists", ["export", P, "-f", "csv", "-o", "{T}/old.csv"], 3),
    ("export-output-is-project", ["export", P, "-f", "json", "-o", P, "--force"], 3),
    ("export-output-is-source", ["export", P, "-f", "mp4", "-o", A, "--force"], 3),
    ("export-output-is-folder", ["export", P, "-f", "csv", "-o", "{M}"], 3),
    ("export-unknown-source", ["export", P, "-f", "vtt", "-o", "{T}/x.vtt", "--source", "camZ.mp4"], 3),
    ("export-source-for-csv", ["export", P, "-f", "csv", "-o", "{T}/x.csv", "--source", "camB.mp4"], 3),
    ("export-range-far-out", ["export", P, "-f", "mp4", "-o", "{T}/x.mp4", "--start", "1e12", "--end", "2e12"], 3),
    ("export-start-before-all", ["export", P, "-f", "mp4", "-o", "{T}/x.mp4", "--start=-50", "--end", "1"], 3),
    ("export-start-for-csv", ["export", P, "-f", "csv", "-o", "{T}/x.csv", "--start", "1"], 3),
    ("export-corrupt-project", ["export", "{T}/truncated.json", "-f", "csv", "-o", "{T}/x.csv"], 3),
    ("export-not-a-project", ["export", "{T}/list.json", "-f", "csv", "-o", "{T}/x.csv"], 3),
    # verify
    ("verify-two-projects", ["verify", P, P], 2),
    ("verify-missing", ["verify", "{T}/nope.json"], 3),
    ("verify-folder", ["verify", "{M}"], 3),
    ("verify-media-file", ["verify", A], 3),
    ("verify-corrupt", ["verify", "{T}/truncated.json"], 3),
    ("verify-binary", ["verify", "{T}/binary.json"], 3),
    ("verify-wrong-schema", ["verify", "{T}/schema.json"], 3),
    ("verify-bad-field", ["verify", "{T}/badfield.json"], 3),
    ("verify-empty-name", ["verify", ""], 3),
    # relink
    ("relink-no-search", ["relink", P], 2),
    ("relink-search-missing", ["relink", P, "--search", "{T}/nodir"], 3),
    ("relink-search-is-file", ["relink", P, "--search", A], 3),
    ("relink-missing-project", ["relink", "{T}/nope.json", "--search", "{M}"], 3),
    ("relink-corrupt-project", ["relink", "{T}/truncated.json", "--search", "{M}"], 3),
    # top level
    ("unknown-command", ["frobnicate"], 2),
]


@pytest.fixture(scope="module")
def template(tmp_path_factory, incident_media) -> Path:
    """The case folder every row starts from: the incident plus a few bad files."""
    folder = tmp_path_factory.mktemp("bad-args")
    build_incident(folder, incident_media)
    text = (folder / "incident.json").read_text()
    (folder / "truncated.json").write_text(text[: len(text) // 2])
    (folder / "binary.json").write_bytes(b"\xff\xfe\x00garbage")
    (folder / "list.json").write_text("[]")
    (folder / "schema.json").write_text('{"schema": "timesync.project/99", "sources": []}')
    (folder / "badfield.json").write_text('{"schema": "timesync.project/1", "sources": [{"name": "a", '
                                          '"path": "a.mp4", "offset_s": "soon"}]}')
    (folder / "garbage.mp4").write_bytes(bytes(range(256)) * 40)
    (folder / "old.csv").write_text("an earlier table\n")
    (folder / "old.csv.bak").mkdir()
    shutil.copy(folder / "incident.json", folder / "p.json")
    return folder


@pytest.fixture
def case(tmp_path, template) -> Path:
    folder = tmp_path / "case"
    shutil.copytree(template, folder)
    return folder


def _argv(row: list[str], case: Path) -> list[str]:
    names = {"P": str(case / "incident.json"), "M": str(case / "media"), "T": str(case)}
    return [arg.format(**names) for arg in row]


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _run(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:  # argparse
        return int(exc.code)


def check_stderr(err: str, code: int) -> None:
    """The rule of the module docstring."""
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines, "nothing on stderr"
    if code == 2:
        assert lines[-1].startswith("timesync") and ": error: " in lines[-1], err
        usage = lines[:-1]
        assert usage and usage[0].startswith("usage: ") and all(u.startswith(" ") for u in usage[1:]), err
    else:
        assert len(lines) == 1 and lines[0].startswith("timesync: error: "), err


@pytest.mark.parametrize(("row", "code"), [pytest.param(r, c, id=i) for i, r, c in ROWS])
def test_bad_arguments(case, capsys, row, code):
    before = _tree(case)
    got = _run(_argv(row, case))
    captured = capsys.readouterr()
    assert got == code, captured.err
    check_stderr(captured.err, code)
    assert _tree(case) == before  # nothing written, nothing backed up, no project changed


@pytest.mark.parametrize(("row", "code"), [
    pytest.param(["sync", A, A, "-q"], 2, id="sync-same-file-twice"),
    pytest.param(["shots", P, "--temperature", "-500"], 2, id="shots-below-absolute-zero"),
    pytest.param(["annotate", P, "--type", "warning", "--at", "99999"], 3, id="annotate-time-far-out"),
])
def test_bad_arguments_from_the_real_command(case, row, code):
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, "-m", "timesync", *_argv(row, case)], capture_output=True,
                          text=True, env=env, timeout=120, check=False)
    assert done.returncode == code, done.stderr
    check_stderr(done.stderr, code)
