#!/usr/bin/env bash
# `make screenshots`: the app on the sample incident at 1366x768, 1920x1080 and 2560x1440, on a real
# X display (Xvfb, 2560x1440) with a small window manager (openbox or matchbox-window-manager), so
# that the window is managed as on a desktop. Writes docs/screenshot-*.png (each under 500 KB), the tie
# workflow (docs/screenshot-tie-before.png, docs/screenshot-tie-after.png) too.
# Needs (Debian): xvfb, openbox (or matchbox-window-manager), libxcb-cursor0; without Xvfb it says so.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
SIZES=${SIZES:-1366x768,1920x1080,2560x1440}
if ! command -v Xvfb >/dev/null; then
    echo "screenshots: Xvfb is not installed (Debian: apt-get install xvfb openbox libxcb-cursor0)" >&2
    exit 2
fi
WM=$(command -v openbox || command -v matchbox-window-manager || true)
if [ -z "$WM" ]; then
    echo "screenshots: no window manager found (Debian: apt-get install openbox)" >&2
    exit 2
fi
DISPLAY_NUM=${DISPLAY_NUM:-97}
while [ -e "/tmp/.X${DISPLAY_NUM}-lock" ]; do DISPLAY_NUM=$((DISPLAY_NUM + 1)); done
Xvfb ":${DISPLAY_NUM}" -screen 0 2560x1440x24 -nolisten tcp >/dev/null 2>&1 &
XVFB_PID=$!
cleanup() { kill "${WM_PID:-}" 2>/dev/null || true; kill "$XVFB_PID" 2>/dev/null || true; }
trap cleanup EXIT
export DISPLAY=":${DISPLAY_NUM}"
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X${DISPLAY_NUM}" ] && break; sleep 0.1; done
"$WM" >/dev/null 2>&1 &
WM_PID=$!
sleep 1  # the window manager takes the display
QT_QPA_PLATFORM=xcb "$PY" docs/make_screenshots.py --platform xcb --sizes "$SIZES" "$@"
QT_QPA_PLATFORM=xcb "$PY" docs/make_screenshots.py --platform xcb --tie "$@"
