"""ELAN's TIME_ORIGIN for sources that start before or after the others, read back by pympi-ling.

ELAN plays a linked medium at document time + TIME_ORIGIN and cannot play one before its start
(its players clamp document time at 0 and seek the medium to that sum), so a negative origin
would play out of step: the export writes none, and says which medium it could not link.
"""

from __future__ import annotations

import pytest
import test_project_factory
from test_project_factory import build_incident

from timesync.export import export
from timesync.project import Project

incident_media = test_project_factory.incident_media  # the session fixture
pympi = pytest.importorskip("pympi", reason="pympi-ling is a test extra")


def _project(folder, incident_media, offsets: dict[str, tuple[float, float]], events=()) -> Project:
    """The incident with the given ``{source: (offset_s, rate)}`` and extra ``(type, shared_s, source)`` events."""
    build_incident(folder, incident_media)
    data = Project.load(folder / "incident.json").to_dict()
    for entry in data["sources"]:
        name = entry["path"].rsplit("/", 1)[-1]
        if name in offsets:
            entry["offset_s"], entry["rate"] = offsets[name]
    project = Project.from_dict(data, path=folder / "incident.json")
    for event_type, shared_s, source in events:
        project.add_annotation(event_type, shared_s, source=source)
    return project


def _read(project: Project, out):
    eaf = pympi.Eaf(str(export(project, "eaf", out)))
    origins = {m["RELATIVE_MEDIA_URL"].rsplit("/", 1)[-1]: int(m["TIME_ORIGIN"]) for m in eaf.media_descriptors}
    zero = float(dict(eaf.properties)["timesync_elan_zero_shared_s"].split()[0])
    return eaf, origins, zero


def _check_in_step(project: Project, eaf, origins: dict[str, int], zero: float) -> None:
    """At every annotation, each linked medium is where ELAN will play it: its local time, within 1 ms."""
    for tier in eaf.get_tier_names():
        if tier.endswith(" notes"):
            continue
        for start, _end, _value in eaf.get_annotation_data_for_tier(tier):
            assert start >= 0
            for name, origin in origins.items():
                local_ms = project.clock(name).to_local(zero + start / 1000) * 1000
                assert origin >= 0 and abs(start + origin - local_ms) <= 1.0


def test_sources_that_start_before_the_reference_skip_their_start(tmp_path, incident_media):
    # camB starts 2 s before the reference, phone 0.5 s before and drifts +100 ppm
    project = _project(tmp_path, incident_media, {"camB.mp4": (-2.0, 1.0), "phone.wav": (-0.5, 1.0001)})
    eaf, origins, zero = _read(project, tmp_path / "early.eaf")
    assert zero == 0.0  # ELAN's times are the shared clock's
    assert origins == {"camA.mp4": 0, "camB.mp4": 2000, "phone.wav": 500}
    _check_in_step(project, eaf, origins, zero)
    properties = dict(eaf.properties)
    assert not any(k.startswith("timesync_not_linked") for k in properties)
    phone = next(v for k, v in properties.items() if k.startswith("timesync_time_origin") and "phone" in v)
    assert "+100.000 ppm is not modelled by ELAN" in phone and "0.2 ms over the file" in phone  # 100 ppm of 2 s


def test_an_event_before_a_source_starts_never_gives_a_negative_origin(tmp_path, incident_media):
    # an event at shared -1.0, seen on camB (which starts at -2.0): camA (0) and phone (0.5) start later
    project = _project(tmp_path, incident_media, {"camB.mp4": (-2.0, 1.0)}, [("shot fired", -1.0, "camB.mp4")])
    eaf, origins, zero = _read(project, tmp_path / "before.eaf")
    assert zero == -1.0 and origins == {"camB.mp4": 1000}
    _check_in_step(project, eaf, origins, zero)
    shots = eaf.get_annotation_data_for_tier("shot fired")
    assert [s for s, _, _ in shots] == [0, 1510]  # -1.0 and 0.51 shared
    properties = dict(eaf.properties)
    assert properties["timesync_not_linked_01"].startswith("camA.mp4: not linked; it starts at document time "
                                                           "1000 ms")
    assert properties["timesync_not_linked_02"].startswith("phone.wav: not linked")
    assert "TIME_ORIGIN would be -1500 ms (negative)" in properties["timesync_not_linked_02"]


def test_without_events_every_aligned_source_is_linked(tmp_path, incident_media):
    project = _project(tmp_path, incident_media, {})
    for ann in list(project.annotations):
        project.remove_annotation(ann.id)
    eaf, origins, zero = _read(project, tmp_path / "empty.eaf")
    assert zero == 1.0 and origins == {"camA.mp4": 1000, "camB.mp4": 0, "phone.wav": 500}  # camB starts last


def test_document_zero_is_a_whole_millisecond_when_one_fits(tmp_path, incident_media):
    # every source starts before the first event (0.51); camB last, at 0.2504: zero is 0.251, not 0.2504
    project = _project(tmp_path, incident_media, {"camB.mp4": (0.2504, 1.0), "phone.wav": (0.1, 1.0)})
    eaf, origins, zero = _read(project, tmp_path / "whole.eaf")
    assert zero == 0.251 and origins == {"camA.mp4": 251, "camB.mp4": 1, "phone.wav": 151}
    _check_in_step(project, eaf, origins, zero)
    assert [s for s, _, _ in eaf.get_annotation_data_for_tier("shot fired")] == [259]  # 0.510 - 0.251
