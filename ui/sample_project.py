"""A project over the sample incident (``sample_media/``), for the screenshots and the benchmark.

Never writes into the sample folder: the project file goes to ``out_dir`` and
names the media by relative path. Two ways to place the sources:

* ``align=True``: the core's :func:`timesync.sync.sync` (what a reviewer gets);
* ``align=False``: the generator's known offsets from ``truth.json``
  (method ``"truth"``), enough to measure playback.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from timesync.clock import ClockMap
from timesync.project import Project
from timesync.project.source import Source

__all__ = ["sample_project", "ROLE_OF_KIND"]

ROLE_OF_KIND = {"bodycam": "body cam", "thermal": "aerial"}


def sample_project(
    folder: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    align: bool = False,
    shots_as_events: bool = True,
    progress: Callable[[float, str], Any] | None = None,
) -> Project:
    """Build (and save as ``out_dir/incident.json``) a project over the sample incident."""
    from timesync.project.verify import hash_file, probe_summary
    from timesync.samples import load_truth

    folder, out_dir = Path(folder).absolute(), Path(out_dir).absolute()
    out_dir.mkdir(parents=True, exist_ok=True)
    truth = load_truth(folder)
    path = out_dir / "incident.json"
    entries = truth["sources"]
    files = [folder / e["path"] for e in entries]
    if align:
        from timesync.sync import sync

        result = sync([str(f) for f in files], reference=str(folder / truth["reference"]), progress=progress)
        project = Project.from_sync_result(result, project_path=path)
    else:
        sources = []
        for entry, file in zip(entries, files, strict=True):
            clock = ClockMap(float(entry["offset_s"]), float(entry["rate"]), 0.0,
                             "reference" if entry["path"] == truth["reference"] else "truth")
            sources.append(Source(
                name=entry["path"], path=os.path.relpath(file, out_dir), sha256=hash_file(file),
                role=ROLE_OF_KIND.get(entry.get("kind"), "other"), clock=clock,
                overlay_clock={k: entry["overlay_clock"][k] for k in ("at_local_zero", "rate")},
                probe=probe_summary(file), hash_status="verified",
            ))
        project = Project(sources=sources, reference=truth["reference"], path=path,
                          wall_clock={"utc_at_shared_zero": truth["utc_at_shared_zero"], "uncertainty_s": 0.0,
                                      "basis": "sample truth"})
    for source in project.sources:
        kind = next((e.get("kind") for e in entries if Path(e["path"]).name == Path(source.name).name), None)
        if kind in ROLE_OF_KIND and source.role == "other":
            project.set_source_role(source.name, ROLE_OF_KIND[kind])
    if shots_as_events:
        for shot in truth.get("shots", []):
            project.add_annotation("shot fired", float(shot["shared_s"]), note=f"shot {shot['index']} (burst {shot['burst']})")
    project.save(path)
    return project
