"""The app's export dialog offers every format the core writes, with the core's extensions and options."""

from __future__ import annotations

from timesync.export import EXTENSIONS, FORMATS, registry
from ui.dialogs import EXPORT_FORMATS, FORMAT_OPTIONS


def test_the_dialog_offers_every_core_format_with_its_extension():
    assert set(EXPORT_FORMATS) == set(FORMATS)
    assert {fmt: suffix for fmt, (_label, suffix) in EXPORT_FORMATS.items()} == EXTENSIONS


def test_every_dialog_option_is_one_the_format_takes():
    for fmt, options in FORMAT_OPTIONS.items():
        allowed = registry.get(fmt).options
        assert {name for name, *_ in options} <= set(allowed), fmt
