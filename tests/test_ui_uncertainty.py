"""Uncertainty on screen (issue 17 item 7): every event and shot shows its sigma, the sound-travel
bound stands next to the acoustic sigma, and unverified or changed sources wear a badge on tile and track."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from test_ui_shots import _detect, shots_incident, shots_media  # noqa: F401 - fixtures

from timesync.align.device_clocks import UNVERIFIED
from timesync.timeutil import format_hms
from ui.annotations import COLUMNS
from ui.spec import format_uncertainty
from ui.tile import badges, strip_height, track_detail

pytest_plugins = ("conftest_ui",)

UNC = [k for k, _h in COLUMNS].index("uncertainty")


def _edit_source(incident, name, **changes):
    data = json.loads(incident.read_text(encoding="utf-8"))
    entry = next(s for s in data["sources"] if s["path"].endswith(name))
    for key, value in changes.items():
        entry[key] = value
    incident.write_text(json.dumps(data), encoding="utf-8")


def _spec(win, name):
    return next(s for s in win.bridge.specs() if s.name.endswith(name))


def test_every_event_shows_its_sigma_and_the_travel_bound_beside_it(window, incident):
    _edit_source(incident, "camB.mp4", travel_bound_s=0.012)
    window.open_project(incident)
    model = window.annotation_panel.model
    rows = {model.annotation_at(r).id: r for r in range(model.rowCount())}
    on_b = model.index(rows["e3"], UNC)  # marked on camB
    assert model.data(on_b) == "±2.00 ms +12.0 ms travel"  # camB: sigma 2 ms (audio), sound travel <= 12 ms
    assert "sound travel: 12.000 ms at most" in model.data(on_b, Qt.ItemDataRole.ToolTipRole)
    on_shared = model.index(rows["e1"], UNC)
    assert model.data(on_shared) == "±0.0 µs"  # entered on the shared clock
    assert model.headerData(UNC, Qt.Orientation.Horizontal) == "±"
    assert track_detail(_spec(window, "camB.mp4")) == "±2.00 ms +12.0 ms travel audio"


def test_every_shot_shows_its_sigma(qtbot, window, shots_incident):  # noqa: F811
    window.open_project(shots_incident)
    _detect(qtbot, window)
    panel = window.shots_panel
    for row in range(panel.view.rowCount()):
        shot = panel.table.shot(panel.view.item(row, 0).data(Qt.ItemDataRole.UserRole))
        assert panel.view.item(row, 1).text() == f"{format_hms(shot.shared_s, 3)} {format_uncertainty(shot.uncertainty_s)}"
    assert panel.view.rowCount() > 0


def _amber_pixels(image, top, height, width):
    count = 0
    for y in range(top, top + height, 2):
        for x in range(0, width, 2):
            c = image.pixelColor(x, y)
            count += abs(c.red() - 230) < 8 and abs(c.green() - 170) < 8 and abs(c.blue() - 40) < 8
    return count


def test_device_clock_only_and_changed_sources_wear_badges(qtbot, window, incident, wait_frames):
    _edit_source(incident, "camB.mp4", method=f"metadata ({UNVERIFIED})")
    window.open_project(incident)
    wait_frames(window)
    view = window.grid.view_for(_spec(window, "camB.mp4").name)
    assert [b for b, _w, _c in badges(view.spec)] == ["UNVERIFIED"]
    assert UNVERIFIED in view.toolTip()
    image = view.grab().toImage()
    assert _amber_pixels(image, 0, int(strip_height(view)), view.width()) > 10  # the badge, in the top strip
    assert track_detail(view.spec) == "±2.00 ms metadata"  # the badge says "device clocks only"
    before = window.timeline.grab().toImage()
    media = window.project.resolve(view.spec.name)
    with media.open("ab") as handle:
        handle.write(b"\0" * 16)
    with qtbot.waitSignal(window.jobFinished, timeout=20000, check_params_cb=lambda k, _r: k == "verify"):
        window.verify_hashes()
    view = window.grid.view_for(view.spec.name)
    assert [b for b, _w, _c in badges(view.spec)] == ["CHANGED", "UNVERIFIED"]
    assert "not the file recorded" in view.toolTip()
    window.timeline.repaint()
    assert window.timeline.grab().toImage() != before  # the track's header shows the badge too
