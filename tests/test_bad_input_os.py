"""A file the operating system refuses, at the start or part way, is reported by name and
the others go on (issue 14, bad input).

The refusals are real ones, nothing in timesync is patched:

- a file removed after it was probed and hashed (a card pulled, a file moved), while
  the audio aligner still has to read it;
- permissions, for an unprivileged process (as root, the test runs ``sync`` in a child
  process as user ``nobody``, where the kernel enforces them): a file unreadable from
  the start, and one whose read permission is taken away after probing;
- an I/O error part way through a file: the file lies on an ext4 image mounted through
  a loop device that is then shrunk, so the kernel answers EIO for its later blocks
  (needs root and mount; skipped otherwise).

Every case has three recordings of one scene, WAV at 16 kHz: ``ref.wav`` (scene 0-40 s),
``b.wav`` (5-45 s) and the refused ``c.wav`` (10-50 s).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from media_factory import make_audio
from test_align_audio import atoms, render

from timesync.sync import sync

SR = 16000
STARTS = {"ref.wav": 0.0, "b.wav": 5.0, "c.wav": 10.0}
DURATION_S = 40.0
TOL = 2e-3
NOBODY = 65534


def _write(folder: Path, names=tuple(STARTS)) -> dict[str, str]:
    table = atoms(60.0, seed=4, fmax=7000)
    rng = np.random.default_rng(2)
    out = {}
    for name in names:
        t = STARTS[name] + np.arange(round(DURATION_S * SR)) / SR
        x = render(table, t) + rng.normal(0, 0.01, t.size)
        out[name] = str(make_audio(folder / name, x.astype(np.float32), SR))
    return out


def _check_others_placed(entries: dict[str, dict]) -> None:
    assert entries["ref.wav"]["aligned"] and entries["b.wav"]["aligned"]
    assert entries["b.wav"]["offset_s"] == pytest.approx(STARTS["b.wav"], abs=TOL)


def _entries(result) -> dict[str, dict]:
    return {Path(e["path"]).name: e for e in result.to_dict()["sources"]}


def test_a_file_removed_after_probing_is_reported_and_the_others_placed(tmp_path):
    files = _write(tmp_path)
    moved = []

    def pull_the_card(fraction: float, message: str) -> None:
        if message == "aligning" and not moved:
            moved.append(os.replace(files["c.wav"], tmp_path / "elsewhere.wav"))

    result = sync(list(files.values()), reference=files["ref.wav"], methods=["audio"], progress=pull_the_card)
    assert moved and result.aligners["audio"] == "ran"
    entries = _entries(result)
    _check_others_placed(entries)
    c = result.source(files["c.wav"])
    assert not c.aligned and c.sha256  # probed and hashed before it went
    assert c.reason.startswith(f"{files['c.wav']}: could not be read again after probing (file not found)")
    assert "\n" not in c.reason and c.warnings[-1] in c.reason


_CHILD = """
import json, os, sys
from timesync.sync import sync
if __name__ == "__main__":
    files = json.loads(sys.argv[1])
    def revoke(fraction, message):
        if message == "aligning":
            os.chmod(files["c.wav"], 0)
    result = sync(list(files.values()), reference=files["ref.wav"], methods=["audio"], progress=revoke)
    print(json.dumps(result.to_dict()["sources"]))
