"""Smoke test of the stress corpus generator (bench/corpus/): one shortened case, its truth file's shape."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

corpus = pytest.importorskip("corpus")


@pytest.fixture(scope="module")
def short_case(tmp_path_factory):
    if corpus.media_missing():
        pytest.skip(corpus.media_missing())
    from corpus.build import render
    from corpus.plan import make_plan

    plan = make_plan(1, quick=True)  # audio-pair, held-out half
    for f in plan["files"]:
        f["true_len_s"], f["audio"]["silent_head_s"] = 4.0, 0.0
    plan["files"][0]["start_true_s"], plan["files"][1]["start_true_s"] = 0.0, 0.75
    plan["world_s"] = 5.0
    folder = tmp_path_factory.mktemp("corpus")
    truth = render(plan, folder)
    (folder / "truth.json").write_text(json.dumps(truth))
    return folder, truth


def test_truth_names_every_file_with_its_place_and_evidence(short_case):
    folder, truth = short_case
    assert truth["half"] == "held-out" and truth["family"] == "audio-pair"
    first, second = truth["sources"]
    assert (folder / first["name"]).stat().st_size > 0 and (folder / second["name"]).stat().st_size > 0
    assert first["offset_s"] == 0.0 and first["rate"] == 1.0
    rate0 = first["rate_true"]
    assert second["offset_s"] == pytest.approx((0.75 - first["start_true_s"]) / rate0, abs=1e-9)
    assert second["evidence"]["partner"] == first["name"]
    assert second["evidence"]["kind"] == "audio-short"  # 3.25 s shared, under 15 s
    assert second["evidence"]["shared_audio_s"] == pytest.approx(3.25, abs=1e-3)


def test_generator_does_not_use_the_sample_generator():
    for path in (BENCH / "corpus").glob("*.py"):
        text = path.read_text()
        assert "timesync.samples" not in text.replace("``timesync.samples``", "") or path.name == "__init__.py"
        assert "import timesync" not in text and "from timesync" not in text
