"""Known-answer test material, generated (never read from evidence); for tests and bench/ only.

clips
    :func:`~synth.clips.write_clip`: short videos with a burned-in clock ticking at
    known times, flashes covering known parts of frame intervals, and impulses
    in a PCM audio track (overlay and flash aligners).
sounds
    Impulses with a known onset: gunshots, claps, shutters, thuds, and helpers
    to place and mix them (impulse and shot detection).

Tests import them as ``synth.clips`` / ``synth.sounds`` (``tests/`` is on
``sys.path`` under pytest); bench scripts, which put the repository root on
``sys.path``, as ``tests.synth.clips`` / ``tests.synth.sounds``.
"""