"""


@pytest.fixture
def open_folder():
    """A folder an unprivileged user may enter (pytest's own tmp folders are private)."""
    folder = Path(tempfile.mkdtemp(prefix="timesync-perm-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _as_nobody() -> list[str]:
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: permissions cannot be enforced")
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]


def test_permission_refused_at_the_start_or_after_probing(open_folder):
    """d.wav cannot be read at all; c.wav loses its read permission once probed."""
    files = _write(open_folder)
    shutil.copyfile(files["c.wav"], open_folder / "d.wav")
    files["d.wav"] = str(open_folder / "d.wav")
    os.chmod(files["d.wav"], 0)
    for path in [open_folder, *files.values()]:
        os.chown(path, NOBODY if os.geteuid() == 0 else os.getuid(), -1)
    script = open_folder / "child.py"
    script.write_text(_CHILD)
    env = dict(os.environ, TIMESYNC_CACHE_DIR=str(open_folder / "cache"), HOME=str(open_folder),
               PYTHONPATH=os.pathsep.join([str(Path(__file__).parents[1]), os.environ.get("PYTHONPATH", "")]))
    run = subprocess.run([*_as_nobody(), sys.executable, str(script), json.dumps(files)],
                         capture_output=True, text=True, env=env, cwd=open_folder, timeout=600)
    assert run.returncode == 0, run.stderr
    entries = {Path(e["path"]).name: e for e in json.loads(run.stdout)}
    _check_others_placed(entries)
    assert not entries["d.wav"]["aligned"] and entries["d.wav"]["sha256"] is None
    assert entries["d.wav"]["reason"] == f"{files['d.wav']}: permission denied"
    c = entries["c.wav"]
    assert not c["aligned"] and c["sha256"]
    assert c["reason"].startswith(f"{files['c.wav']}: could not be read again after probing (permission denied)")


@pytest.fixture
def failing_disk():
    """A folder on an ext4 image whose loop device is shrunk once it is mounted: reads of
    what lies beyond the new end fail with EIO. Yields (folder, shrink)."""
    if os.geteuid() != 0 or not (shutil.which("mkfs.ext4") and shutil.which("losetup")):
        pytest.skip("needs root, mkfs.ext4 and losetup")
    work = Path(tempfile.mkdtemp(prefix="timesync-eio-"))
    image, mount, content = work / "disk.img", work / "mnt", work / "content"
    mount.mkdir()
    content.mkdir()
    loop = None

    def prepare_and_mount(files: dict[str, Path]) -> None:
        nonlocal loop
        for name, data in files.items():
            (content / name).write_bytes(data)
        subprocess.run(["truncate", "-s", "16M", str(image)], check=True)
        subprocess.run(["mkfs.ext4", "-q", "-F", "-b", "1024", "-d", str(content), str(image)], check=True)
        loop = subprocess.run(["losetup", "-f", "--show", str(image)], capture_output=True, text=True,
                              check=True).stdout.strip()
        if subprocess.run(["mount", "-o", "ro,noload", loop, str(mount)], capture_output=True).returncode:
            pytest.skip("cannot mount a loop device here")

    def shrink_after(name: str, keep_bytes: int) -> None:
        """Cut the device just after the first ``keep_bytes`` of file ``name``."""
        out = subprocess.run(["debugfs", "-R", f"bmap /{name} 0", str(image)], capture_output=True,
                             text=True, check=True).stdout
        first_block = int(out.split()[-1])
        subprocess.run(["truncate", "-s", str(first_block * 1024 + keep_bytes), str(image)], check=True)
        subprocess.run(["losetup", "-c", loop], check=True)

    yield mount, prepare_and_mount, shrink_after
    subprocess.run(["umount", str(mount)], capture_output=True)
    if loop:
        subprocess.run(["losetup", "-d", loop], capture_output=True)
    shutil.rmtree(work, ignore_errors=True)


def test_an_io_error_part_way_is_reported_and_the_others_placed(tmp_path, failing_disk):
    if shutil.which("debugfs") is None:
        pytest.skip("needs debugfs")
    mount, prepare_and_mount, shrink_after = failing_disk
    files = _write(tmp_path)
    prepare_and_mount({"c.wav": Path(files["c.wav"]).read_bytes()})
    size = os.path.getsize(files["c.wav"])
    keep = 300 * 1024  # the header and the first 300 KiB read; the rest is an I/O error
    shrink_after("c.wav", keep)
    files["c.wav"] = str(mount / "c.wav")
    with pytest.raises(OSError, match="Input/output error"):
        Path(files["c.wav"]).read_bytes()  # the kernel refuses, as a failing disk does
    result = sync(list(files.values()), reference=files["ref.wav"], methods=["audio"])
    entries = _entries(result)
    _check_others_placed(entries)
    c = result.source(files["c.wav"])
    assert not c.aligned and c.sha256 is None
    assert c.reason.startswith(f"{files['c.wav']}: cannot be read (the system refused it after ")
    assert c.reason.endswith(f" of {size} bytes: Input/output error)")
    done = int(c.reason.split("after ")[1].split(" of")[0])
    assert done <= keep < size  # part way: the header was read (the file opened), then the disk failed
