"""Caches can't lie: a frame-index cache entry is written only for a file hashed to its key,
checked against the file before use, and rebuilt when damaged, foreign or of another version.

Every test has its own cache folder (``TIMESYNC_CACHE_DIR``) and ``HOME`` in ``tmp_path``; the
sample media are copied, never changed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import media_factory as mf
import numpy as np
import pytest

from timesync.errors import MediaError
from timesync.media import FrameIndex, probe, sha256_file
from timesync.media import cache as media_cache

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def cache_home(tmp_path, monkeypatch) -> Path:
    """A cache folder of this test only (and a HOME in tmp_path, so ~/.cache is never used)."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("TIMESYNC_CACHE_DIR", str(cache))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    return cache


def _entry_path(digest: str) -> Path:
    return media_cache._index_path(digest)  # noqa: SLF001 - where the cache keeps that file's entry


def _timesync(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run the real CLI of this worktree (``python -m timesync``) with the test's environment."""
    env = dict(os.environ, PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen")
    return subprocess.run(
        [sys.executable, "-m", "timesync", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )


def _fresh_pts(path: Path, tmp_path: Path, monkeypatch) -> list[int]:
    """The index of ``path`` built in an empty cache folder (the right answer)."""
    with monkeypatch.context() as patch:
        patch.setenv("TIMESYNC_CACHE_DIR", str(tmp_path / f"fresh-{path.stem}"))
        return FrameIndex.open(path).pts.tolist()


def _flip_tail_byte(path: Path) -> None:
    """Change one byte near the end of ``path`` in place (the size stays the same)."""
    with open(path, "r+b") as handle:
        handle.seek(-10, os.SEEK_END)
        byte = handle.read(1)
        handle.seek(-10, os.SEEK_END)
        handle.write(bytes([byte[0] ^ 0xFF]))


# -- the user's report, end to end through the CLI ------------------------------------------------
def test_changed_copy_cannot_poison_the_entry_of_the_original(sample_media_dir, tmp_path, cache_home, monkeypatch):
    """Sync a copy, append a byte to it, run ``shots`` on it: the pristine file still gets its frames.

    Before, ``shots`` probed the changed copy with the project's (old) SHA-256 and rewrote
    that hash's entry with the copy's size; the pristine file then failed its size check,
    and ``shots`` / the HTML export of its project showed "audio only" with exit 0.
    """
    copy_dir, orig_dir = tmp_path / "copy", tmp_path / "orig"
    copy_dir.mkdir()
    orig_dir.mkdir()
    copy = copy_dir / "bodycam_B.mp4"
    shutil.copyfile(sample_media_dir / "bodycam_B.mp4", copy)
    synced = _timesync("sync", "-q", "bodycam_B.mp4", "-o", "p.json", cwd=copy_dir)
    assert synced.returncode == 0, synced.stderr
    digest = sha256_file(copy)
    for name in ("bodycam_B.mp4", "p.json"):  # the pristine recording and its project
        shutil.copyfile(copy_dir / name, orig_dir / name)
    with open(copy, "ab") as handle:
        handle.write(b"x")

    _timesync("shots", "p.json", cwd=copy_dir)  # on the changed copy: must not touch the entry

    shots = _timesync("shots", "p.json", cwd=orig_dir)
    assert shots.returncode == 0, shots.stderr
    assert "bodycam_B.mp4: 0:00:06.9278 frame 207" in shots.stdout
    annotated = _timesync("annotate", "p.json", "--type", "shot fired", "--at", "7",
                          "--author", "test", cwd=orig_dir)
    assert annotated.returncode == 0, annotated.stderr
    exported = _timesync("export", "-f", "html", "-o", "r.html", "p.json", cwd=orig_dir)
    assert exported.returncode == 0, exported.stderr
    html = (orig_dir / "r.html").read_text(encoding="utf-8")
    assert "audio only" not in html and "local 0:00:07.000 &middot; frame 209" in html

    original = orig_dir / "bodycam_B.mp4"
    entry = media_cache.load_index(digest, original)
    assert entry is not None, "the entry of the pristine file was overwritten"
    assert entry.pts.tolist() == _fresh_pts(original, tmp_path, monkeypatch)
    assert FrameIndex.open(original, sha256=digest).pts.tolist() == entry.pts.tolist()


# -- who may write an entry -------------------------------------------------------------------------
def test_a_claimed_hash_of_another_file_writes_no_entry(tmp_path, cache_home):
    """``probe`` and ``FrameIndex.open`` given a SHA-256 the file does not have write nothing under it."""
    genuine = mf.make_video(tmp_path / "genuine.mp4", n_frames=10)
    other = mf.make_video(tmp_path / "other.mp4", n_frames=20)
    claimed = sha256_file(genuine)

    probe(other, sha256=claimed)  # what `shots` does with the project's recorded hash
    assert not _entry_path(claimed).exists()
    with pytest.raises(MediaError, match="changed since it was hashed") as caught:
        FrameIndex.open(other, sha256=claimed)
    assert type(caught.value).__name__ == "SourceChangedError" and str(other) in str(caught.value)
    assert not _entry_path(claimed).exists()
    assert len(FrameIndex.open(genuine, sha256=claimed)) == 10


def test_a_same_size_change_is_caught_by_the_fingerprint(sample_media_dir, tmp_path, cache_home, monkeypatch):
    """A file changed without changing its size is not handed the entry of its old bytes."""
    pristine = tmp_path / "pristine.mp4"
    changed = tmp_path / "changed.mp4"
    shutil.copyfile(sample_media_dir / "bodycam_B.mp4", pristine)
    shutil.copyfile(pristine, changed)
    digest = sha256_file(pristine)
    FrameIndex.open(pristine, sha256=digest)
    _flip_tail_byte(changed)
    assert changed.stat().st_size == pristine.stat().st_size

    with pytest.raises(MediaError, match="changed since it was hashed") as caught:
        FrameIndex.open(changed, sha256=digest)
    assert type(caught.value).__name__ == "SourceChangedError" and str(changed) in str(caught.value)
    monkeypatch.setattr("timesync.media.frames.scan_container", lambda *a, **k: 1 / 0)
    assert len(FrameIndex.open(pristine, sha256=digest)) == 2518  # still served from the cache


# -- damaged, foreign and other-version entries are rebuilt -----------------------------------------
def test_truncated_entry_is_rebuilt(tmp_path, cache_home, monkeypatch):
    path = mf.make_video(tmp_path / "t.mp4", n_frames=12, bframes=True)
    digest = sha256_file(path)
    right = FrameIndex.open(path, sha256=digest).pts.tolist()
    target = _entry_path(digest)
    payload = target.read_bytes()
    target.write_bytes(payload[: len(payload) // 2])

    assert FrameIndex.open(path, sha256=digest).pts.tolist() == right
    assert media_cache.load_index(digest, path) is not None  # written again, whole
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temporary files left


def test_entry_of_another_file_under_this_key_is_rebuilt(tmp_path, cache_home, monkeypatch):
    """An entry of file X placed under Y's key is neither trusted nor fatal."""
    x = mf.make_video(tmp_path / "x.mp4", n_frames=10)
    y = mf.make_video(tmp_path / "y.mp4", n_frames=20)
    x_digest, y_digest = sha256_file(x), sha256_file(y)
    FrameIndex.open(x, sha256=x_digest)
    right = _fresh_pts(y, tmp_path, monkeypatch)
    _entry_path(y_digest).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_entry_path(x_digest), _entry_path(y_digest))

    assert FrameIndex.open(y, sha256=y_digest).pts.tolist() == right
    assert FrameIndex.open(y).pts.tolist() == right
    assert len(FrameIndex.open(x, sha256=x_digest)) == 10


@pytest.mark.parametrize("field", ["format", "tool", "key"])
def test_entry_of_another_version_or_key_is_rebuilt(tmp_path, cache_home, monkeypatch, field):
    """An entry stamped by another cache layout, timesync version or key is rebuilt.

    Its frame times are doctored, so using it would give a wrong answer.
    """
    path = mf.make_video(tmp_path / f"v-{field}.mp4", n_frames=15)
    digest = sha256_file(path)
    right = FrameIndex.open(path, sha256=digest).pts.tolist()
    target = _entry_path(digest)
    with np.load(target) as data:
        arrays = {k: data[k] for k in data.files}
    identity = [str(x) for x in arrays.get("identity", [media_cache.FORMAT_VERSION, "0.2.0", digest, ""])]
    position = {"format": 0, "tool": 1, "key": 2}[field]
    identity[position] = {"format": "999", "tool": "0.0.0-other", "key": "0" * 64}[field]
    arrays["identity"] = np.array(identity, dtype=str)
    arrays["pts"] = np.asarray(arrays["pts"], np.int64) * 2
    with open(target, "wb") as handle:
        np.savez(handle, **arrays)

    assert FrameIndex.open(path, sha256=digest).pts.tolist() == right
    assert media_cache.load_index(digest, path).pts.tolist() == right


# -- the in-process hash memo is a hint, checked --------------------------------------------------
def test_a_rewrite_keeping_size_and_mtime_is_hashed_again(tmp_path, cache_home):
    """A file rewritten in place to other bytes of the same size, its mtime set back, is not
    taken for the file hashed before (the memo key holds the change time, and the fingerprint
    is checked)."""
    ten = mf.make_video(tmp_path / "ten.mp4", n_frames=10)
    twelve = mf.make_video(tmp_path / "twelve.mp4", n_frames=12)
    size = max(ten.stat().st_size, twelve.stat().st_size)
    for clip in (ten, twelve):  # same size: FFmpeg ignores the zeros after the last box
        with open(clip, "ab") as handle:
            handle.write(b"\0" * (size - clip.stat().st_size))
    evidence = tmp_path / "evidence.mp4"
    shutil.copyfile(ten, evidence)
    assert len(FrameIndex.open(evidence)) == 10
    before = evidence.stat()
    with open(evidence, "r+b") as handle:  # same inode, same size
        handle.write(twelve.read_bytes())
    os.utime(evidence, ns=(before.st_atime_ns, before.st_mtime_ns))

    assert len(FrameIndex.open(evidence)) == 12
    assert len(FrameIndex.open(ten)) == 10


def test_entries_of_older_layouts_are_removed(tmp_path, cache_home):
    """An entry left by an older cache layout is replaced, not kept beside the new one."""
    path = mf.make_video(tmp_path / "old.mp4", n_frames=8)
    digest = sha256_file(path)
    folder = _entry_path(digest).parent
    folder.mkdir(parents=True)
    stale = folder / f"{digest}.v3.npz"
    stale.write_bytes(b"an entry of another layout")

    assert len(FrameIndex.open(path, sha256=digest)) == 8
    assert sorted(p.name for p in folder.iterdir()) == [_entry_path(digest).name]
    assert _entry_path(digest).name != stale.name
