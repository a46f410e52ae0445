# Two commands do all the set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed-test

.PHONY: demo test lint bench screenshots clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m timesync.demo --out out/demo
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
		$(VENV)/bin/timesync-app out/demo/incident.json; \
	else \
		echo "No display found (DISPLAY is not set): not opening the app. Open it later with: $(VENV)/bin/timesync-app out/demo/incident.json"; \
	fi

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(PY) bench/run_all.py

# The app at 1366x768, 1920x1080 and 2560x1440 on a real X display (Xvfb) with a small window
# manager (Debian: xvfb openbox libxcb-cursor0): docs/screenshots.sh writes docs/screenshot-*.png.
screenshots: $(STAMP)
	PY=$(PY) docs/screenshots.sh

clean:
	rm -rf out .pytest_cache
