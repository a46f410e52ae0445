"""Suite-wide fixtures: Qt offscreen, the sample-media integrity guard, paths."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
SAMPLE_MEDIA = REPO / "sample_media"
SHARED_MEDIA = REPO.parent / "shared" / "media"


def _digest_tree(folder: Path) -> dict[str, str]:
    digests = {}
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                digests[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


@pytest.fixture(scope="session", autouse=True)
def sample_media_unchanged():
    """Evidence is sacred: no file in sample_media/ may change during the suite."""
    before = _digest_tree(SAMPLE_MEDIA)
    yield
    after = _digest_tree(SAMPLE_MEDIA)
    assert after == before, "a file in sample_media/ was changed, added or removed by the test suite"


@pytest.fixture(scope="session")
def sample_media_dir() -> Path:
    """The committed sample incident; skips when it has not been generated."""
    if not (SAMPLE_MEDIA / "truth.json").is_file():
        pytest.skip("sample_media/ has no truth.json: run `python -m timesync.samples`")
    return SAMPLE_MEDIA


@pytest.fixture(scope="session")
def shared_media_dir() -> Path:
    """The real recordings in ../shared/media; skips when that folder is absent."""
    if not SHARED_MEDIA.is_dir():
        pytest.skip(f"{SHARED_MEDIA} is absent: the real-media tests need ../shared/media")
    return SHARED_MEDIA


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Keep the frame-index cache of the tests out of the user's cache folder."""
    cache = tmp_path_factory.getbasetemp() / "timesync-cache"
    monkeypatch.setenv("TIMESYNC_CACHE_DIR", str(cache))
